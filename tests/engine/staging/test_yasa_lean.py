"""YASA with less memory and no JIT compile (engine.staging.yasa_lean): the same numbers
to the bit as antropy's compiled Higuchi FD and as YASA run as shipped, on real nights."""

import contextlib

import numpy as np
import pytest

from engine.staging import yasa_lean
from engine.staging.yasa_lean import filter_in_place, higuchi_fd, lean_yasa


def _signals():
    rng = np.random.default_rng(3)
    out = [rng.standard_normal(3000) for _ in range(40)]
    out += [np.cumsum(rng.standard_normal(2999)) for _ in range(20)]  # odd length, random walk
    out += [np.sin(np.arange(3000) / 7.0), np.arange(1000.0), np.zeros(3000), rng.standard_normal(37),
            np.repeat(rng.standard_normal(300), 10)]  # a sine, a ramp, flat, short, steps
    return out


def _same(a: float, b: float) -> bool:
    return a == b or (np.isnan(a) and np.isnan(b))


def test_higuchi_fd_is_antropys_to_the_bit():
    antropy = pytest.importorskip("antropy")
    for x in _signals():
        assert _same(higuchi_fd(x), antropy.higuchi_fd(np.ascontiguousarray(x))), len(x)
    x = _signals()[0]
    for kmax in (2, 5, 16):
        assert _same(higuchi_fd(x, kmax), antropy.higuchi_fd(x, kmax))


def test_higuchi_fd_on_real_eeg_epochs_is_antropys_to_the_bit(shared_data):
    antropy = pytest.importorskip("antropy")
    from engine.channels.mapping import map_study
    from engine.io import open_study
    from engine.staging.inputs import choose_staging_channels, read_uv_100hz

    study = open_study(shared_data / "dreams-dev" / "excerpt1.edf")
    try:
        chans = choose_staging_channels(map_study(study))
        for src in (s for s in (chans.eeg, chans.eog, chans.emg) if s is not None):
            x, _ = read_uv_100hz(study, src)
            epochs = x[:len(x) // 3000 * 3000].reshape(-1, 3000)
            for row in epochs[::4]:
                assert _same(higuchi_fd(row), antropy.higuchi_fd(np.ascontiguousarray(row)))
    finally:
        study.close()


def test_filter_in_place_gives_mne_s_values_without_a_copy():
    from mne.filter import filter_data

    rng = np.random.default_rng(0)
    x = rng.normal(0, 20, (3, 100 * 600))
    expected = filter_data(x.copy(), 100.0, l_freq=0.4, h_freq=30, verbose=False)
    out = filter_in_place(x, 100.0, l_freq=0.4, h_freq=30, verbose=False)
    assert np.shares_memory(out, x)
    np.testing.assert_array_equal(out, expected)


def test_lean_yasa_puts_back_yasa_s_and_antropy_s_own_functions_even_after_an_error():
    antropy = pytest.importorskip("antropy")
    import yasa.staging

    before = (antropy.higuchi_fd, yasa.staging.filter_data)
    with lean_yasa():
        assert antropy.higuchi_fd is higuchi_fd and yasa.staging.filter_data is filter_in_place
    assert (antropy.higuchi_fd, yasa.staging.filter_data) == before
    with pytest.raises(RuntimeError), lean_yasa():
        raise RuntimeError("YASA failed")
    assert (antropy.higuchi_fd, yasa.staging.filter_data) == before


def test_yasa_gives_the_same_stages_and_features_lean_as_shipped(shared_data, monkeypatch):
    from engine.channels.mapping import map_study
    from engine.io import open_study
    from engine.staging.yasa_stager import stage_study

    def staged():
        study = open_study(shared_data / "dreams-dev" / "excerpt1.edf")
        try:
            items = list(stage_study(study, map_study(study)))
        finally:
            study.close()
        return items[-1].result

    lean = staged()
    monkeypatch.setattr(yasa_lean, "lean_yasa", contextlib.nullcontext)  # YASA as shipped
    shipped = staged()
    np.testing.assert_array_equal(lean.proba, shipped.proba)
    np.testing.assert_array_equal(lean.features, shipped.features)
    assert lean.feature_names == shipped.feature_names


def test_the_stager_s_child_compiles_nothing_and_maps_its_large_blocks_on_their_own():
    from engine.staging.yasa_process import _child_env

    env = _child_env()
    assert env["NUMBA_DISABLE_JIT"] == "1"
    assert int(env["MALLOC_MMAP_THRESHOLD_"]) == 1 << 20  # freed blocks go back to the system


_IN_A_FRESH_PROCESS = """
import json, sys
import numpy as np
from engine.staging import yasa_lean
if sys.argv[1] == "stand-in-not-enough":
    def refuse(self, name):
        raise AttributeError(name)
    yasa_lean._Anything.__getattr__ = refuse
ant = yasa_lean.import_antropy_without_numba()
numba = sys.modules.get("numba")
x = np.random.default_rng(5).normal(0, 30, (20, 3000))
mob, com = ant.hjorth_params(x, axis=1)
out = {"numba": None if numba is None else getattr(numba, "__version__", "stand-in"),
       "values": [list(mob), list(com), list(ant.num_zerocross(x, axis=1).astype(float)),
                  [ant.perm_entropy(r, normalize=True) for r in x], list(ant.petrosian_fd(x, axis=1)),
                  [ant.higuchi_fd(r) for r in x]]}
print(json.dumps(out))
"""


def _antropy_in_a_fresh_process(mode: str) -> dict:
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONPATH=str(root))
    r = subprocess.run([sys.executable, "-c", _IN_A_FRESH_PROCESS, mode], capture_output=True, text=True,
                       env=env, cwd=str(root), timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def _antropy_here() -> list:
    antropy = pytest.importorskip("antropy")
    x = np.random.default_rng(5).normal(0, 30, (20, 3000))
    mob, com = antropy.hjorth_params(x, axis=1)
    return [list(mob), list(com), list(antropy.num_zerocross(x, axis=1).astype(float)),
            [antropy.perm_entropy(r, normalize=True) for r in x], list(antropy.petrosian_fd(x, axis=1)),
            [antropy.higuchi_fd(r) for r in x]]


def test_antropy_without_numba_loads_no_numba_and_gives_the_same_values():
    got = _antropy_in_a_fresh_process("stand-in")
    assert got["numba"] is None  # the stand-in was taken out again; LLVM never loaded
    assert got["values"] == _antropy_here()


def test_where_the_stand_in_is_not_enough_antropy_gets_the_real_numba():
    got = _antropy_in_a_fresh_process("stand-in-not-enough")
    assert got["numba"] not in (None, "stand-in")  # the real numba, with its version
    assert got["values"] == _antropy_here()


_YASA_IN_A_FRESH_PROCESS = """
import json, sys
from engine.staging import yasa_lean
if len(sys.argv) > 1:
    sys.path.insert(0, sys.argv[1])  # a stand-in yasa that needs more of matplotlib
yasa = yasa_lean.import_yasa_without_plotting()
held = sorted(m for m in sys.modules if m.split(".")[0] in ("matplotlib", "seaborn"))
import matplotlib
print(json.dumps({"held": held, "staging": hasattr(yasa, "SleepStaging") or hasattr(yasa, "FAKE"),
                  "real_matplotlib_after": hasattr(matplotlib, "__version__")}))
"""


def _yasa_in_a_fresh_process(*args: str) -> dict:
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("yasa")
    root = Path(__file__).resolve().parents[3]
    r = subprocess.run([sys.executable, "-c", _YASA_IN_A_FRESH_PROCESS, *args], capture_output=True, text=True,
                       env=dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONPATH=str(root)), cwd=str(root),
                       timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_yasa_imports_without_matplotlib_or_seaborn_and_a_later_import_gets_the_real_one():
    got = _yasa_in_a_fresh_process()
    assert got["held"] == []  # neither loaded, no stand-in left behind
    assert got["staging"]
    assert got["real_matplotlib_after"]


def test_where_the_plotting_stand_ins_are_not_enough_yasa_gets_the_real_libraries(tmp_path):
    fake = tmp_path / "yasa"
    fake.mkdir()
    # a YASA whose import computes with matplotlib: the stand-ins cannot, the real one can
    (fake / "__init__.py").write_text("import matplotlib\nFAKE = int(matplotlib.__version__.split('.')[0]) + 1\n")
    got = _yasa_in_a_fresh_process(str(tmp_path))
    assert got["staging"]
    assert "matplotlib" in got["held"]  # imported for real by the retry
    assert got["real_matplotlib_after"]

"""Issue 11 figures: what typing and scaling every signal costs when a study opens, what
clipping traces to their rows costs per page (same run, on and off), and how each shared
real file opens (rows shown / listed, reconstructed rows, share of unusual epochs).
Run: `pytest -m bench -s tests/bench/test_display_bench.py`."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.bench.conftest import frame_ms

pytestmark = pytest.mark.bench




def _window(qtbot, tmp_path):
    from engine.channels.profiles import ProfileStore
    from gui.app import configure_pyqtgraph
    from gui.main_window import MainWindow

    configure_pyqtgraph()
    w = MainWindow(profiles=ProfileStore(tmp_path / "p"))
    qtbot.addWidget(w)
    w.assistant.set_enabled(False)
    w.resize(1600, 900)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_typing_scaling_and_clipping_cost(qtbot, ten_hour_edf, tmp_path):
    from engine.api import map_study, open_study
    from gui.viewer import display_state as ds

    s = open_study(ten_hour_edf)
    m = map_study(s)
    ds.initial_display(s, m)  # warm the reader
    t_open = []
    for _ in range(5):
        t = time.perf_counter()
        ds.initial_display(s, m)
        t_open.append((time.perf_counter() - t) * 1000)
    s.close()
    w = _window(qtbot, tmp_path)
    w.open_path(ten_hour_edf)
    v = w.viewer
    on, off = [], []
    for i in range(120):  # interleaved, so machine load hits both alike
        v.clip_rows = i % 2 == 0
        (on if v.clip_rows else off).append(frame_ms(w, v.next_page))
    w.close_study()
    print(f"\n[10-h 16-ch 256 Hz] typing + scaling 16 signals on open: median {np.median(t_open):.0f} ms "
          f"(n={len(t_open)})")
    print(f"30-s page flip, traces clipped to rows: median {np.median(on):.1f} ms   "
          f"not clipped: median {np.median(off):.1f} ms   (n={len(on)} each, interleaved)")


def test_real_files_open(qtbot, tmp_path):
    import shutil
    from pathlib import Path

    shared = Path(__file__).resolve().parents[3] / "shared" / "data"
    if not shared.is_dir():
        pytest.skip("real recordings not available")
    w = _window(qtbot, tmp_path)
    print("\nfile | signals | rows shown | hidden (events, checksums, impedances, montage) | open ms")
    for rel in ("sleep-edf/SC4001E0-PSG-first300s.edf", "dreams-dev/excerpt3.edf", "nox/nox-a1-120s.edf",
                "resmed/20260111_220919_BRP.edf", "resmed/20260111_220919_PLD.edf"):
        dst = tmp_path / Path(rel).name
        shutil.copyfile(shared / rel, dst)
        t = time.perf_counter()
        assert w.open_path(str(dst))
        ms = (time.perf_counter() - t) * 1000
        rows = w.viewer.rows
        shown = sum(r.visible for r in rows)
        print(f"{rel} | {len(rows)} | {shown} | {len(rows) - shown} | {ms:.0f}")
        w.close_study()


def test_unusual_epoch_share_behind_the_reconstruction_rule():
    """The share of epochs with outlier score >= 0.99 under the shipped model: real files
    against a generated night (the rule: half or more -> no reconstruction)."""
    from pathlib import Path

    from engine.api import load_model_input, map_study, open_study, unlike_training
    from engine.inference import ModelRunner
    from engine.synth import NightParams, generate_night, write_night

    shared = Path(__file__).resolve().parents[3] / "shared" / "data"
    if not shared.is_dir():
        pytest.skip("real recordings not available")
    import tempfile

    tmp = Path(tempfile.mkdtemp())
    gen = tmp / "generated.edf"
    write_night(generate_night(NightParams(hours=0.5, seed=3)), gen)
    runner = ModelRunner.load()
    print("\nfile | epochs | unusual (>= 0.99) | no reconstructions")
    for p in (shared / "sleep-edf/SC4001E0-PSG-first300s.edf", shared / "dreams-dev/excerpt3.edf",
              shared / "dreams-dev/excerpt1.edf", shared / "nox/nox-a1-120s.edf", gen):
        s = open_study(p)
        x, present = load_model_input(s, map_study(s))
        s.close()
        ses = runner.prepare(x, present, p.stem)
        o = np.concatenate([b.outlier_score for b in runner.run(ses, reconstruct=False, max_batch_s=1.0)])
        print(f"{p.name} | {len(o)} | {np.mean(o >= 0.99):.0%} | {unlike_training(o, len(o))}")

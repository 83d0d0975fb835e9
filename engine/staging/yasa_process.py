"""YASA in a child process (issue 16), for the GUI's assistant worker.

In the app's own process, YASA held the GIL for seconds at a time (importing mne, sklearn,
lightgbm, antropy and numba is pure Python), which stole the scorer's frames while it
ran, and its libraries and feature arrays added ~500 MB to the app's peak memory. It
also could not be interrupted: closing a study waited for it. Here the parent hands the
100-Hz channels it has read to ``python -m engine.staging.yasa_process IN OUT`` through
a temporary folder, waits without holding the GIL, and kills the child at once when the
job is cancelled. The child runs the same ``yasa_proba_and_features`` on the same arrays,
so the numbers are those of the in-process stager. It compiles nothing and loads no LLVM
(``NUMBA_DISABLE_JIT`` and a stand-in numba for antropy's import, engine.staging.yasa_lean;
the compile took ~5 s of CPU and ~170 MB), nor matplotlib and seaborn; with YASA's
band-pass in place and large blocks unmapped when freed (``FIXED_MMAP_ENV``), its peak on
a 10-h night went from ~730 to ~430 MB. The parent hands its freed heap back before starting
it, since the two peak together.

Protocol: IN.npz holds ``ch0``… (float64 µV at 100 Hz), ``names``, ``types`` and ``meta``
(JSON); the child writes OUT.npz (``proba``, ``features``, ``columns``) and exits 0, or
prints ``unavailable: <why>`` to its status file and exits 3 (YASA cannot stage it), or
exits non-zero with a traceback on stderr.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from engine.jobs import Progress, is_cancelled
from engine.pause_gate import GATE
from engine.proc_memory import release_free_memory, status_mb
from engine.staging.result import StagingUnavailable
from engine.staging.yasa_lean import NO_JIT_ENV

POLL_S = 0.1
PARENT_ENV = "PEDSLEEP_PARENT_PID"  # the child dies with the app (_die_with_parent)
EXIT_UNAVAILABLE = 3
last_child_peak_mb: float | None = None  # the last child's own peak RSS (benchmarks print it)
_ROOT = Path(__file__).resolve().parents[2]  # the folder that holds engine/
# glibc serves a block from its heap once a block of that size was freed (its mmap
# threshold grows up to 32 MB): YASA's per-channel temporaries (~29 MB each on a 10-h
# night) then stay in a heap that fragments and is never given back, and the child's peak
# grew channel by channel (~+70 MB). A fixed threshold maps every block of 1 MiB or more
# on its own and unmaps it when freed; the child's time did not change (measured).
FIXED_MMAP_ENV = {"MALLOC_MMAP_THRESHOLD_": str(1 << 20)}


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env[PARENT_ENV] = str(os.getpid())
    env["PYTHONPATH"] = os.pathsep.join([str(_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    # leave a core to the GUI (LightGBM and numba use OpenMP)
    n = str(max(1, (os.cpu_count() or 2) - 1))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = n
    env.update(NO_JIT_ENV)  # nothing of antropy's needs compiling here (engine.staging.yasa_lean)
    env.update(FIXED_MMAP_ENV)
    return env


def _last_line(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1] if lines else ""


def yasa_in_child(data, names, types, meta, cancel=None):
    """A generator: yields ``Progress`` while the child works and returns (with ``yield
    from``) ``(proba, features, columns)``, or None when ``cancel`` stopped it. ``data``'s
    arrays are let go once written. Raises ``StagingUnavailable`` when YASA cannot stage
    the night or the child cannot be run."""
    with tempfile.TemporaryDirectory(prefix="pedsleep-yasa-") as tmp:
        folder = Path(tmp)
        inp, out, status, err = (folder / n for n in ("in.npz", "out.npz", "status.txt", "stderr.txt"))
        arrays = {f"ch{i}": np.asarray(x) for i, x in enumerate(data)}
        try:
            np.savez(inp, names=np.array(names), types=np.array(types), meta=np.array(json.dumps(meta)),
                     **arrays)
        except OSError as exc:
            raise StagingUnavailable(f"could not hand the night to the stager ({exc.strerror or exc})") from None
        finally:
            del arrays
            for i in range(len(data)):
                data[i] = np.empty(0)
        # the night's reads are free now: give their heap back before the child grows
        # (the app and the child peak together while it runs)
        release_free_memory()
        cmd = [sys.executable, "-m", "engine.staging.yasa_process", str(inp), str(out), str(status)]
        with open(err, "wb") as err_fh:
            try:
                proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err_fh,
                                        env=_child_env(), cwd=str(_ROOT))
            except OSError as exc:
                raise StagingUnavailable(f"could not start the stager's process ({exc.strerror or exc})") from None
            GATE.register_process(proc.pid)  # stopped while the scorer acts (engine.pause_gate)
            try:
                last = ""
                while True:
                    try:
                        rc = proc.wait(timeout=POLL_S)
                        break
                    except subprocess.TimeoutExpired:
                        pass
                    if is_cancelled(cancel):
                        return None
                    line = _last_line(status)
                    if line != last and line.startswith("progress "):
                        last = line
                        _, frac, msg = line.split(" ", 2)
                        yield Progress(float(frac), msg)
            finally:
                GATE.unregister_process(proc.pid)  # continued if the gate had stopped it
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        if rc == EXIT_UNAVAILABLE:
            why = _last_line(status).removeprefix("unavailable: ")
            raise StagingUnavailable(why or "YASA could not stage this study")
        if rc != 0 or not out.is_file():
            raise RuntimeError(f"the YASA stager's process failed (exit status {rc}): "
                               f"{_last_line(err) or 'no message'}")
        global last_child_peak_mb
        peak = [ln for ln in status.read_text(errors="replace").splitlines() if ln.startswith("peak_mb ")]
        last_child_peak_mb = float(peak[-1].split()[1]) if peak else None
        with np.load(out, allow_pickle=False) as z:
            return z["proba"], z["features"], tuple(str(c) for c in z["columns"])


def _status(path: str, text: str) -> None:
    with open(path, "a") as fh:
        fh.write(text + "\n")


def _die_with_parent() -> None:
    """Linux: the kernel kills this child when the thread that started it ends (the
    app killed, or crashed, while the child worked, or was stopped by the pause gate)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    parent = os.environ.get(PARENT_ENV)
    if parent and os.getppid() != int(parent):  # the parent was gone before prctl
        os._exit(1)


def main(argv: list[str]) -> int:
    inp, out, status = argv
    _die_with_parent()
    try:
        os.nice(10)  # below the GUI, like the assistant's worker thread
    except OSError:
        pass
    from engine.staging.yasa_lean import import_antropy_without_numba, import_yasa_without_plotting
    from engine.staging.yasa_stager import yasa_proba_and_features

    import_antropy_without_numba()  # before YASA's fit imports it: no LLVM loaded (yasa_lean)
    import_yasa_without_plotting()  # nor matplotlib and seaborn, which it never draws with

    with np.load(inp, allow_pickle=False) as z:
        names = [str(n) for n in z["names"]]
        types = [str(t) for t in z["types"]]
        meta = json.loads(str(z["meta"]))
        data = [z[f"ch{i}"] for i in range(len(names))]
    _status(status, "progress 0.4 staging: YASA features and classifier (whole night, in its own process)")
    try:
        proba, features, columns = yasa_proba_and_features(data, names, types, meta)
    except StagingUnavailable as exc:
        _status(status, f"unavailable: {exc}")
        return EXIT_UNAVAILABLE
    tmp = out + ".part.npz"
    np.savez(tmp, proba=proba, features=features, columns=np.array(columns))
    os.replace(tmp, out)
    _status(status, f"peak_mb {status_mb('VmHWM'):.0f}")
    _status(status, "progress 0.95 staging: YASA finished")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Issue 16: the first page must not wait for the model's libraries. Importing the GUI
(gui.main_window, engine.api) and opening a study with the assistant off, its first page
filtered and drawn, loads none of scipy, torch, yasa, mne, scikit-learn, lightgbm or
psgscoring: they load in the assistant's worker, after the window is up (``import
scipy.signal`` alone is ~1.4 s of CPU; the display filter is numpy-only). Nor does it load
the engine's own rooms the first page does not need (engine.lazy_exports): the rules,
the stager, the assistant's logic, the model input, importers, exporters, reports."""

import subprocess
import sys
from pathlib import Path

from tests.helpers.edf_factory import psg_signals, write_edf

HEAVY = ("scipy", "torch", "yasa", "mne", "sklearn", "lightgbm", "psgscoring")
DEFERRED = ("engine.events", "engine.staging", "engine.assistant.apply", "engine.assistant.learning",
            "engine.assistant.review", "engine.assistant.real_refit", "engine.channels.model_input",
            "engine.scoring.compare", "engine.scoring.exporters", "engine.scoring.importers",
            "engine.scoring.report", "engine.inference", "engine.model")
ROOT = Path(__file__).resolve().parents[1]

_PROBE = """
import sys
heavy = {heavy!r}
import engine.api
import gui.main_window
loaded = [m for m in heavy if m in sys.modules]
print("after import:", ",".join(loaded))
if {open_study!r}:
    from engine.channels.profiles import ProfileStore
    from gui.app import create_app
    from gui.main_window import MainWindow
    app = create_app(["probe"])
    w = MainWindow(profiles=ProfileStore({profiles!r}))
    w.assistant.enabled_action.setChecked(False)
    w.assistant.set_enabled(False)
    w.show()
    assert w.open_path({edf!r})
    app.processEvents()
    assert w.viewer.signal_view.n_drawn_points > 0  # the first page was filtered and drawn
    w.close()
    print("after opening:", ",".join(m for m in heavy if m in sys.modules))
    print("engine after opening:", ",".join(m for m in {deferred!r} if m in sys.modules))
"""


def _run(tmp_path, open_study: bool) -> dict[str, list[str]]:
    if open_study:  # written here: the probe process loads only what opening it needs
        write_edf(str(tmp_path / "s.edf"), psg_signals(128.0), n_records=600)
    code = _PROBE.format(heavy=HEAVY, deferred=DEFERRED, open_study=open_study,
                         edf=str(tmp_path / "s.edf"), profiles=str(tmp_path / "profiles"))
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env={"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr[-2000:]
    out = {}
    for line in r.stdout.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k] = [m for m in v.strip().split(",") if m]
    return out


def test_gui_import_and_first_study_load_no_model_libraries(tmp_path):
    out = _run(tmp_path, open_study=True)
    assert out["after import"] == [], f"imported at start-up: {out['after import']}"
    assert out["after opening"] == [], f"imported to open a study: {out['after opening']}"
    assert out["engine after opening"] == [], f"loaded to open a study: {out['engine after opening']}"


def test_the_starter_model_is_found_before_torch_loads():
    """The assistant checks the model file is there before importing torch, and imports
    torch only with the collector held off (gui/gc_pauses.py): naming the file loads none."""
    code = ("import sys\nfrom engine.api import default_model_path\np = default_model_path()\n"
            "print(p.is_file(), 'torch' in sys.modules, 'engine.inference' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["True", "False", "False"]

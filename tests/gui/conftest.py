import pytest

import gui  # noqa: F401 — first: pyqtgraph loads the way the app loads it (gui/pyqtgraph_import.py)
from tests.helpers.edf_factory import psg_signals, write_edf


@pytest.fixture
def night_edf(tmp_path):
    """A 1-h, 16-channel recording with canonical labels (256 Hz EEG)."""
    p = tmp_path / "night.edf"
    write_edf(p, psg_signals(256.0), n_records=3600)
    return p


@pytest.fixture(autouse=True)
def _no_thread_left_behind(qtbot):
    """napari-style: a test that leaves a worker thread running fails, and the model cache
    starts empty for every test, so no result from one test arrives in another."""
    from gui.assistant.controller import reset_runner_cache
    from gui.workers import running_workers

    reset_runner_cache()
    yield
    left = running_workers()
    for w in left:
        w.cancel()
    reset_runner_cache()
    assert not left, f"{len(left)} worker thread(s) left running: {[getattr(w, 'kind', '?') for w in left]}"


@pytest.fixture
def window(qtbot, tmp_path, request):
    """The main window with the assistant OFF, so nothing arrives from a model thread in
    the middle of a test; a test opts in with ``@pytest.mark.assistant``."""
    from engine.channels.profiles import ProfileStore
    from gui.app import configure_pyqtgraph
    from gui.main_window import MainWindow

    configure_pyqtgraph()
    w = MainWindow(profiles=ProfileStore(tmp_path / "profiles"))
    qtbot.addWidget(w)
    if request.node.get_closest_marker("assistant") is None:
        w.assistant.enabled_action.setChecked(False)
        w.assistant.set_enabled(False)
    # YASA in process here (the child's imports cost seconds per test); the real-staging
    # tests switch the app's default, the child process, back on
    w.assistant.ctl.stage_in_child = False
    w.resize(1600, 900)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close_study()


@pytest.fixture
def scored(window, night_edf):
    """The window with a generated 1-h study open (assistant off)."""
    assert window.open_path(str(night_edf))
    return window


def doc(w):
    """The scoring document of the window's open study."""
    return w.scoring.ctl.doc


def wait_pyramids(qtbot, w, timeout=20000):
    qtbot.waitUntil(lambda: w.viewer.pyramid_worker is None or not w.viewer.pyramid_worker.is_running(),
                    timeout=timeout)

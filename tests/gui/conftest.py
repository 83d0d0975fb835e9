import pytest

from tests.helpers.edf_factory import psg_signals, write_edf


@pytest.fixture
def night_edf(tmp_path):
    """A 1-h, 16-channel recording with canonical labels (256 Hz EEG)."""
    p = tmp_path / "night.edf"
    write_edf(p, psg_signals(256.0), n_records=3600)
    return p


@pytest.fixture
def window(qtbot, tmp_path):
    from engine.channels.profiles import ProfileStore
    from gui.app import configure_pyqtgraph
    from gui.main_window import MainWindow

    configure_pyqtgraph()
    w = MainWindow(profiles=ProfileStore(tmp_path / "profiles"))
    qtbot.addWidget(w)
    w.resize(1600, 900)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.viewer.close_study()


def wait_pyramids(qtbot, w, timeout=20000):
    qtbot.waitUntil(lambda: w.viewer.pyramid_worker is None or not w.viewer.pyramid_worker.is_running(),
                    timeout=timeout)

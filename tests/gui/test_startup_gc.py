"""Start-up garbage collection (issue 16): main.py turns gc off while the app starts;
gui.app.main freezes what start-up made and turns gc back on — always, so the app never
runs without a collector."""

import gc

import gui.gc_pauses as gc_pauses
from gui.gc_pauses import end_startup_gc
from tests.helpers.app_process import run_python


def test_end_startup_gc_freezes_and_reenables(monkeypatch):
    monkeypatch.setattr(gc_pauses, "_managed", False)  # restored after: later tests stay unmanaged
    gc.disable()
    try:
        end_startup_gc()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
        assert gc_pauses.managed()
    finally:
        gc.unfreeze()
        gc.enable()


def test_end_startup_gc_leaves_a_running_collector_alone():
    assert gc.isenabled()
    before = gc.get_freeze_count()
    end_startup_gc()
    assert gc.isenabled() and gc.get_freeze_count() == before
    assert not gc_pauses.managed()


def test_the_app_runs_with_gc_on_after_start_up(tmp_path):
    """main.py with a study: when the first page is drawn, gc is on and start-up is frozen."""
    from tests.helpers.edf_factory import psg_signals, write_edf

    edf = tmp_path / "s.edf"
    write_edf(edf, psg_signals(128.0), n_records=120)
    code = ("import gc, runpy, sys\n"
            "import gui.app as app\n"
            "seen = []\n"
            "class Probe(app.StartupProbe):\n"
            "    def _page_painted(self):\n"
            "        seen.append((gc.isenabled(), gc.get_freeze_count() > 10_000))\n"
            "        super()._page_painted()\n"
            "app.StartupProbe = Probe\n"
            f"sys.argv = ['main.py', '--report-first-page', '--no-assistant', {str(edf)!r}]\n"
            "try:\n"
            "    runpy.run_path('main.py', run_name='__main__')\n"
            "except SystemExit:\n"
            "    pass\n"
            "print('gc at first page:', seen)\n")
    r = run_python(code, tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "gc at first page: [(True, True)]" in r.stdout, r.stdout + r.stderr[-1000:]

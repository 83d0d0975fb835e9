"""engine.lazy_exports: names that load on first use (issue 16: the first page does not
wait for the rules, the stager or the exporters) still resolve, to the real objects."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", ["engine.api", "engine.scoring", "engine.assistant"])
def test_every_exported_name_resolves(module):
    mod = importlib.import_module(module)
    names = list(getattr(mod, "__all__", []))
    if module == "engine.api":
        names += [n for ns in mod._LAZY.values() for n in ns]
    assert names
    for name in names:
        assert getattr(mod, name) is not None, f"{module}.{name}"
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        mod.not_a_name  # noqa: B018


def test_a_lazy_name_is_the_defining_modules_object():
    import engine.api as api
    from engine.events import events_job
    from engine.scoring.exporters import export_edf_plus

    assert api.events_job is events_job
    assert api.export_edf_plus is export_edf_plus


def test_importing_the_facade_loads_no_lazy_room():
    code = ("import sys, engine.api\n"
            "print(','.join(m for m in ('engine.events', 'engine.staging', 'engine.scoring.exporters',\n"
            "      'engine.scoring.report', 'engine.assistant.apply') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""

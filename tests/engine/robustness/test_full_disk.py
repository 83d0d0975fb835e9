"""A full disk (RLIMIT_FSIZE in a child process: every write past the limit fails with
EFBIG, as on a full disk) never leaves partial output, and the journal keeps every edit it
acknowledged; outputs never replace an input (issue 14)."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.errors import UserError
from engine.io.safe_output import output_set
from engine.scoring import Scoring, Stage
from tests.conftest import SHARED_DATA

PROJECT_ROOT = Path(__file__).resolve().parents[3]
PSG = SHARED_DATA / "sleep-edf" / "SC4001E0-PSG-first300s.edf"
HYP = SHARED_DATA / "sleep-edf" / "SC4001EC-Hypnogram.edf"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")


def _fsize_limit(n_bytes: int):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (n_bytes, n_bytes))
    return apply


def _run(args, limit: int, cwd=PROJECT_ROOT):
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args], cwd=str(cwd), capture_output=True, text=True,
        timeout=120, preexec_fn=_fsize_limit(limit),
        env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)),
    )


@pytest.fixture
def real(shared_data):
    return shared_data / "sleep-edf" / PSG.name, shared_data / "sleep-edf" / HYP.name


def test_convert_on_a_full_disk_leaves_nothing(real, tmp_path):
    psg, hyp = real
    out = tmp_path / "out"
    out.mkdir()
    proc = _run(["convert", str(psg), "-a", str(hyp), "-o", str(out / "scored.edf")], 64 * 1024)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]  # (after the import's clipping warning)
    assert last.startswith("pedsleep convert: cannot write") and "disk is full" in last
    assert sorted(os.listdir(out)) == []  # no EDF, no sidecar, no temporary file


def test_convert_with_room_writes_the_whole_set(real, tmp_path):
    psg, hyp = real
    out = tmp_path / "out"
    proc = _run(["convert", str(psg), "-a", str(hyp), "-o", str(out / "scored.edf")], 16 * 1024**2)
    assert proc.returncode == 0, proc.stderr
    assert sorted(os.listdir(out)) == ["scored.edf", "scored.edf.pedsleep.json"]


def test_sidecar_failing_after_the_edf_leaves_neither_and_keeps_an_old_export(real, tmp_path, monkeypatch):
    """out.edf never appears without its sidecar: the disk fills between the two."""
    from engine.scoring.exporters import edf_plus, export_edf_plus
    from engine.scoring.importers import import_scoring

    psg, hyp = real
    doc = import_scoring(hyp, n_epochs=10).scoring
    out = tmp_path / "scored.edf"
    export_edf_plus(psg, doc, out)  # an earlier, complete export
    old = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_write = edf_plus.atomic_write_text

    def full(path, text):
        real_write(path, text[: len(text) // 2])  # a temp file gets written...
        raise UserError(f"cannot write {path}: [Errno 28] No space left on device")

    monkeypatch.setattr(edf_plus, "atomic_write_text", full)
    doc.set_stage(0, Stage.N3)
    with pytest.raises(UserError, match="No space left"):
        export_edf_plus(psg, doc, out)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == old  # old pair intact, no temp


def test_output_set_is_all_or_nothing(tmp_path):
    from engine.scoring.exporters._common import atomic_write_text

    with pytest.raises(RuntimeError), output_set():
        atomic_write_text(tmp_path / "a.txt", "a")
        atomic_write_text(tmp_path / "b.txt", "b")
        raise RuntimeError("the third output failed")
    assert os.listdir(tmp_path) == []
    with output_set():
        atomic_write_text(tmp_path / "a.txt", "a")
        assert os.listdir(tmp_path) != ["a.txt"]  # not before the set is complete
        atomic_write_text(tmp_path / "b.txt", "b")
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.txt"]


@pytest.mark.parametrize("suffix", [".edf", ".tsv", ".csv"])
def test_convert_never_overwrites_its_scoring_input(real, suffix, tmp_path):
    from engine.cli import main

    psg, hyp = real
    if suffix != ".edf":  # a CSV/TSV scoring given as input and as output
        scoring = tmp_path / f"hyp{suffix}"
        assert main(["convert", str(psg), "-a", str(hyp), "-o", str(scoring)]) == 0
    else:
        scoring = hyp
    before = scoring.read_bytes()
    link = tmp_path / f"alias{suffix}"
    os.link(scoring, link)  # the same file under another name
    for target in (scoring, link):
        assert main(["convert", str(psg), "-a", str(scoring), "-o", str(target)]) == 2
    assert scoring.read_bytes() == before


JOURNAL_CHILD = textwrap.dedent(
    """
    import sys
    from engine.errors import UserError
    from engine.scoring import open_scoring, EventType
    s = open_scoring(sys.argv[1], 200)
    acked = 0
    for i in range(100000):
        try:
            s.doc.add_event(float(i), 1.0, EventType.AROUSAL)
        except UserError as exc:
            print("refused", acked, str(exc)[:200], flush=True)
            break
        acked += 1
    s.close()
    """
)


def test_journal_on_a_full_disk_keeps_every_acknowledged_edit(tmp_path):
    study = tmp_path / "night.edf"
    study.write_bytes(b"0       " + b" " * 248)
    proc = subprocess.run(
        [sys.executable, "-c", JOURNAL_CHILD, str(study)], cwd=str(PROJECT_ROOT),
        capture_output=True, text=True, timeout=120, preexec_fn=_fsize_limit(48 * 1024),
        env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)),
    )
    assert proc.returncode == 0, proc.stderr
    word, acked, msg = proc.stdout.split(" ", 2)
    assert word == "refused" and int(acked) > 20, proc.stdout
    assert "not applied" in msg
    from engine.scoring import open_scoring

    s = open_scoring(study, 200)
    assert s.warnings == [] and len(s.doc.events()) == int(acked)  # none lost, none half-written
    s.close()
    assert isinstance(s.doc, Scoring)


@pytest.mark.slow  # runs the model and the stager on a 5-min study: ~20 s of CPU
def test_score_report_failing_leaves_no_scored_edf(real, tmp_path, monkeypatch, capsys):
    """`score` writes the scored EDF, its sidecar and the report as one set: the disk
    filling up at the report leaves none of them."""
    import engine.scoring as scoring
    from engine.cli import main

    psg, _ = real

    def full(path, *a, **k):
        raise UserError(f"cannot write {path}: the disk is full")

    monkeypatch.setattr(scoring, "write_report_html", full)
    out = tmp_path / "out"
    assert main(["score", str(psg), "-o", str(out), "--device", "cpu", "--threads", "1"]) == 2
    assert "the disk is full" in capsys.readouterr().err
    assert os.listdir(out) == []


def test_a_failed_set_puts_back_the_outputs_it_had_replaced(tmp_path, monkeypatch):
    """Re-writing an existing output set: when a later rename fails, the earlier targets
    get their previous content back (not deleted), and no temporary or kept copy is left."""
    from engine.errors import UserError
    from engine.io import safe_output
    from engine.io.safe_output import OutputSet

    a, b = tmp_path / "out.edf", tmp_path / "out.edf.pedsleep.json"
    a.write_text("old edf")
    b.write_text("old sidecar")
    ta, tb = tmp_path / "a.tmp", tmp_path / "b.tmp"
    ta.write_text("new edf")
    tb.write_text("new sidecar")
    s = OutputSet()
    s.add(ta, a)
    s.add(tb, b)
    real_replace = safe_output.os.replace

    def replace(src, dst):
        if str(dst) == str(b) and str(src) == str(tb):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(safe_output.os, "replace", replace)
    import pytest

    with pytest.raises(UserError, match="disk is full"):
        s.commit()
    assert a.read_text() == "old edf" and b.read_text() == "old sidecar"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.edf", "out.edf.pedsleep.json"]


def test_a_committed_set_replaces_and_leaves_no_kept_copy(tmp_path):
    from engine.io.safe_output import OutputSet

    a = tmp_path / "out.edf"
    a.write_text("old")
    t = tmp_path / "t.tmp"
    t.write_text("new")
    s = OutputSet()
    s.add(t, a)
    s.commit()
    assert a.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["out.edf"]

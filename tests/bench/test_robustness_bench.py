"""Issue 14 figures (`make bench`): reopening a long scoring journal with and without
compaction, and the hostile inputs that used to hang or exhaust memory, now answered in
milliseconds. Prints a table; asserts only generous bounds."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from tests.engine.robustness.variants import _annotation_slot

pytestmark = pytest.mark.bench
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _edits(doc, n):
    from engine.scoring import EventType

    for i in range(n):  # a scorer's mix: stages, events, their edits, some undos
        k = i % 4
        if k == 0:
            doc.set_stage(i % doc.n_epochs, i % 5)
        elif k == 1:
            doc.add_event(float(i), 10.0, EventType.OBSTRUCTIVE_APNEA)
        elif k == 2:
            eid = max(e.id for e in doc.events())
            doc.update_event(eid, duration_s=12.0)
        else:
            doc.undo()


def test_journal_reopen_after_3792_edits(tmp_path, capsys):
    from engine.scoring import open_scoring
    from engine.scoring.journal import journal_path_for

    study = tmp_path / "night.edf"
    study.write_bytes(b"0       " + b" " * 248)
    s = open_scoring(study, 1200)
    _edits(s.doc, 3792)
    stages, n_ev, n_undo = s.doc.stages().copy(), s.doc.n_events, len(s.doc.history_to_dict()["undo"])
    s.close()
    path = journal_path_for(study)
    size_before = path.stat().st_size
    t0 = time.perf_counter()
    s = open_scoring(study, 1200)  # replays 3,792 records, then compacts
    t_first = time.perf_counter() - t0
    assert (s.doc.stages() == stages).all() and s.doc.n_events == n_ev
    assert len(s.doc.history_to_dict()["undo"]) == n_undo
    s.close()
    size_after = path.stat().st_size
    t0 = time.perf_counter()
    s = open_scoring(study, 1200)  # loads the snapshot with its undo history
    t_second = time.perf_counter() - t0
    s.close()
    with capsys.disabled():
        print(f"\njournal, 3,792 edits ({n_undo} undo steps kept): {size_before / 1e6:.2f} MB, "
              f"first reopen (replay + compaction) {t_first:.2f} s; compacted "
              f"{size_after / 1e6:.2f} MB, next reopen {t_second:.2f} s")


def _hostile(tmp_path):
    """The issue's hostile inputs, rebuilt from the real files."""
    out = {}
    hyp = (SHARED_DATA / "sleep-edf" / "SC4001EC-Hypnogram.edf").read_bytes()
    hb, rs, off, size = _annotation_slot(hyp)
    b = bytearray(hyp)
    tal = b"+0\x153000000000\x14Sleep stage W\x14\x00"
    start = hb + off + bytes(b[hb + off: hb + off + size]).index(b"\x00") + 1
    b[start: start + len(tal)] = tal
    (tmp_path / "stage3e9.edf").write_bytes(bytes(b))
    out["EDF+ stage of 3e9 s (convert)"] = ["convert", str(SHARED_DATA / "sleep-edf" / "SC4001E0-PSG-first300s.edf"),
                                            "-a", str(tmp_path / "stage3e9.edf"), "-o", str(tmp_path / "o.edf")]
    hmc = (SHARED_DATA / "annotations" / "hmc" / "SN001-annotations.edf").read_bytes()
    hb, rs, off, size = _annotation_slot(hmc)
    b = bytearray(hmc)
    digits = b"+0" + b"0" * 61_438  # fills the annotation channel, no terminator
    assert len(digits) <= size
    b[hb + off: hb + off + size] = digits.ljust(size, b"\x00")
    (tmp_path / "digits.edf").write_bytes(bytes(b))
    out["TAL '+0' and 61,438 digits (info)"] = ["info", "--json", str(tmp_path / "digits.edf")]
    pld = bytearray((SHARED_DATA / "resmed" / "20260111_220919_PLD.edf").read_bytes())
    pld[244:252] = b"99999999"
    (tmp_path / "pld.edf").write_bytes(bytes(pld))
    out["PLD, record duration 99999999 (info)"] = ["info", str(tmp_path / "pld.edf")]
    return out


def test_hostile_inputs_answered_fast(tmp_path, capsys):
    if not SHARED_DATA.is_dir():
        pytest.skip("real recordings not available")
    rows = []
    for what, argv in _hostile(tmp_path).items():
        t0 = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        proc = subprocess.run([sys.executable, "-m", "engine.cli", *argv], cwd=str(PROJECT_ROOT),
                              capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)))
        dt = time.perf_counter() - t0
        rss = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        assert proc.returncode in (0, 2) and "Traceback" not in proc.stderr
        if argv[0] == "info" and "--json" in argv and proc.returncode == 0:
            json.loads(proc.stdout)
        rows.append((what, proc.returncode, dt, rss, proc.stderr.strip().splitlines()[-1][:90]
                     if proc.stderr.strip() else ""))
        assert dt < 30
    with capsys.disabled():
        print("\nhostile input | exit | wall s (incl. interpreter start) | peak RSS MB (max so far) | last stderr line")
        for r in rows:
            print(f"{r[0]} | {r[1]} | {r[2]:.2f} | {r[3]:.0f} | {r[4]}")

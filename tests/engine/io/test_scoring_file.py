"""An annotation-only EDF+ is named a scoring, and its recording is found beside it by clock
time (engine/io/scoring_file.py): the real ResMed night (EVE starts at switch-on, BRP an
hour later), the Sleep-EDF hypnogram beside its PSG excerpt, the HMC annotations alone."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import UserError
from engine.io import open_study
from engine.io.scoring_file import (
    MAX_FOLDER_FILES,
    holds_no_signals,
    recording_for,
    refuse_scoring_only,
    scoring_only_text,
)
from tests.helpers.edf_factory import Sig, write_edf

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
RESMED = DATA / "resmed"
EVE = RESMED / "20260111_210642_EVE.edf"
needs_data = pytest.mark.skipif(not EVE.exists(), reason="../shared/data (real recordings) is not here")


def _annotation_only_edf(path: Path, onsets_s: list[float], startdate="01.02.20", starttime="22.00.00"):
    """An EDF+C with one annotation signal and no data signal (a hypnogram file), one
    annotation per onset, all in its first record."""
    tal = b"+0\x14\x14\x00" + b"".join(f"+{o:g}\x1530\x14Sleep stage 2\x14\x00".encode() for o in onsets_s)
    nbytes = (len(tal) + 1) // 2 * 2
    spr = nbytes // 2

    def f(v, w):
        return str(v).encode("latin-1")[:w].ljust(w)
    hdr = (f("0", 8) + f("X X X X", 80) + f("Startdate X X X X", 80) + f(startdate, 8) + f(starttime, 8)
           + f(512, 8) + f("EDF+C", 44) + f(1, 8) + f(0, 8) + f(1, 4)
           + f("EDF Annotations", 16) + f("", 80) + f("", 8) + f(-1, 8) + f(1, 8) + f(-32768, 8)
           + f(32767, 8) + f("", 80) + f(spr, 8) + f("", 32))
    path.write_bytes(hdr + tal.ljust(nbytes, b"\x00"))


@needs_data
def test_a_resmed_event_file_is_a_scoring_whose_recording_is_the_flow_file():
    s = open_study(EVE)
    try:
        assert holds_no_signals(s)
        assert scoring_only_text(s) == ("20260111_210642_EVE.edf holds 5 annotations and no signals: "
                                        "it is a scoring, not a recording")
        # BRP (25 Hz flow), PLD and SAD span the same hours: the highest rate wins
        assert recording_for(s) == RESMED / "20260111_220919_BRP.edf"
        with pytest.raises(UserError, match=r"its recording here is 20260111_220919_BRP\.edf; nothing was"):
            refuse_scoring_only(s, "nothing was scored")
    finally:
        s.close()
    brp = open_study(RESMED / "20260111_220919_BRP.edf")
    try:
        assert not holds_no_signals(brp)
        refuse_scoring_only(brp, "unused")  # a recording passes
    finally:
        brp.close()


@needs_data
def test_the_sleep_edf_hypnogram_finds_its_psg_and_hmc_annotations_alone_find_none():
    s = open_study(DATA / "sleep-edf" / "SC4001EC-Hypnogram.edf")
    try:
        assert holds_no_signals(s)
        assert recording_for(s).name in ("SC4001E0-PSG-first300s.edf", "SC4001E0-PSG-first300s.bdf")
    finally:
        s.close()
    s = open_study(DATA / "annotations" / "hmc" / "SN001-annotations.edf")
    try:
        assert holds_no_signals(s) and recording_for(s) is None  # no recording in that folder
    finally:
        s.close()


def test_the_recording_holding_most_of_the_annotations_is_chosen(tmp_path):
    # two recordings at 22:00 and 23:00 (1 h each); the scoring starts 22:00 with one
    # annotation in the first hour and three in the second
    write_edf(tmp_path / "a_first.edf", [Sig("EEG C3-M2", 100)], n_records=3600, starttime="22.00.00")
    write_edf(tmp_path / "b_second.edf", [Sig("EEG C3-M2", 100)], n_records=3600, starttime="23.00.00")
    write_edf(tmp_path / "c_elsewhere.edf", [Sig("EEG C3-M2", 100)], n_records=60, starttime="08.00.00")
    (tmp_path / "notes.txt").write_text("not a recording")
    (tmp_path / "broken.edf").write_bytes(b"0       garbage")
    hyp = tmp_path / "scoring.edf"
    _annotation_only_edf(hyp, [100.0, 3700.0, 4000.0, 5000.0])
    s = open_study(hyp)
    try:
        assert holds_no_signals(s) and len(s.annotations) == 4
        assert recording_for(s) == tmp_path / "b_second.edf"
    finally:
        s.close()
    (tmp_path / "b_second.edf").unlink()
    s = open_study(hyp)
    try:
        assert recording_for(s) == tmp_path / "a_first.edf"
    finally:
        s.close()


def test_a_scoring_whose_times_no_recording_covers_finds_none_and_a_huge_folder_is_not_scanned(tmp_path):
    write_edf(tmp_path / "night.edf", [Sig("EEG C3-M2", 100)], n_records=600, starttime="22.00.00")
    hyp = tmp_path / "scoring.edf"
    _annotation_only_edf(hyp, [0.0, 30.0], starttime="10.00.00")
    s = open_study(hyp)
    try:
        assert recording_for(s) is None
    finally:
        s.close()
    _annotation_only_edf(hyp, [0.0, 30.0], starttime="22.00.00")
    s = open_study(hyp)
    try:
        assert recording_for(s) == tmp_path / "night.edf"
        for i in range(MAX_FOLDER_FILES):
            (tmp_path / f"f{i:04d}.txt").touch()
        assert recording_for(s) is None  # an archive folder: not read file by file
    finally:
        s.close()


@needs_data
def test_score_and_info_name_the_scoring_and_its_recording(tmp_path):
    night = tmp_path / "night"
    shutil.copytree(RESMED, night)
    eve = night / EVE.name
    cli = [sys.executable, "-m", "engine.cli"]
    r = subprocess.run(cli + ["score", str(eve), "-o", str(tmp_path / "out")], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "is a scoring, not a recording; its recording here is 20260111_220919_BRP.edf" in r.stderr
    assert not any((tmp_path / "out").glob("*"))
    r = subprocess.run(cli + ["info", "--json", str(eve)], capture_output=True, text=True, timeout=120)
    d = json.loads(r.stdout)
    assert d["scoring_only"] is True and d["recording"] == str(night / "20260111_220919_BRP.edf")
    r = subprocess.run(cli + ["info", "--json", str(night / "20260111_220919_BRP.edf")], capture_output=True,
                       text=True, timeout=120)
    assert json.loads(r.stdout)["scoring_only"] is False


@needs_data
def test_the_scorings_beside_a_recording_are_found_by_time_and_by_name():
    from engine.io.scoring_file import scorings_for

    def beside(path):
        s = open_study(path)
        try:
            return [p.name for p in scorings_for(s)]
        finally:
            s.close()

    for part in ("BRP", "PLD", "SAD"):  # the device's events belong to all three files of the night
        assert beside(RESMED / f"20260111_220919_{part}.edf") == ["20260111_210642_EVE.edf"]
    assert beside(DATA / "sleep-edf" / "SC4001E0-PSG-first300s.edf") == ["SC4001EC-Hypnogram.edf"]
    assert beside(DATA / "dreams-dev" / "excerpt3.edf") == ["Hypnogram_excerpt3.txt"]
    assert beside(DATA / "nox" / "nox-a1-120s.edf") == []


def test_a_scoring_at_other_times_is_not_one_of_this_recording(tmp_path):
    from engine.io.scoring_file import scorings_for

    write_edf(tmp_path / "night.edf", [Sig("EEG C3-M2", 100)], n_records=600, starttime="22.00.00")
    _annotation_only_edf(tmp_path / "other-night.edf", [0.0, 30.0], starttime="10.00.00")
    (tmp_path / "night.xml").write_text("<PSGAnnotation/>")
    s = open_study(tmp_path / "night.edf")
    try:
        assert [p.name for p in scorings_for(s)] == ["night.xml"]
        _annotation_only_edf(tmp_path / "other-night.edf", [500.0], starttime="22.00.00")
        assert [p.name for p in scorings_for(s)] == ["night.xml", "other-night.edf"]
    finally:
        s.close()


def test_times_alone_never_pick_between_two_patients(tmp_path):
    """Anonymised files often share a start (01.01.85 00.00.00): a scoring named for one
    patient goes to that patient's recording, and equally named ones pick nobody."""
    from engine.io.scoring_file import recording_candidates, scorings_for

    for name in ("patA.edf", "patB.edf"):
        write_edf(tmp_path / name, [Sig("EEG C3-M2", 100)], n_records=600, startdate="01.01.85", starttime="00.00.00")
    for name in ("patA-Hypnogram.edf", "patB-Hypnogram.edf"):
        _annotation_only_edf(tmp_path / name, [0.0, 30.0], startdate="01.01.85", starttime="00.00.00")
    s = open_study(tmp_path / "patB-Hypnogram.edf")
    try:
        assert recording_for(s) == tmp_path / "patB.edf"
    finally:
        s.close()
    rec = open_study(tmp_path / "patB.edf")
    try:  # the closest name first
        assert [p.name for p in scorings_for(rec)] == ["patB-Hypnogram.edf", "patA-Hypnogram.edf"]
    finally:
        rec.close()
    _annotation_only_edf(tmp_path / "scoring.edf", [0.0, 30.0], startdate="01.01.85", starttime="00.00.00")
    s = open_study(tmp_path / "scoring.edf")
    try:  # a name close to neither: two sessions tie, the scorer chooses
        assert recording_for(s) is None
        assert [p.name for p in recording_candidates(s)] == ["patA.edf", "patB.edf"]
    finally:
        s.close()
    (tmp_path / "patA-Hypnogram.edf").rename(tmp_path / "other-Hypnogram.edf")
    (tmp_path / "patB-Hypnogram.edf").rename(tmp_path / "third-Hypnogram.edf")
    rec = open_study(tmp_path / "patB.edf")
    try:  # hypnograms equally far from its name, of different sessions: none is offered
        assert scorings_for(rec) == []
    finally:
        rec.close()


def test_the_files_of_one_session_are_one_candidate(tmp_path):
    from engine.io.scoring_file import session_key

    assert session_key("20260111_220919_BRP") == session_key("20260111_220919_SAD") == "20260111_220919"
    assert session_key("night") == "night" and session_key("night1") != session_key("night2")
    write_edf(tmp_path / "n_flow.edf", [Sig("Flow", 25)], n_records=600, starttime="22.00.00")
    write_edf(tmp_path / "n_spo2.edf", [Sig("SpO2", 1, "%", 0, 100)], n_records=600, starttime="22.00.00")
    _annotation_only_edf(tmp_path / "events.edf", [60.0], starttime="22.00.00")
    s = open_study(tmp_path / "events.edf")
    try:
        assert recording_for(s) == tmp_path / "n_flow.edf"  # one session: its fastest file
    finally:
        s.close()


def test_a_scoring_in_another_format_finds_the_recording_named_for_it(tmp_path):
    from engine.io.scoring_file import recording_named_for

    write_edf(tmp_path / "excerpt1.edf", [Sig("C3-A1", 100)], n_records=10)
    write_edf(tmp_path / "night.EDF", [Sig("C3-A1", 100)], n_records=10)
    for name in ("Hypnogram_excerpt1.txt", "night-nsrr.xml", "night.xml", "other.txt", "Hypnogram_gone.txt"):
        (tmp_path / name).write_text("x")
    assert recording_named_for(tmp_path / "Hypnogram_excerpt1.txt") == tmp_path / "excerpt1.edf"
    assert recording_named_for(tmp_path / "night-nsrr.xml") == tmp_path / "night.EDF"
    assert recording_named_for(tmp_path / "night.xml") == tmp_path / "night.EDF"
    assert recording_named_for(tmp_path / "other.txt") is None
    assert recording_named_for(tmp_path / "Hypnogram_gone.txt") is None


def test_overlaps_says_whether_a_scoring_falls_in_a_recording(tmp_path):
    from engine.io.scoring_file import overlaps

    write_edf(tmp_path / "night.edf", [Sig("C3-A1", 100)], n_records=600, starttime="22.00.00")
    _annotation_only_edf(tmp_path / "in.edf", [300.0], starttime="22.00.00")
    _annotation_only_edf(tmp_path / "out.edf", [300.0], starttime="09.00.00")
    rec = open_study(tmp_path / "night.edf")
    try:
        for name, want in (("in.edf", True), ("out.edf", False)):
            s = open_study(tmp_path / name)
            try:
                assert overlaps(s, rec) is want
            finally:
                s.close()
    finally:
        rec.close()

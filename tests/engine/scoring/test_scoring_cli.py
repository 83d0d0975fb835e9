"""`pedsleep convert` and `pedsleep report` through the real CLI dispatcher."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.scoring.importers import import_scoring

DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"real test data not found at {DATA} (../shared/data)"
)
PSG = DATA / "sleep-edf" / "SC4001E0-PSG-first300s.edf"
HYP = DATA / "sleep-edf" / "SC4001EC-Hypnogram.edf"


@needs_data
def test_convert_sleep_edf_psg_and_hypnogram(tmp_path: Path, capsys):
    pyedflib = pytest.importorskip("pyedflib")
    out = tmp_path / "SC4001-annotated.edf"
    assert main(["convert", str(PSG), "--annotations", str(HYP), "-o", str(out)]) == 0
    cap = capsys.readouterr()
    assert "longer than the recording" in cap.err and "clipped" in cap.err
    assert "10 stage" in cap.out
    r = pyedflib.EdfReader(str(out))
    try:
        onsets, durations, texts = r.readAnnotations()
        assert list(texts) == ["Sleep stage W"] * 10
        assert onsets.tolist() == [30.0 * i for i in range(10)]
        src = pyedflib.EdfReader(str(PSG))
        try:
            for i in range(src.signals_in_file):
                assert np.array_equal(
                    src.readSignal(i, digital=True), r.readSignal(i, digital=True)
                )
        finally:
            src.close()
    finally:
        r.close()


@needs_data
def test_convert_to_tsv_and_csv_without_study(tmp_path: Path):
    stage = DATA / "annotations" / "ucddb" / "ucddb002_stage.txt"
    out = tmp_path / "hyp.csv"
    assert main(["convert", "-a", str(stage), "-o", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 1 + 748 and lines[1].startswith("0,0,30,W,imported")
    tsv = tmp_path / "events.tsv"
    nox = DATA / "annotations" / "noxturnal" / "noxturnal_events_example_unicode_2.csv"
    assert main(["convert", "-a", str(nox), "-o", str(tsv)]) == 0
    rows = tsv.read_text().splitlines()[1:]
    assert sum(r.split("\t")[2] == "Obstructive apnea" for r in rows) == 114


@needs_data
def test_convert_errors_exit_2_with_one_line(tmp_path: Path, capsys):
    assert (
        main(["convert", str(PSG), "-a", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.edf")])
        == 2
    )
    assert "no such file" in capsys.readouterr().err
    assert main(["convert", str(PSG), "-a", str(HYP), "-o", str(PSG)]) == 2
    assert "refusing to overwrite the source" in capsys.readouterr().err
    assert main(["convert", "-a", str(HYP), "-o", str(tmp_path / "o.edf")]) == 2
    assert "needs the STUDY" in capsys.readouterr().err
    bad = tmp_path / "bad.xml"
    bad.write_text("<nope")
    assert main(["convert", str(PSG), "-a", str(bad), "-o", str(tmp_path / "o.edf")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("pedsleep convert: bad.xml")


@needs_data
def test_report_command_writes_html(tmp_path: Path, capsys):
    out = tmp_path / "report.html"
    stage = DATA / "annotations" / "ucddb" / "ucddb002_stage.txt"
    start = ["--study-start", "2001-01-01T23:00:00"]  # places the event list's clock times
    assert main(["report", str(stage), "-o", str(out), "--all-events", *start]) == 0
    text = capsys.readouterr().out
    assert "TST 313.5 min" in text and "AHI 23.7/h (pediatric: severe, adult: moderate)" in text
    assert "<svg" in out.read_text()
    # without the start the events cannot be placed: the stages come alone, and the
    # report says so on screen and in the file instead of counting misplaced events
    assert main(["report", str(stage), "-o", str(out)]) == 0
    got = capsys.readouterr()
    assert "TST 313.5 min" in got.out and "AHI n/a (pediatric: n/a, adult: n/a)  oAHI n/a  CAI n/a" in got.out
    assert "warning: ucddb002_respevt.txt was not merged: its 124 events are clock times" in got.err
    assert "ucddb002_respevt.txt was not merged" in out.read_text()
    assert main(["evaluate", str(stage), str(stage)]) == 0  # evaluate says it too
    assert "ucddb002_respevt.txt was not merged" in capsys.readouterr().err


@needs_data
def test_a_ucddb_recording_beside_the_stage_file_places_its_events(tmp_path: Path, capsys):
    import shutil

    from tests.helpers.edf_factory import Sig, write_edf

    for name in ("ucddb002_stage.txt", "ucddb002_respevt.txt"):
        shutil.copy(DATA / "annotations" / "ucddb" / name, tmp_path / name)
    write_edf(tmp_path / "ucddb002.rec", [Sig("C3A2", 128)], n_records=10, starttime="23.00.00")
    res = import_scoring(tmp_path / "ucddb002_stage.txt")
    assert res.n_events == 124 and res.events_not_placed == 0
    first = min(e.onset_s for e in res.scoring.events())
    assert first == 3600 + 29 * 60 + 13  # "00:29:13" after the recording's 23:00:00 start


@needs_data
def test_convert_with_study_start_anchors_clock_times(tmp_path: Path):
    resp = DATA / "annotations" / "ucddb" / "ucddb002_respevt.txt"
    out = tmp_path / "events.tsv"
    args = ["convert", "-a", str(resp), "--study-start", "2000-01-01T23:00:00"]
    assert main([*args, "--scored-only", "-o", str(out)]) == 0
    first = out.read_text().splitlines()[1].split("\t")
    # "00:29:13  HYP-C  16" -> 1 h 29 min 13 s after 23:00:00
    assert first[:3] == ["5353", "16", "Hypopnea"]

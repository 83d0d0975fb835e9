"""Every real annotation file imports with the right counts. Expected numbers were read
off the files by hand (shell counts of their lines/labels), not produced by the importer."""

from __future__ import annotations

import collections
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from engine.errors import ScoringFormatError
from engine.scoring import EventType, Provenance, Stage
from engine.scoring.importers import (
    detect_format,
    import_csv_hypnogram,
    import_scoring,
    import_ucddb_respevt,
    import_ucddb_stage,
)

DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
FIXTURES = Path(__file__).resolve().parent / "fixtures"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"real test data not found at {DATA} (../shared/data)"
)

W, N1, N2, N3, R, U = 0, 1, 2, 3, 4, -1


def _stage_counts(doc) -> dict[int, int]:
    st = doc.stages()
    scored_or_explicit = doc._stage_prov >= 0
    return {k: int(np.count_nonzero((st == k) & scored_or_explicit)) for k in (W, N1, N2, N3, R, U)}


def _types(doc) -> dict[str, int]:
    return dict(collections.Counter(e.type for e in doc.events(include_rejected=True)))


# ---------------------------------------------------------------- EDF+ annotations
@needs_data
def test_sleep_edf_hypnogram_rk_to_aasm(data_dir: Path):
    res = import_scoring(data_dir / "sleep-edf" / "SC4001EC-Hypnogram.edf")
    doc = res.scoring
    assert res.format == "edf"
    # 154 annotations; summed durations / 30 s per label (hand read): W 1997, 1 58,
    # 2 250, 3 101 + 4 119 -> N3 220, R 125, ? 230 -> 2880 epochs (24 h)
    assert doc.n_epochs == 2880
    assert _stage_counts(doc) == {W: 1997, N1: 58, N2: 250, N3: 220, R: 125, U: 230}
    assert res.n_stage_epochs == 2880 and res.n_events == 0
    assert doc.start_datetime == dt.datetime(1989, 4, 24, 16, 13)
    # the first annotation: W for 30630 s -> 1021 epochs; then stage 1 for 120 s
    assert (doc.stages()[:1021] == W).all() and doc.stages()[1021:1025].tolist() == [N1] * 4
    assert all(p is Provenance.IMPORTED for p in doc.stage_provenance())


@needs_data
def test_hmc_aasm_labels_and_lights(data_dir: Path):
    res = import_scoring(data_dir / "annotations" / "hmc" / "SN001-annotations.edf")
    doc = res.scoring
    # 856 annotations = 854 stages (W 151, N1 109, N2 430, N3 23, R 141) + lights off/on
    assert doc.n_epochs == 854
    assert _stage_counts(doc) == {W: 151, N1: 109, N2: 430, N3: 23, R: 141, U: 0}
    assert doc.n_events == 0
    assert doc.lights_off_s == pytest.approx(33.43)
    assert doc.lights_on_s == pytest.approx(25618.74)


@needs_data
def test_resmed_eve_edf_plus_d_falls_back_to_our_reader(data_dir: Path):
    res = import_scoring(data_dir / "resmed" / "20260111_210642_EVE.edf")
    doc = res.scoring
    # 5 annotations: "Recording starts" (a marker, skipped) + 4 obstructive apneas
    assert _types(doc) == {EventType.OBSTRUCTIVE_APNEA: 4}
    assert [(e.onset_s, e.duration_s) for e in doc.events()] == [
        (11954.0, 10.0),
        (22791.0, 13.0),
        (26424.0, 11.0),
        (29628.0, 14.0),
    ]
    assert any("own EDF+ reader" in w for w in res.warnings)


def test_movement_time_stays_an_event_and_long_stages_expand(tmp_path: Path):
    import pyedflib

    p = tmp_path / "hyp.edf"
    w = pyedflib.EdfWriter(str(p), 0, file_type=pyedflib.FILETYPE_EDFPLUS)
    for onset, dur, text in [
        (0, 90, "Sleep stage W"),
        (90, 30, "Movement time"),
        (120, 60, "Sleep stage 4"),
        (180, 30, "Sleep stage 3"),
        (210, 30, "Sleep stage R"),
        (240, 30, "Sleep stage ?"),
        (250, 12, "Obstructive apnea@@Flow"),
    ]:
        w.writeAnnotation(onset, dur, text)
    w.close()
    doc = import_scoring(p).scoring
    assert doc.stages().tolist() == [W, W, W, U, N3, N3, N3, R, U]
    assert doc._stage_prov[3] == -1  # movement time is not a stage
    assert [(e.type, e.onset_s, e.duration_s) for e in doc.events()] == [
        (EventType.MOVEMENT_TIME, 90.0, 30.0),
        (EventType.OBSTRUCTIVE_APNEA, 250.0, 12.0),
    ]
    assert doc.events()[1].channels == ("Flow",)


# ---------------------------------------------------------------- WFDB slpdb
# (stage lines, events) per record: stage lines = rdann lines after the header; events =
# aux tokens after the stage, HA/X/CAA/LA counting twice (event + arousal), plus one
# Movement time event per MT/M stage (awk over the files).
SLPDB = {
    "slp01a": (240, 418),
    "slp01b": (360, 151),
    "slp02a": (360, 221),
    "slp02b": (270, 145),
    "slp03": (720, 430),
    "slp04": (720, 736),
    "slp14": (714, 365),
    "slp16": (694, 635),
    "slp32": (640, 246),
    "slp37": (698, 745),
    "slp41": (780, 0),
    "slp45": (760, 4),
    "slp48": (760, 593),
    "slp59": (458, 454),
    "slp60": (710, 671),
    "slp61": (720, 449),
    "slp66": (439, 460),
    "slp67x": (154, 132),
}


@needs_data
@pytest.mark.parametrize("record", sorted(SLPDB))
def test_slpdb_rdann_counts(data_dir: Path, record: str):
    path = data_dir / "annotations" / "slpdb" / f"{record}.an"
    assert detect_format(path) == "wfdb-text"
    res = import_scoring(path)
    n_stages, n_events = SLPDB[record]
    assert res.n_stage_epochs == n_stages
    assert res.n_events == n_events
    assert all(e.provenance is Provenance.IMPORTED for e in res.scoring.events())


@needs_data
def test_slpdb_details(data_dir: Path):
    doc = import_scoring(data_dir / "annotations" / "slpdb" / "slp01a.an").scoring
    # first lines: "4 LA LA", "4 LA", "4 LA", "4 L L L" ...; 250 Hz, start 23:07:00 19/1/1989
    assert doc.stages()[:7].tolist() == [N3, N3, N3, N3, N3, N3, N3]
    assert doc.start_datetime == dt.datetime(1989, 1, 19, 23, 7)
    first = [e for e in doc.events() if e.onset_s == 0.0]
    assert collections.Counter(e.type for e in first) == {
        EventType.LIMB_MOVEMENT: 2,
        EventType.AROUSAL: 2,
    }
    # slp14 is scored from 3:00 on: the first six epochs stay unscored
    doc14 = import_scoring(data_dir / "annotations" / "slpdb" / "slp14.an").scoring
    assert doc14.stages()[:7].tolist() == [U] * 6 + [W]
    # "X" = obstructive apnea with arousal
    doc02 = import_scoring(data_dir / "annotations" / "slpdb" / "slp02a.an").scoring
    at180 = [e.type for e in doc02.events() if e.onset_s == 180.0]  # line "3:00.000 MT X"
    assert sorted(at180) == sorted(
        [EventType.MOVEMENT_TIME, EventType.OBSTRUCTIVE_APNEA, EventType.AROUSAL]
    )
    assert doc02.stages()[6] == U and doc02.stages()[5] == N2


# ---------------------------------------------------------------- UCDDB
# (stage lines, respiratory event lines) per subject (grep counts)
UCDDB = {
    "ucddb002": (748, 124),
    "ucddb003": (882, 306),
    "ucddb005": (826, 57),
    "ucddb006": (808, 222),
    "ucddb007": (813, 74),
    "ucddb008": (768, 20),
    "ucddb009": (925, 77),
    "ucddb010": (907, 234),
    "ucddb011": (900, 35),
    "ucddb012": (864, 153),
    "ucddb013": (811, 65),
    "ucddb014": (774, 183),
    "ucddb015": (916, 37),
    "ucddb017": (789, 68),
    "ucddb018": (822, 9),
    "ucddb019": (852, 105),
    "ucddb020": (752, 73),
    "ucddb021": (913, 80),
    "ucddb022": (787, 29),
    "ucddb023": (861, 192),
    "ucddb024": (908, 155),
    "ucddb025": (711, 436),
    "ucddb026": (838, 85),
    "ucddb027": (893, 410),
    "ucddb028": (721, 199),
}


@needs_data
def test_ucddb_counts_every_subject(data_dir: Path):
    folder = data_dir / "annotations" / "ucddb"
    for subject, (n_stages, n_events) in UCDDB.items():
        st = import_ucddb_stage(folder / f"{subject}_stage.txt")
        assert st.n_stage_epochs == n_stages, subject
        ev = import_ucddb_respevt(folder / f"{subject}_respevt.txt", study_start="00:00:00")
        assert ev.n_events == n_events, subject
        assert detect_format(folder / f"{subject}_stage.txt") == "ucddb-stage"
        assert detect_format(folder / f"{subject}_respevt.txt") == "ucddb-respevt"


@needs_data
def test_ucddb_codes_and_event_types(data_dir: Path):
    folder = data_dir / "annotations" / "ucddb"
    # ucddb008 holds code 8 (11 epochs, undocumented) -> unscored with a warning
    res = import_ucddb_stage(folder / "ucddb008_stage.txt")
    assert _stage_counts(res.scoring)[U] == 11
    assert any("8 (11 epochs)" in w for w in res.warnings)
    # ucddb002: codes 0:121 1(REM):155 2(S1):213 3(S2):172 4(S3):87 5(S4):0 (sort | uniq -c)
    doc = import_ucddb_stage(folder / "ucddb002_stage.txt").scoring
    assert _stage_counts(doc) == {W: 121, N1: 213, N2: 172, N3: 87, R: 155, U: 0}
    ev = import_ucddb_respevt(folder / "ucddb002_respevt.txt", study_start="23:00:00").scoring
    first = ev.events()[0]  # "00:29:13  HYP-C  16  89.9  4.1"
    assert first.onset_s == pytest.approx(3600 + 29 * 60 + 13)
    assert first.duration_s == 16 and first.type == EventType.HYPOPNEA
    assert first.attrs["hypopnea_kind"] == "central" and first.attrs["desat_drop_pct"] == 4.1
    types = _types(ev)
    assert sum(types.values()) == 124
    # the last line "05:05:49  APNEA-O  16" and "05:05:03  APNEA-M  12"
    assert ev.events()[-1].type == EventType.OBSTRUCTIVE_APNEA
    assert ev.events()[-2].type == EventType.MIXED_APNEA
    # periodic breathing lines "06:02:16  PB EVENT  PB  15" (ucddb with PB)
    all_types = collections.Counter()
    for subject in UCDDB:
        r = import_ucddb_respevt(folder / f"{subject}_respevt.txt", study_start="22:00:00")
        all_types.update(_types(r.scoring))
    # column counts over all files (awk '{print $2}' | sort | uniq -c)
    assert all_types == {
        EventType.CENTRAL_APNEA: 343,
        EventType.MIXED_APNEA: 136,
        EventType.OBSTRUCTIVE_APNEA: 216,
        EventType.HYPOPNEA: 1076 + 114 + 1433,
        EventType.PERIODIC_BREATHING: 91,
        EventType.POSSIBLE_RESPIRATORY: 19,
    }


@needs_data
def test_ucddb_stage_file_merges_its_events_only_where_they_can_be_placed(data_dir: Path):
    import datetime as dt

    stage = data_dir / "annotations" / "ucddb" / "ucddb005_stage.txt"
    res = import_scoring(stage, recording_start=dt.datetime(2001, 1, 1, 23, 0))
    assert res.n_stage_epochs == 826 and res.n_events == 57
    res = import_scoring(stage)  # clock-time events and no start: not guessed
    assert res.n_stage_epochs == 826 and res.n_events == 0 and res.events_not_placed == 57
    assert any("ucddb005_respevt.txt was not merged" in w for w in res.warnings)


# ---------------------------------------------------------------- Noxturnal
# (stage rows, other rows) — stage labels Éveil/N1/N2/N3/REM, counted with awk on the
# UTF-16 files converted by iconv
NOX = {
    "noxturnal_events_example_unicode.csv": (1358, 53),
    "noxturnal_events_example_unicode_2.csv": (848, 564),
    "noxturnal_events_example_unicode_3.csv": (1228, 835),
}


@needs_data
@pytest.mark.parametrize("name", sorted(NOX))
def test_noxturnal_counts(data_dir: Path, name: str):
    path = data_dir / "annotations" / "noxturnal" / name
    assert detect_format(path) == "noxturnal-csv"
    res = import_scoring(path)
    assert res.n_stage_epochs == NOX[name][0]
    assert res.n_events == NOX[name][1]


@needs_data
def test_noxturnal_french_labels(data_dir: Path):
    path = data_dir / "annotations" / "noxturnal" / "noxturnal_events_example_unicode_2.csv"
    res = import_scoring(path)
    doc = res.scoring
    t = _types(doc)
    assert t[EventType.OBSTRUCTIVE_APNEA] == 114  # A. Obstructive
    assert t[EventType.MIXED_APNEA] == 1  # A. Mixte
    assert t[EventType.HYPOPNEA] == 89  # Hypopnée
    assert t[EventType.DESATURATION] == 191  # Désat
    assert t[EventType.AROUSAL] == 76  # Micro-éveil
    assert t[EventType.LIMB_MOVEMENT] == 29  # MJ
    assert _stage_counts(doc) == {W: 169, N1: 38, N2: 354, N3: 141, R: 146, U: 0}
    # "Début de l'analyse" at 23:45:40, first epoch 23:46:00 -> time 0 at 23:45:30
    assert doc.start_datetime == dt.datetime(2018, 7, 25, 23, 45, 30)
    assert doc.stages()[0] == U and doc.stages()[1] == W
    # with the recording start known, onsets are relative to it
    res2 = import_scoring(path, recording_start=dt.datetime(2018, 7, 25, 23, 45, 0))
    assert res2.scoring.stages()[2] == W and res2.scoring.stages()[1] == U
    desat = [e for e in res2.scoring.events() if e.type == EventType.DESATURATION][0]
    assert desat.onset_s == pytest.approx(131.0) and desat.duration_s == pytest.approx(9.333)


def test_noxturnal_english_utf16(tmp_path: Path):
    text = (
        "Start Time,End Time,Event,Duration,\r\n[],[],[],[s],\r\n"
        "01/02/2020 22:00:00,01/02/2020 22:00:30,Wake,30,\r\n"
        "01/02/2020 22:00:30,01/02/2020 22:01:00,N2,30,\r\n"
        "01/02/2020 22:00:40,01/02/2020 22:00:52,Obstructive Apnea,12,\r\n"
    )
    p = tmp_path / "nox.csv"
    p.write_bytes(text.encode("utf-16"))
    res = import_scoring(p)
    assert res.format == "noxturnal-csv"
    assert res.scoring.stages().tolist() == [W, N2]
    assert [(e.type, e.onset_s) for e in res.scoring.events()] == [
        (EventType.OBSTRUCTIVE_APNEA, 40.0)
    ]


# ---------------------------------------------------------------- NSRR XML
def test_nsrr_xml_fixture():
    path = FIXTURES / "nsrr-sample.xml"
    assert detect_format(path) == "nsrr-xml"
    res = import_scoring(path)
    doc = res.scoring
    assert doc.n_epochs == 20
    # Wake 0-90, S1 90-150, S2 150-330, S3 330-390, S4 390-450, REM 450-540, Wake, Unscored
    assert doc.stages().tolist() == [W] * 3 + [N1] * 2 + [N2] * 6 + [N3] * 4 + [R] * 3 + [W, U]
    assert res.n_stage_epochs == 20
    assert _types(doc) == {
        EventType.OBSTRUCTIVE_APNEA: 1,
        EventType.DESATURATION: 1,
        EventType.AROUSAL: 1,
        EventType.HYPOPNEA: 1,
        "SpO2 artifact": 1,
        EventType.CENTRAL_APNEA: 1,
    }
    oa = doc.events(types=[EventType.OBSTRUCTIVE_APNEA])[0]
    assert (oa.onset_s, oa.duration_s, oa.channels) == (200.5, 14.2, ("ABDO RES",))
    de = doc.events(types=[EventType.DESATURATION])[0]
    assert de.attrs["desat_drop_pct"] == 5.0 and de.attrs["spo2_nadir_pct"] == 89.0


def test_nsrr_profusion_sleepstages_list(tmp_path: Path):
    p = tmp_path / "old.xml"
    p.write_text(
        "<CMPStudyConfig><EpochLength>30</EpochLength><SleepStages>"
        + "".join(f"<SleepStage>{c}</SleepStage>" for c in [0, 1, 2, 3, 4, 5, 9])
        + "</SleepStages></CMPStudyConfig>"
    )
    doc = import_scoring(p).scoring
    assert doc.stages().tolist() == [W, N1, N2, N3, N3, R, U]


# ---------------------------------------------------------------- CSV / TSV
def test_csv_hypnogram_variants(tmp_path: Path):
    bare = tmp_path / "bare.txt"
    bare.write_text("W\nW\nN1\nN2\nN3\nR\n?\n")
    assert import_scoring(bare).scoring.stages().tolist() == [W, W, N1, N2, N3, R, U]

    numeric = tmp_path / "numeric.csv"
    numeric.write_text("stage\n0\n1\n2\n3\n4\n5\n")
    assert import_scoring(numeric).scoring.stages().tolist() == [W, N1, N2, N3, N3, R]

    table = tmp_path / "table.tsv"
    table.write_text(
        "onset\tduration\tdescription\n0\t60\tSleep stage W\n60\t30\tSleep stage 2\n"
        "75\t12\tObstructive apnea\n90\t30\tREM sleep\n"
    )
    doc = import_csv_hypnogram(table).scoring
    assert doc.stages().tolist() == [W, W, N2, R]
    assert [(e.type, e.onset_s, e.duration_s) for e in doc.events()] == [
        (EventType.OBSTRUCTIVE_APNEA, 75.0, 12.0)
    ]
    semi = tmp_path / "semi.csv"
    semi.write_text("epoch;stage\n0;wake\n1;N1\n2;N2\n")
    assert import_scoring(semi).scoring.stages().tolist() == [W, N1, N2]


def test_unknown_or_bad_files_raise_scoring_format_error(tmp_path: Path):
    p = tmp_path / "x.bin"
    p.write_bytes(b"\x00\x01\x02")
    with pytest.raises(ScoringFormatError):
        import_scoring(p)
    with pytest.raises(ScoringFormatError):
        import_scoring(tmp_path / "missing.csv")
    bad = tmp_path / "bad.xml"
    bad.write_text("<PSGAnnotation><ScoredEvents>")
    with pytest.raises(ScoringFormatError):
        import_scoring(bad)
    empty = tmp_path / "empty.csv"
    empty.write_text("\n")
    with pytest.raises(ScoringFormatError):
        import_scoring(empty)


def test_fit_to_recording_clips_and_warns(tmp_path: Path):
    p = tmp_path / "h.txt"
    p.write_text("W\nN1\nN2\nN2\nR\n")
    res = import_scoring(p, n_epochs=3)
    assert res.scoring.stages().tolist() == [W, N1, N2]
    assert any("clipped" in w for w in res.warnings)
    assert Stage(res.scoring.stages()[2]) is Stage.N2


@needs_data
def test_every_file_in_annotations_is_covered_and_imports(data_dir: Path):
    folder = data_dir / "annotations"
    covered = (
        {f"slpdb/{r}.an" for r in SLPDB}
        | {f"slpdb/{r}.hea" for r in SLPDB}
        | {f"ucddb/{s}_stage.txt" for s in UCDDB}
        | {f"ucddb/{s}_respevt.txt" for s in UCDDB}
        | {f"noxturnal/{n}" for n in NOX}
        | {"hmc/SN001-annotations.edf"}
    )
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert present == covered
    # a WFDB .hea imports the rdann text beside it
    res = import_scoring(folder / "slpdb" / "slp67x.hea")
    assert (res.n_stage_epochs, res.n_events) == SLPDB["slp67x"]


def test_edf_annotation_file_starting_later_is_shifted(tmp_path: Path):
    import pyedflib

    p = tmp_path / "later.edf"
    w = pyedflib.EdfWriter(str(p), 0, file_type=pyedflib.FILETYPE_EDFPLUS)
    w.setStartdatetime(dt.datetime(2024, 1, 1, 22, 1, 0))  # one minute after the PSG
    w.writeAnnotation(0, 60, "Sleep stage N2")
    w.writeAnnotation(10, 5, "Arousal")
    w.close()
    res = import_scoring(p, recording_start=dt.datetime(2024, 1, 1, 22, 0, 0))
    assert res.scoring.stages().tolist() == [U, U, N2, N2]
    assert res.scoring.events()[0].onset_s == 70.0
    assert any("shifted" in w for w in res.warnings)
    same = import_scoring(p, recording_start=dt.datetime(2024, 1, 1, 22, 1, 0, 400000))
    assert same.scoring.stages().tolist() == [N2, N2]  # sub-second: not shifted

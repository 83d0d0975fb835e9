"""Export round trips: annotated EDF+ read back with pyedflib, edfio and MNE; signals
bit-identical to the source; events.tsv and hypnogram CSV."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import numpy as np
import pytest

from engine.errors import UserError
from engine.scoring import (
    EventType,
    ExportOptions,
    Provenance,
    Scoring,
    Stage,
    export_edf_plus,
    export_events_tsv,
    export_hypnogram_csv,
    import_scoring,
)
from engine.scoring.exporters import sidecar_path

pyedflib = pytest.importorskip("pyedflib")
edfio = pytest.importorskip("edfio")

DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"real test data not found at {DATA} (../shared/data)"
)


def _digital(path: Path) -> list[np.ndarray]:
    r = pyedflib.EdfReader(str(path))
    try:
        return [r.readSignal(i, digital=True) for i in range(r.signals_in_file)]
    finally:
        r.close()


def _headers(path: Path):
    r = pyedflib.EdfReader(str(path))
    try:
        return r.getSignalHeaders(), r.getStartdatetime(), r.datarecord_duration
    finally:
        r.close()


def _annotations_pyedflib(path: Path) -> list[tuple[float, float, str]]:
    r = pyedflib.EdfReader(str(path))
    try:
        o, d, t = r.readAnnotations()
        return [
            (round(float(a), 4), round(float(b), 4), str(c))
            for a, b, c in zip(o, d, t, strict=True)
        ]
    finally:
        r.close()


def _make_edf(path: Path, seconds: int = 150) -> None:
    """A small 3-channel EDF (256 Hz EEG, 64 Hz flow, 1 Hz SpO2) with random samples."""
    rng = np.random.default_rng(0)
    chans = [
        ("EEG C3-M2", 256, "uV", -500.0, 500.0, "HP:0.3Hz LP:35Hz", "AgAgCl electrode"),
        ("C-FLOW", 64, "uV", -2000.0, 2000.0, "", "pressure"),
        ("SPO2", 1, "%", 0.0, 100.0, "", "oximeter"),
    ]
    w = pyedflib.EdfWriter(str(path), len(chans), file_type=pyedflib.FILETYPE_EDFPLUS)
    w.setPatientCode("P001")
    w.setPatientName("Test_Child")
    w.setSex(1)
    w.setEquipment("synthetic")
    w.setTechnician("tech")
    w.setStartdatetime(dt.datetime(2024, 3, 1, 21, 30, 5))
    headers = []
    data = []
    for label, fs, unit, pmin, pmax, pre, trans in chans:
        headers.append(
            dict(
                label=label,
                dimension=unit,
                sample_frequency=fs,
                physical_min=pmin,
                physical_max=pmax,
                digital_min=-32768,
                digital_max=32767,
                prefilter=pre,
                transducer=trans,
            )
        )
        data.append(rng.integers(-32768, 32768, size=fs * seconds).astype(np.int32))
    w.setSignalHeaders(headers)
    w.writeSamples(data, digital=True)
    w.writeAnnotation(10.0, -1, "Original marker")
    w.close()


def _scoring_for(n_epochs: int) -> Scoring:
    doc = Scoring(n_epochs)
    doc.set_stages(0, [Stage.W, Stage.N1, Stage.N2], provenance=Provenance.HUMAN)
    p = np.full((n_epochs, 5), 0.05, dtype=np.float32)
    p[:, Stage.N2] = 0.8
    doc.set_suggestions(0, p)
    doc.accept_suggestion(3)  # model-accepted
    doc.reject_suggestion(4)  # rejected: stays unscored
    doc.add_event(35.0, 12.5, EventType.OBSTRUCTIVE_APNEA, channels=("C-FLOW",))
    doc.add_event(70.0, 20.0, EventType.DESATURATION, channels=("SPO2",))
    ids = doc.suggest_events(
        [
            dict(onset_s=100.0, duration_s=11.0, type=EventType.HYPOPNEA, confidence=0.7),
            dict(onset_s=110.0, duration_s=3.0, type=EventType.AROUSAL, confidence=0.9),
        ]
    )
    doc.accept_event(ids[1])
    doc.set_lights(off_s=5.0, on_s=140.0)
    return doc


def test_edf_plus_round_trip_generated(tmp_path: Path):
    src = tmp_path / "study.edf"
    _make_edf(src)
    src_bytes = src.read_bytes()
    doc = _scoring_for(5)
    out = tmp_path / "out" / "scored.edf"
    rep = export_edf_plus(src, doc, out)
    assert src.read_bytes() == src_bytes  # source untouched
    assert rep.n_stage_annotations == 5  # one per epoch, unscored ones as "?"
    assert [p.name for p in out.parent.iterdir()] and not [
        p for p in out.parent.iterdir() if p.name.endswith(".part")
    ]
    # bit-identical signals and kept headers
    for a, b in zip(_digital(src), _digital(out), strict=True):
        assert np.array_equal(a, b)
    (h_src, t_src, rec_src), (h_out, t_out, rec_out) = _headers(src), _headers(out)
    assert h_src == h_out and t_src == t_out and rec_src == rec_out
    r = pyedflib.EdfReader(str(out))
    assert r.getPatientCode() == "P001" and r.getEquipment() == "synthetic"
    r.close()

    expected = [
        (0.0, 30.0, "Sleep stage W"),
        (5.0, 0.0, "Lights off"),
        (30.0, 30.0, "Sleep stage N1"),
        (35.0, 12.5, "Obstructive apnea"),
        (60.0, 30.0, "Sleep stage N2"),
        (70.0, 20.0, "Oxygen desaturation"),
        (90.0, 30.0, "Sleep stage N2"),  # the accepted suggestion
        (110.0, 3.0, "Arousal"),  # the accepted event; the pending hypopnea is left out
        (120.0, 30.0, "Sleep stage ?"),  # rejected suggestion -> unscored
        (140.0, 0.0, "Lights on"),
    ]
    got = _annotations_pyedflib(out)
    assert [(o, d if d > 0 else 0.0, t) for o, d, t in got] == expected

    e = edfio.read_edf(out)
    assert [(a.onset, a.duration or 0.0, a.text) for a in e.annotations] == expected
    for s_src, s_out in zip(edfio.read_edf(src).signals, e.signals, strict=True):
        assert np.array_equal(s_src.digital, s_out.digital)
        assert (
            s_src.label,
            s_src.physical_range,
            s_src.digital_range,
            s_src.prefiltering,
            s_src.transducer_type,
            s_src.physical_dimension,
        ) == (
            s_out.label,
            s_out.physical_range,
            s_out.digital_range,
            s_out.prefiltering,
            s_out.transducer_type,
            s_out.physical_dimension,
        )

    # the sidecar carries provenance and confidence; re-import restores them exactly
    side = json.loads(sidecar_path(out).read_text())
    by_text = {(a["onset_s"], a["text"]): a for a in side["annotations"]}
    assert by_text[(90.0, "Sleep stage N2")]["provenance"] == "model-accepted"
    assert by_text[(90.0, "Sleep stage N2")]["confidence"] == pytest.approx(0.8)
    assert by_text[(35.0, "Obstructive apnea")]["channels"] == ["C-FLOW"]
    back = import_scoring(out)
    assert back.format == "edf+pedsleep"
    assert back.scoring.start_datetime == dt.datetime(2024, 3, 1, 21, 30, 5)
    doc.start_datetime = back.scoring.start_datetime
    assert back.scoring.content_equals(doc)


def test_edf_plus_options_suggestions_and_scored_only(tmp_path: Path):
    src = tmp_path / "study.edf"
    _make_edf(src)
    doc = _scoring_for(5)
    out = tmp_path / "all.edf"
    export_edf_plus(
        src,
        doc,
        out,
        options=ExportOptions(
            include_suggestions=True, include_rejected=True, unscored_epochs=False
        ),
    )
    texts = [t for _, _, t in _annotations_pyedflib(out)]
    assert "Sleep stage ?" not in texts
    assert "Hypopnea" in texts  # the pending suggestion
    # epochs 0, 1, 2 pending (beside their human stages) + epoch 4 rejected
    assert texts.count("Model suggestion: Sleep stage N2") == 4
    assert sum(t.startswith("Sleep stage") for t in texts) == 4
    # a plain import of such a file never turns suggestions into stages
    plain = import_scoring(out).scoring
    assert plain.stages().tolist() == [0, 1, 2, 2, -1]


def test_edf_plus_refuses_to_overwrite_source(tmp_path: Path):
    src = tmp_path / "study.edf"
    _make_edf(src, seconds=30)
    before = src.read_bytes()
    with pytest.raises(UserError, match="refusing to overwrite"):
        export_edf_plus(src, Scoring(1), src)
    link = tmp_path / "link.edf"
    os.symlink(src, link)
    with pytest.raises(UserError, match="refusing to overwrite"):
        export_edf_plus(src, Scoring(1), link)
    assert src.read_bytes() == before


@needs_data
def test_sleep_edf_psg_plus_hypnogram_round_trip_with_mne(tmp_path: Path):
    mne = pytest.importorskip("mne")
    src = DATA / "sleep-edf" / "SC4001E0-PSG-first300s.edf"
    res = import_scoring(DATA / "sleep-edf" / "SC4001EC-Hypnogram.edf", n_epochs=10)
    assert any("clipped" in w for w in res.warnings)
    doc = res.scoring
    doc.add_event(42.0, 15.0, EventType.CENTRAL_APNEA, channels=("Resp oro-nasal",))
    out = tmp_path / "SC4001-scored.edf"
    rep = export_edf_plus(src, doc, out)
    assert rep.n_stage_annotations == 10 and rep.n_event_annotations == 1
    # source is plain EDF: the output is EDF+C with the same raw patient/recording fields
    raw_src, raw_out = src.read_bytes()[:256], out.read_bytes()[:256]
    assert raw_out[8:168] == raw_src[8:168]
    assert raw_out[192:197] == b"EDF+C"
    assert raw_out[168:184] == raw_src[168:184]  # start date and time
    for a, b in zip(_digital(src), _digital(out), strict=True):
        assert np.array_equal(a, b)
    assert _headers(src) == _headers(out)

    raw = mne.io.read_raw_edf(out, preload=False, verbose="error")
    descs = list(raw.annotations.description)
    assert descs.count("Sleep stage W") == 10
    assert "Central apnea" in descs
    i = descs.index("Central apnea")
    assert raw.annotations.onset[i] == pytest.approx(42.0)
    assert raw.annotations.duration[i] == pytest.approx(15.0)
    assert raw.ch_names[:3] == ["EEG Fpz-Cz", "EEG Pz-Oz", "EOG horizontal"]
    e = edfio.read_edf(out)
    assert [a.text for a in e.annotations].count("Sleep stage W") == 10


@needs_data
def test_bdf_source_keeps_24_bit_samples(tmp_path: Path):
    src = DATA / "sleep-edf" / "SC4001E0-PSG-first300s.bdf"
    doc = Scoring(10)
    doc.set_stage_range(0, 10, Stage.W)
    out = tmp_path / "scored.bdf"
    export_edf_plus(src, doc, out)
    assert out.read_bytes()[192:197] == b"BDF+C"
    a, b = edfio.read_bdf(src), edfio.read_bdf(out)
    for s1, s2 in zip(a.signals, b.signals, strict=True):
        assert np.array_equal(s1.digital, s2.digital)
    for d1, d2 in zip(_digital(src), _digital(out), strict=True):
        assert np.array_equal(d1, d2)
    assert [x.text for x in b.annotations].count("Sleep stage W") == 10
    assert [t for _, _, t in _annotations_pyedflib(out)].count("Sleep stage W") == 10


def test_events_tsv_and_hypnogram_csv_round_trip(tmp_path: Path):
    doc = _scoring_for(5)
    tsv = export_events_tsv(doc, tmp_path / "sub-01_task-sleep_events.tsv")
    lines = tsv.read_text().splitlines()
    assert lines[0].split("\t") == [
        "onset",
        "duration",
        "trial_type",
        "provenance",
        "confidence",
        "channels",
    ]
    rows = [ln.split("\t") for ln in lines[1:]]
    assert ["90", "30", "Sleep stage N2", "model-accepted", "0.8000", "n/a"] in rows
    assert ["35", "12.5", "Obstructive apnea", "human", "n/a", "C-FLOW"] in rows
    assert not any(r[2] == "Hypopnea" for r in rows)  # pending suggestion left out
    back = import_scoring(tsv).scoring
    assert back.stages().tolist() == [0, 1, 2, 2, -1]
    assert back.epoch(3).provenance is Provenance.MODEL_ACCEPTED
    assert [(e.type, e.onset_s) for e in back.events()] == [
        (EventType.OBSTRUCTIVE_APNEA, 35.0),
        (EventType.DESATURATION, 70.0),
        (EventType.AROUSAL, 110.0),
    ]
    assert (back.lights_off_s, back.lights_on_s) == (5.0, 140.0)
    tsv2 = export_events_tsv(
        doc, tmp_path / "with.tsv", options=ExportOptions(include_suggestions=True)
    )
    assert "Hypopnea\tmodel\t0.7000" in tsv2.read_text()

    csv = export_hypnogram_csv(doc, tmp_path / "hyp.csv", include_suggestions=True)
    text = csv.read_text().splitlines()
    assert text[0] == (
        "epoch,onset_s,duration_s,stage,provenance,confidence,"
        "suggested_stage,suggestion_confidence,suggestion_state"
    )
    assert text[4] == "3,90,30,N2,model-accepted,0.8000,N2,0.8000,model-accepted"
    assert text[5] == "4,120,30,?,,,N2,0.8000,model-rejected"  # never scored
    back = import_scoring(csv).scoring
    assert back.stages().tolist() == doc.stages().tolist()
    assert back.stage_provenance()[:4] == doc.stage_provenance()[:4]


def test_plain_edf_header_made_edf_plus_compliant():
    from engine.scoring.exporters.edf_plus import _fix_edfplus_header

    head = bytearray(b" " * 256)
    head[0:8] = b"0       "
    head[8:88] = b"John Doe".ljust(80)
    head[88:168] = b"sleep lab night 1".ljust(80)
    notes = _fix_edfplus_header(head, False, dt.date(2024, 3, 1))
    assert head[192:197] == b"EDF+C"
    assert head[8:88].decode().strip() == "X X X John_Doe"
    assert head[88:168].decode().strip() == "Startdate 01-MAR-2024 X X X sleep_lab_night_1"
    assert len(notes) == 2
    # an EDF+ header is left exactly as it was, its recording field too...
    plus = bytearray(head)
    plus[8:88] = b"MCH-0234567 F 02-MAY-1951 Haagse_Harry".ljust(80)
    plus[88:168] = b"odd".ljust(80)
    before = bytes(plus)
    assert _fix_edfplus_header(plus, False, None) == [] and bytes(plus) == before
    # ...but for a patient field EDF+ readers refuse
    plus[8:88] = b"odd".ljust(80)
    assert _fix_edfplus_header(plus, False, None) == ["patient field made EDF+ compliant: 'X X X odd'"]
    assert plus[88:] == before[88:]


@needs_data
def test_nox_utf8_labels_export_read_by_edfio_and_mne(tmp_path: Path):
    mne = pytest.importorskip("mne")
    src = DATA / "nox" / "nox-a1-120s.edf"
    res = import_scoring(src)  # pyedflib refuses this file; edfio reads it
    doc = res.scoring
    assert doc.n_epochs == 4 and doc.n_events == 0
    doc.set_stages(0, [0, 1, 2, 2])
    out = tmp_path / "nox-scored.edf"
    rep = export_edf_plus(src, doc, out)
    # version, recording, start date/time kept byte for byte; still EDF+C; the patient
    # field 'M X X' (no patient code) made the 4 EDF+ subfields pyedflib requires
    assert out.read_bytes()[:8] == src.read_bytes()[:8]
    assert out.read_bytes()[8:88].decode().strip() == "X M X X"
    assert out.read_bytes()[88:184] == src.read_bytes()[88:184]
    assert out.read_bytes()[192:236] == src.read_bytes()[192:236]
    a, b = edfio.read_edf(src), edfio.read_edf(out)
    assert len(a.signals) == len(b.signals) == 89
    from engine.io import open_study

    st = open_study(src)
    labels = [x.label for x in st.signals]
    st.close()
    for s1, s2, label in zip(a.signals, b.signals, labels, strict=True):  # UTF-8 labels in ASCII
        assert s2.label == label.replace("é", "e") and np.array_equal(s1.digital, s2.digital)
    assert sum(s.label.endswith("Impedance") for s in b.signals) == 14
    assert any("written in ASCII" in w and "'1 Impédance' → '1 Impedance'" in w for w in rep.warnings)
    assert {s.physical_dimension for s in b.signals} >= {"deg"}
    r = pyedflib.EdfReader(str(out))  # pyedflib refuses the source; it reads the export
    try:
        assert r.signals_in_file == 89 and r.getSex() == "Male"
    finally:
        r.close()
    assert [x.text for x in b.annotations] == [
        "Sleep stage W",
        "Sleep stage N1",
        "Sleep stage N2",
        "Sleep stage N2",
    ]
    raw = mne.io.read_raw_edf(out, verbose="error")
    assert list(raw.annotations.description) == [x.text for x in b.annotations]


@needs_data
def test_dreams_vendor_header_export_is_read_by_pyedflib_with_every_sample_kept(tmp_path: Path):
    """DREAMS excerpt 3 says digital ranges like -72984..50277 for 16-bit samples and
    holds free text in the patient field: pyedflib refuses the source. The export is read
    by pyedflib, each signal keeps its digital samples and (to far below one step) its
    physical values, and the patient's sex and birthdate survive as EDF+ subfields."""
    from engine.io import open_study
    from engine.staging.demographics import demographics_from_header

    src = DATA / "dreams-dev" / "excerpt3.edf"
    with pytest.raises(OSError):
        pyedflib.EdfReader(str(src))
    doc = import_scoring(DATA / "dreams-dev" / "Hypnogram_excerpt3.txt").scoring
    out = tmp_path / "excerpt3.scored.edf"
    rep = export_edf_plus(src, doc, out)
    fixed = [w.split(":")[0] for w in rep.warnings if "digital range" in w]
    assert fixed == ["O1-A1", "NAF1", "VAB", "VTH", "FP1-A1", "EOG2-A1", "EOG1-A1"]
    r = pyedflib.EdfReader(str(out))
    try:
        assert r.signals_in_file == 20 and r.getSex() == "Male" and r.getBirthdate().lower() == "28 mar 1957"
        assert sum(1 for t in r.readAnnotations()[2] if t.startswith("Sleep stage")) == 60
    finally:
        r.close()
    a, b = edfio.read_edf(src), edfio.read_edf(out)
    for s1, s2 in zip(a.signals, b.signals, strict=False):
        assert s1.label == s2.label and np.array_equal(s1.digital, s2.digital)
    sa, sb = open_study(src), open_study(out)
    try:
        for s in sa.signals:
            step = (s.physical_max - s.physical_min) / (s.digital_max - s.digital_min)
            diff = np.abs(sa.read(s.index, 0, 1800) - sb.read(s.index, 0, 1800))
            assert np.nanmax(diff) < 0.05 * step, s.label
        assert (demographics_from_header(sa.header.patient, sa.start_datetime)
                == demographics_from_header(sb.header.patient, sb.start_datetime))
    finally:
        sa.close()
        sb.close()


def test_out_of_range_digital_ranges_are_rewritten_keeping_each_sample_value():
    from engine.scoring.exporters.edf_plus import _fix_digital_ranges

    n = 3
    head = bytearray(b" " * (256 * (n + 1)))
    base = 256 + n * 104

    def put(block, i, v):
        at = base + block * 8 * n + 8 * i
        head[at:at + 8] = str(v).ljust(8).encode()
    for i, (pmin, pmax, dmin, dmax) in enumerate([(-730, 503, -72984, 50277), (-500, 500, -32768, 32767),
                                                  (0, 0, -70000, 70000)]):
        put(0, i, pmin)
        put(1, i, pmax)
        put(2, i, dmin)
        put(3, i, dmax)
    before = bytes(head)
    notes = _fix_digital_ranges(head, n, False, ["O1-A1", "C3", "flat"])
    assert len(notes) == 1 and notes[0].startswith("O1-A1: digital range -72984..50277")

    def get(block, i):
        at = base + block * 8 * n + 8 * i
        return float(head[at:at + 8].decode())
    assert (get(2, 0), get(3, 0)) == (-32768, 32767)
    gain_old, gain_new = 1233 / 123261, (get(1, 0) - get(0, 0)) / 65535
    for d in (-32768, 0, 32767):  # the same sample, the same value
        old = -730 + (d + 72984) * gain_old
        new = get(0, 0) + (d + 32768) * gain_new
        assert abs(new - old) < 0.05 * gain_old
    # the in-range signal and the one with no usable mapping are left exactly as they were
    for block in range(4):
        for i in (1, 2):
            at = base + block * 8 * n + 8 * i
            assert head[at:at + 8] == before[at:at + 8]


@pytest.mark.parametrize(("text", "expected"), [
    ("DatabaseSpindles, excerpt3, man - 28/03/1957", "X M 28-MAR-1957 DatabaseSpindles,_excerpt3,_man_-_28/03/1957"),
    ("Female_33yr", "X F X Female_33yr"),
    ("John Doe", "X X X John_Doe"),
    ("", "X X X X"),
    ("F 02-MAY-1951 Anna", "X F 02-MAY-1951 Anna"),
])
def test_free_text_patient_fields_become_edf_plus_subfields(text, expected):
    from engine.scoring.exporters.edf_plus import _as_edf_plus_patient, _edf_plus_patient

    assert not _edf_plus_patient(text)
    got = _as_edf_plus_patient(text)
    assert got == expected and _edf_plus_patient(got) and len(got) <= 80
    assert _edf_plus_patient("MCH-0234567 F 02-MAY-1951 Haagse_Harry")
    assert _as_edf_plus_patient("M X X") == "X M X X"  # Nox: the patient code left out
    assert not _edf_plus_patient("MCH-0234567 F 1951 Haagse_Harry")


def test_non_ascii_header_text_is_written_as_ascii_of_the_same_width():
    from engine.scoring.exporters.edf_plus import _ascii, _ascii_header_text

    assert _ascii("1 Impédance") == "1 Impedance" and _ascii("°") == "deg" and _ascii("µV") == "uV"
    assert _ascii("Température Ω") == "Temperature Ohm" and _ascii("脑电") == "__"
    n = 2
    head = bytearray(b" " * (256 * (n + 1)))
    head[256:272] = "Impédance".encode().ljust(16)  # label 1, UTF-8
    head[256 + 16 * n + 80 * n + 8:256 + 16 * n + 80 * n + 16] = b"\xb5V".ljust(8)  # unit 2, latin-1 micro
    before = bytes(head)
    notes = _ascii_header_text(head, n)
    assert head[256:272] == b"Impedance".ljust(16)
    assert head[256 + 16 * n + 80 * n + 8:256 + 16 * n + 80 * n + 16] == b"uV".ljust(8)
    assert len(notes) == 1 and notes[0].startswith("2 header text field(s) written in ASCII")
    assert len(head) == len(before) and all(32 <= b <= 126 for b in head)
    assert _ascii_header_text(head, n) == []  # ASCII already: nothing to say


REAL_RECORDINGS = ["sleep-edf/SC4001E0-PSG-first300s.edf", "sleep-edf/SC4001E0-PSG-first300s.bdf",
                   "nox/nox-a1-120s.edf", "resmed/20260111_220919_BRP.edf", "resmed/20260111_220919_PLD.edf",
                   "resmed/20260111_220919_SAD.edf", "dreams-dev/excerpt1.edf", "dreams-dev/excerpt3.edf"]


@needs_data
@pytest.mark.parametrize("rel", REAL_RECORDINGS)
def test_every_real_recordings_export_is_read_by_pyedflib_mne_and_edfio(tmp_path: Path, rel: str):
    mne = pytest.importorskip("mne")
    src = DATA / rel
    doc = import_scoring(src).scoring
    doc.set_stage(0, Stage.W)
    out = tmp_path / f"scored{src.suffix}"
    export_edf_plus(src, doc, out)
    r = pyedflib.EdfReader(str(out))
    try:
        assert "Sleep stage W" in list(r.readAnnotations()[2])
    finally:
        r.close()
    raw = (mne.io.read_raw_bdf if src.suffix == ".bdf" else mne.io.read_raw_edf)(out, verbose="error")
    assert "Sleep stage W" in list(raw.annotations.description)
    b = (edfio.read_bdf if src.suffix == ".bdf" else edfio.read_edf)(out)
    assert "Sleep stage W" in [a.text for a in b.annotations]


@pytest.mark.parametrize(("pmin", "pmax", "dmin", "dmax"), [
    (-9999999, 9999999, 30000, 40000),  # a rewritten range would need an exponent
    (0.0, 0.0065535, 0, 65535),  # volts: 8 characters cannot hold the offset to a tenth of a step
])
def test_a_range_no_8_digit_field_can_keep_is_left_as_recorded_and_said(pmin, pmax, dmin, dmax):
    from engine.scoring.exporters.edf_plus import _fix_digital_ranges

    head = bytearray(b" " * 512)
    base = 256 + 104
    for k, v in enumerate((pmin, pmax, dmin, dmax)):
        head[base + 8 * k:base + 8 * k + 8] = str(v).ljust(8).encode()[:8]
    before = bytes(head)
    notes = _fix_digital_ranges(head, 1, False, ["X"])
    assert bytes(head) == before
    assert len(notes) == 1 and "no 8-digit physical range keeps its samples' values; left as recorded" in notes[0]


def test_patient_fields_with_a_lower_case_month_or_no_code_are_made_edf_plus():
    from engine.scoring.exporters.edf_plus import _as_edf_plus_patient, _edf_plus_patient

    assert not _edf_plus_patient("X M 02-may-1951 X")  # pyedflib refuses a lower-case month
    assert _as_edf_plus_patient("X M 02-may-1951 X") == "X M 02-MAY-1951 X"
    assert _as_edf_plus_patient("M 02-may-1951 Jo Ann") == "X M 02-MAY-1951 Jo_Ann"
    assert _as_edf_plus_patient("M X") == "X M X X"


def test_reserved_fields_are_ascii_too():
    from engine.scoring.exporters.edf_plus import _ascii_header_text

    head = bytearray(b" " * 512)
    head[192:203] = "EDF+C é".encode().ljust(11)
    head[256 + 224:256 + 256] = "réservé".encode().ljust(32)  # the signal's reserved field
    notes = _ascii_header_text(head, 1)
    assert head[192:201] == b"EDF+C e  "[:9] and head[256 + 224:256 + 231] == b"reserve"
    assert len(notes) == 1 and all(32 <= b <= 126 for b in head)

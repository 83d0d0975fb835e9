"""EDF+ export of an accepted reconstructed channel as an extra, labelled signal (issue 6,
point 8): the source's signals stay bit-identical, the extra one reads back in pyedflib,
edfio and MNE with its label/transducer and values within quantisation error; provenance
(model-accepted / model-rejected / human) travels in the sidecar and in events.tsv."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from engine.errors import UserError
from engine.inference.results import ChannelReconstruction
from engine.scoring import (
    EventType,
    ExportOptions,
    Provenance,
    Scoring,
    Stage,
    export_edf_plus,
    export_events_tsv,
    import_scoring,
)
from engine.scoring.exporters import (
    ExtraSignal,
    reconstructed_label,
    reconstruction_signal,
    sidecar_path,
)

pyedflib = pytest.importorskip("pyedflib")
edfio = pytest.importorskip("edfio")

DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
SLEEP_EDF = DATA / "sleep-edf" / "SC4001E0-PSG-first300s.edf"
SLEEP_BDF = DATA / "sleep-edf" / "SC4001E0-PSG-first300s.bdf"

CANONICAL = (
    "EEG C3-M2",
    "EEG O1-M2",
    "EEG O2-M1",
    "EEG CZ-O1",
    "EEG C4-M1",
    "EEG F4-M1",
    "EEG F3-M2",
    "CAPNO",
    "SPO2",
    "RESP THORACIC",
    "RESP ABDOMINAL",
    "SNORE",
    "C-FLOW",
    "EOG LOC-M2",
    "EOG ROC-M1",
    "EMG CHIN1-CHIN2",
)
SECONDS = 300
RECON_HZ = 128.0


def _rate(name: str) -> int:
    if name.startswith(("EEG", "EOG", "EMG")):
        return 256
    return 16 if name == "CAPNO" else 64


def _make_study(path: Path) -> None:
    """15 canonical channels (all but SPO2) at 256/64/16 Hz, 5 minutes, 1-s records."""
    rng = np.random.default_rng(1)
    names = [c for c in CANONICAL if c != "SPO2"]
    w = pyedflib.EdfWriter(str(path), len(names), file_type=pyedflib.FILETYPE_EDFPLUS)
    w.setPatientCode("PED01")
    w.setStartdatetime(dt.datetime(2025, 1, 10, 20, 0, 0))
    headers, data = [], []
    for name in names:
        fs = _rate(name)
        unit = "uV" if name.startswith(("EEG", "EOG", "EMG")) else "a.u."
        headers.append(
            dict(
                label=name,
                dimension=unit,
                sample_frequency=fs,
                physical_min=-1000.0,
                physical_max=1000.0,
                digital_min=-32768,
                digital_max=32767,
                prefilter="",
                transducer="",
            )
        )
        data.append(rng.integers(-32768, 32768, size=fs * SECONDS).astype(np.int32))
    w.setSignalHeaders(headers)
    w.writeSamples(data, digital=True)
    w.close()


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("recon") / "study.edf"
    _make_study(p)
    return p


def _spo2_parts(first_epoch: int, last_epoch: int) -> list[ChannelReconstruction]:
    """Per-epoch SpO2 reconstructions as the GUI keeps them (float32, % units)."""
    parts = []
    n = int(30 * RECON_HZ)
    for ep in range(first_epoch, last_epoch):
        t = ep * 30.0 + np.arange(n) / RECON_HZ
        mean = (95.0 + 2.0 * np.sin(2 * np.pi * t / 60.0)).astype(np.float32)
        parts.append(
            ChannelReconstruction(
                8, "SPO2", ep * 30.0, RECON_HZ, mean, mean - 1, mean + 1, "missing"
            )
        )
    return parts


def _doc(n_epochs: int) -> Scoring:
    """Stages and events of every provenance: human, model-accepted, model-rejected,
    pending model suggestion."""
    doc = Scoring(n_epochs)
    p = np.full((n_epochs, 5), 0.05, dtype=np.float32)
    p[:, Stage.N2] = 0.8
    doc.set_suggestions(0, p)
    doc.set_stage(0, Stage.W)  # the scorer's own
    doc.accept_suggestion(1)  # model-accepted
    doc.reject_suggestion(2)  # rejected, left unscored
    doc.reject_suggestion(3)  # rejected, then the scorer's own stage
    doc.set_stage(3, Stage.N3)
    ids = doc.suggest_events(
        [
            dict(onset_s=10.0, duration_s=10.0, type=EventType.HYPOPNEA, confidence=0.7),
            dict(onset_s=40.0, duration_s=12.0, type=EventType.OBSTRUCTIVE_APNEA, confidence=0.6),
            dict(onset_s=70.0, duration_s=3.0, type=EventType.AROUSAL, confidence=0.9),
        ]
    )
    doc.accept_event(ids[0])
    doc.reject_event(ids[1])  # ids[2] stays pending
    doc.add_event(100.0, 12.0, EventType.CENTRAL_APNEA, channels=("C-FLOW",))
    return doc


def _header(path: Path, label: str) -> tuple[int, dict, np.ndarray, np.ndarray]:
    r = pyedflib.EdfReader(str(path))
    try:
        i = r.getSignalLabels().index(label)
        return i, r.getSignalHeader(i), r.readSignal(i, digital=True), r.readSignal(i)
    finally:
        r.close()


def _assert_sources_identical(src: Path, out: Path) -> None:
    """Every source signal: same digital samples and header, in pyedflib and edfio."""
    rs, ro = pyedflib.EdfReader(str(src)), pyedflib.EdfReader(str(out))
    try:
        n = rs.signals_in_file
        assert ro.signals_in_file == n + 1  # one extra signal
        assert ro.getSignalLabels()[:n] == rs.getSignalLabels()
        for i in range(n):
            assert np.array_equal(rs.readSignal(i, digital=True), ro.readSignal(i, digital=True))
            assert rs.getSignalHeader(i) == ro.getSignalHeader(i)
        assert rs.datarecord_duration == ro.datarecord_duration
        assert rs.getStartdatetime() == ro.getStartdatetime()
    finally:
        rs.close()
        ro.close()
    read = edfio.read_bdf if src.suffix.lower() == ".bdf" else edfio.read_edf
    es, eo = read(src), read(out)
    for a, b in zip(es.signals, eo.signals[: len(es.signals)], strict=True):
        assert a.label == b.label and np.array_equal(a.digital, b.digital)


def _assert_extra(out: Path, label: str, expected: np.ndarray, fs: float, unit: str, bdf=False):
    """The extra signal: label, transducer, rate, unit; NaN as the digital minimum;
    reconstructed samples within half a quantisation step."""
    _, h, dig, phys = _header(out, label)
    dmin, dmax = (-8388608, 8388607) if bdf else (-32768, 32767)
    assert (h["digital_min"], h["digital_max"]) == (dmin, dmax)
    assert "reconstructed by PedSleepMAE" in h["transducer"]
    assert h["sample_frequency"] == pytest.approx(fs)
    assert h["dimension"] == unit
    assert len(dig) == len(expected)
    nan = ~np.isfinite(expected)
    assert np.all(dig[nan] == dmin)
    assert np.all(dig[~nan] > dmin)
    step = (h["physical_max"] - h["physical_min"]) / (dmax - dmin)
    assert np.max(np.abs(phys[~nan] - expected[~nan])) <= step / 2 + 1e-9
    fin = expected[~nan]
    assert h["physical_min"] < fin.min() and h["physical_max"] > fin.max()
    e = edfio.read_bdf(out) if bdf else edfio.read_edf(out)
    sig = e.get_signal(label)
    assert sig.transducer_type.startswith("reconstructed by PedSleepMAE")
    assert np.array_equal(sig.digital, dig)
    assert np.max(np.abs(sig.data[~nan] - expected[~nan])) <= step / 2 + 1e-9


def test_reconstructed_label_rule():
    assert reconstructed_label("SPO2") == "SPO2 recon"
    assert reconstructed_label("C-FLOW") == "C-FLOW recon"
    assert reconstructed_label("EEG C3-M2") == "EEG C3-M2 recon"
    assert reconstructed_label("RESP THORACIC") == "RESP THORA recon"
    assert reconstructed_label("EMG CHIN1-CHIN2") == "EMG CHIN1 recon"
    assert reconstructed_label("SpO2 µ%") == "SpO2 u% recon"
    for name in CANONICAL:
        lab = reconstructed_label(name)
        assert len(lab) <= 16 and lab.endswith(" recon") and lab.isascii()
    assert len({reconstructed_label(n) for n in CANONICAL}) == len(CANONICAL)
    # re-opening an export never takes a reconstruction for the real channel
    from engine.channels.mapping import LabelInfo, map_labels

    chmap = map_labels([LabelInfo(reconstructed_label(n), "", 128.0) for n in CANONICAL])
    assert all(s.how == "missing" for s in chmap.sources)


def test_reconstruction_signal_stitches_pieces():
    parts = _spo2_parts(2, 4)
    sig = reconstruction_signal(parts, RECON_HZ, 150.0, "SPO2", "%", reason="missing")
    assert sig.edf_label == "SPO2 recon" and sig.channel == "SPO2"
    assert sig.data.shape == (150 * 128,) and sig.data.dtype == np.float64
    a, b = 60 * 128, 120 * 128
    assert np.isnan(sig.data[:a]).all() and np.isnan(sig.data[b:]).all()
    assert np.array_equal(sig.data[a:b], np.concatenate([p.mean for p in parts]))
    # tuples, overlap (later wins), a piece running past the end, one before the start
    sig = reconstruction_signal(
        [
            (0.0, np.ones(256)),
            (1.0, np.full(256, 2.0)),
            (9.0, np.full(512, 3.0)),
            (-1.0, [4.0] * 256),
        ],
        128.0,
        10.0,
        "C-FLOW",
        "a.u.",
    )
    assert len(sig.data) == 1280
    assert sig.data[0] == 4.0 and sig.data[127] == 4.0 and sig.data[128] == 2.0
    assert sig.data[383] == 2.0 and np.isnan(sig.data[384:1152]).all()
    assert (sig.data[1152:] == 3.0).all()
    with pytest.raises(ValueError):
        reconstruction_signal(_spo2_parts(0, 1), 100.0, 60.0, "SPO2", "%")


def test_export_generated_study_with_reconstructed_spo2(study: Path, tmp_path: Path):
    mne = pytest.importorskip("mne")
    src_bytes = study.read_bytes()
    doc = _doc(SECONDS // 30)
    extra = reconstruction_signal(
        _spo2_parts(2, 8), RECON_HZ, SECONDS, "SPO2", "%", reason="missing"
    )
    out = tmp_path / "scored.edf"
    rep = export_edf_plus(study, doc, out, extra_signals=[extra])
    assert study.read_bytes() == src_bytes
    assert rep.extra_signals == ["SPO2 recon"] and rep.warnings == []
    _assert_sources_identical(study, out)
    _assert_extra(out, "SPO2 recon", extra.data, RECON_HZ, "%")
    idx, h, _, _ = _header(out, "SPO2 recon")
    assert idx == 15  # after the 15 source signals
    r = pyedflib.EdfReader(str(out))
    assert r.getNSamples()[idx] == SECONDS * 128
    texts = [str(t) for t in r.readAnnotations()[2]]
    r.close()
    assert texts.count("Sleep stage N2") == 1 and "Hypopnea" in texts  # annotations intact

    # MNE sees the channel (it brings every channel to the file's highest rate, 256 Hz)
    raw = mne.io.read_raw_edf(out, preload=True, verbose="error")
    assert "SPO2 recon" in raw.ch_names and len(raw.ch_names) == 16
    got = raw.get_data(picks=["SPO2 recon"])[0]
    fin = np.isfinite(extra.data)
    inner = np.zeros_like(fin)
    inner[90 * 128 : 210 * 128] = True  # away from the NaN edges (resampling rings there)
    assert np.max(np.abs(got[::2][inner] - extra.data[inner])) < 0.05
    eeg_pyedf = pyedflib.EdfReader(str(out))
    try:
        c3 = eeg_pyedf.readSignal(0)
    finally:
        eeg_pyedf.close()
    assert np.allclose(raw.get_data(picks=["EEG C3-M2"])[0], c3 * 1e-6, rtol=0, atol=1e-12)

    # the sidecar says which signal is reconstructed, from what, accepted by whom
    side = json.loads(sidecar_path(out).read_text())
    (entry,) = side["reconstructed_signals"]
    assert entry["label"] == "SPO2 recon" and entry["source_channel"] == "SPO2"
    assert entry["signal_index"] == 15 and entry["accepted_by"] == "human"
    assert entry["reason"] == "missing" and entry["nan_written_as"] == "digital_minimum"
    assert entry["created_at"] == side["exported"] and entry["sfreq_hz"] == RECON_HZ
    assert entry["reconstructed_s"] == pytest.approx(180.0)
    # re-import still restores the scoring with its provenance
    back = import_scoring(out)
    assert back.format == "edf+pedsleep"
    doc.start_datetime = back.scoring.start_datetime
    assert back.scoring.content_equals(doc)


def test_extra_signal_resampled_to_whole_samples_per_record(study: Path, tmp_path: Path):
    t = np.arange(int(SECONDS * 12.5)) / 12.5
    data = 50.0 + 10.0 * np.sin(2 * np.pi * t / 40.0)
    data[: 25 * 12] = np.nan  # first 24 s not reconstructed
    sig = ExtraSignal(
        "RESP THORACIC",
        12.5,
        "a.u.",
        data,
        created_at="2025-01-11T08:00:00+00:00",
        reason="flat",
        prefilter="LP:5Hz",
    )
    rep = export_edf_plus(study, Scoring(10), tmp_path / "o.edf", extra_signals=[sig])
    assert rep.extra_signals == ["RESP THORA recon"]
    assert any("resampled to 13 Hz" in w for w in rep.warnings)
    _assert_sources_identical(study, tmp_path / "o.edf")
    _, h, dig, phys = _header(tmp_path / "o.edf", "RESP THORA recon")
    assert h["sample_frequency"] == 13 and len(dig) == 13 * SECONDS
    assert h["prefilter"] == "LP:5Hz"
    t13 = np.arange(13 * SECONDS) / 13.0
    want = 50.0 + 10.0 * np.sin(2 * np.pi * t13 / 40.0)
    late = t13 >= 25.0
    assert np.max(np.abs(phys[late] - want[late])) < 0.01  # linear interpolation error
    assert np.all(dig[t13 < 23.9] == -32768)  # not reconstructed: digital minimum
    side = json.loads(sidecar_path(tmp_path / "o.edf").read_text())
    (entry,) = side["reconstructed_signals"]
    assert entry["resampled_from_hz"] == 12.5 and entry["sfreq_hz"] == 13.0
    assert entry["created_at"] == "2025-01-11T08:00:00+00:00" and entry["reason"] == "flat"
    assert entry["source_channel"] == "RESP THORACIC"


def test_extra_signal_edge_cases(study: Path, tmp_path: Path):
    nan = ExtraSignal("SPO2", 128.0, "%", np.full(SECONDS * 128, np.nan))
    rep = export_edf_plus(study, Scoring(10), tmp_path / "a.edf", extra_signals=[nan])
    assert rep.extra_signals == [] and any("nothing reconstructed" in w for w in rep.warnings)
    r = pyedflib.EdfReader(str(tmp_path / "a.edf"))
    assert r.signals_in_file == 15
    r.close()
    assert json.loads(sidecar_path(tmp_path / "a.edf").read_text())["reconstructed_signals"] == []
    # a constant signal still gets a valid physical range; a short one is padded with NaN
    const = ExtraSignal("CAPNO", 16.0, "mmHg", np.full(100 * 16, 38.0))
    rep = export_edf_plus(study, Scoring(10), tmp_path / "b.edf", extra_signals=[const])
    assert any("padded" in w for w in rep.warnings)
    expected = np.full(SECONDS * 16, np.nan)
    expected[: 100 * 16] = 38.0
    _assert_extra(tmp_path / "b.edf", "CAPNO recon", expected, 16.0, "mmHg")
    # label clash with the source, or between two extras
    clash = ExtraSignal("SPO2", 128.0, "%", np.ones(SECONDS * 128))
    with pytest.raises(UserError, match="already used"):
        export_edf_plus(study, Scoring(10), tmp_path / "c.edf", extra_signals=[clash, clash])
    assert not (tmp_path / "c.edf").exists()
    # no extra signals: the file is what it always was, the sidecar lists none
    export_edf_plus(study, Scoring(10), tmp_path / "d.edf")
    r = pyedflib.EdfReader(str(tmp_path / "d.edf"))
    assert r.signals_in_file == 15
    r.close()


def test_provenance_in_sidecar_and_events_tsv(study: Path, tmp_path: Path):
    doc = _doc(SECONDS // 30)
    extra = reconstruction_signal(_spo2_parts(0, 10), RECON_HZ, SECONDS, "SPO2", "%")

    def rows(path: Path) -> dict[tuple[str, str], list[str]]:
        lines = path.read_text().splitlines()
        assert lines[0].split("\t")[:4] == ["onset", "duration", "trial_type", "provenance"]
        return {(r[0], r[2]): r for r in (ln.split("\t") for ln in lines[1:])}

    # default export: decided items only, each with its provenance
    out = tmp_path / "default.edf"
    export_edf_plus(study, doc, out, extra_signals=[extra])
    side = json.loads(sidecar_path(out).read_text())
    prov = {(a["onset_s"], a["text"]): a["provenance"] for a in side["annotations"]}
    assert prov[(0.0, "Sleep stage W")] == "human"
    assert prov[(30.0, "Sleep stage N2")] == "model-accepted"
    assert prov[(90.0, "Sleep stage N3")] == "human"  # the scorer's own over a rejection
    assert prov[(60.0, "Sleep stage ?")] is None  # rejected suggestion: epoch left unscored
    assert prov[(10.0, "Hypopnea")] == "model-accepted"
    assert prov[(100.0, "Central apnea")] == "human"
    assert (40.0, "Obstructive apnea") not in prov  # rejected: not in the file by default
    assert (70.0, "Arousal") not in prov  # pending: not in the file by default
    conf = {(a["onset_s"], a["text"]): a["confidence"] for a in side["annotations"]}
    assert conf[(30.0, "Sleep stage N2")] == pytest.approx(0.8)
    assert conf[(10.0, "Hypopnea")] == pytest.approx(0.7)
    # ... while the sidecar's document snapshot keeps every decision, rejections included
    snap = Scoring.from_dict(side["scoring"])
    assert snap.suggestion_states()[2] is Provenance.MODEL_REJECTED
    assert snap.suggestion_states()[3] is Provenance.MODEL_REJECTED
    rejected = [e for e in snap.events(include_rejected=True) if e.onset_s == 40.0]
    assert rejected[0].provenance is Provenance.MODEL_REJECTED
    assert side["reconstructed_signals"][0]["accepted_by"] == "human"

    tsv = rows(export_events_tsv(doc, tmp_path / "events.tsv"))
    assert tsv[("0", "Sleep stage W")][3:5] == ["human", "n/a"]
    assert tsv[("30", "Sleep stage N2")][3:5] == ["model-accepted", "0.8000"]
    assert tsv[("90", "Sleep stage N3")][3] == "human"
    assert tsv[("10", "Hypopnea")][3:5] == ["model-accepted", "0.7000"]
    assert tsv[("100", "Central apnea")][3:] == ["human", "n/a", "C-FLOW"]
    assert ("40", "Obstructive apnea") not in tsv and ("70", "Arousal") not in tsv

    # asked for: rejected and pending suggestions too, told apart by provenance
    opts = ExportOptions(include_rejected=True, include_suggestions=True)
    out2 = tmp_path / "all.edf"
    export_edf_plus(study, doc, out2, options=opts, extra_signals=[extra])
    side2 = json.loads(sidecar_path(out2).read_text())
    prov2 = {(a["onset_s"], a["text"]): a["provenance"] for a in side2["annotations"]}
    assert prov2[(40.0, "Obstructive apnea")] == "model-rejected"
    assert prov2[(60.0, "Model suggestion: Sleep stage N2")] == "model-rejected"
    assert prov2[(90.0, "Model suggestion: Sleep stage N2")] == "model-rejected"
    assert prov2[(90.0, "Sleep stage N3")] == "human"
    assert prov2[(70.0, "Arousal")] == "model"
    tsv2 = rows(export_events_tsv(doc, tmp_path / "all.tsv", options=opts))
    assert tsv2[("40", "Obstructive apnea")][3:5] == ["model-rejected", "0.6000"]
    assert tsv2[("60", "Model suggestion: Sleep stage N2")][3] == "model-rejected"
    assert tsv2[("70", "Arousal")][3] == "model"
    # plain readers still see plain labels (the rejected stage is not an epoch's stage)
    e = edfio.read_edf(out2)
    texts = [(a.onset, a.text) for a in e.annotations]
    assert (60.0, "Sleep stage ?") in texts and (30.0, "Sleep stage N2") in texts
    assert (60.0, "Sleep stage N2") not in texts
    # and the EDF+ round trip restores provenance of every kind
    back = import_scoring(out2).scoring
    assert back.epoch(1).provenance is Provenance.MODEL_ACCEPTED
    assert back.epoch(0).provenance is Provenance.HUMAN
    assert back.suggestion_states()[2] is Provenance.MODEL_REJECTED
    evs = {e.onset_s: e.provenance for e in back.events(include_rejected=True)}
    assert evs == {
        10.0: Provenance.MODEL_ACCEPTED,
        40.0: Provenance.MODEL_REJECTED,
        70.0: Provenance.MODEL,
        100.0: Provenance.HUMAN,
    }


@pytest.mark.skipif(not SLEEP_EDF.exists(), reason=f"real test data not found: {SLEEP_EDF}")
def test_sleep_edf_with_reconstructed_channel(tmp_path: Path):
    mne = pytest.importorskip("mne")
    doc = _doc(10)
    extra = reconstruction_signal(_spo2_parts(1, 9), RECON_HZ, 300.0, "SPO2", "%", reason="missing")
    out = tmp_path / "sc4001.edf"
    rep = export_edf_plus(SLEEP_EDF, doc, out, extra_signals=[extra])
    assert rep.extra_signals == ["SPO2 recon"]
    assert not any("resampled" in w for w in rep.warnings)  # 30-s records x 128 Hz = 3840
    _assert_sources_identical(SLEEP_EDF, out)
    _assert_extra(out, "SPO2 recon", extra.data, RECON_HZ, "%")
    raw = mne.io.read_raw_edf(out, preload=True, verbose="error")
    assert raw.ch_names[-1] == "SPO2 recon" and raw.info["sfreq"] == RECON_HZ
    got = raw.get_data(picks=["SPO2 recon"])[0]
    fin = np.isfinite(extra.data)
    assert np.max(np.abs(got[fin] - extra.data[fin])) < 0.001
    assert {"Hypopnea", "Sleep stage N2", "Sleep stage W"} <= set(raw.annotations.description)
    side = json.loads(sidecar_path(out).read_text())
    assert side["reconstructed_signals"][0]["signal_index"] == 7


@pytest.mark.skipif(not SLEEP_BDF.exists(), reason=f"real test data not found: {SLEEP_BDF}")
def test_bdf_source_gets_a_24_bit_reconstructed_signal(tmp_path: Path):
    extra = reconstruction_signal(_spo2_parts(0, 10), RECON_HZ, 300.0, "SPO2", "%")
    out = tmp_path / "sc4001.bdf"
    rep = export_edf_plus(SLEEP_BDF, Scoring(10), out, extra_signals=[extra])
    assert rep.extra_signals == ["SPO2 recon"]
    _assert_sources_identical(SLEEP_BDF, out)
    _assert_extra(out, "SPO2 recon", extra.data, RECON_HZ, "%", bdf=True)

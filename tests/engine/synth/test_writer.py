"""EDF+ files: open in pyedflib, edfio and MNE with the ground truth as annotations;
byte-identical for a seed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.channels.canonical import CANONICAL_CHANNELS
from engine.synth import NightParams, generate_night, read_truth, truth_path, write_night

HYP = tuple(["W"] * 4 + ["N1"] * 2 + ["N2"] * 8 + ["N3"] * 4 + ["R"] * 6)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    night = generate_night(NightParams(hypnogram=HYP, age_years=7, ahi=30, seed=5, artefacts=True,
                                       missing_channels=("CAPNO",)))
    path = write_night(night, tmp_path_factory.mktemp("synth") / "night.edf")
    return night, path


def test_pyedflib_reads_signals_annotations(written):
    pyedflib = pytest.importorskip("pyedflib")
    night, path = written
    with pyedflib.EdfReader(str(path)) as f:
        labels = f.getSignalLabels()
        assert labels == [c.name for c in CANONICAL_CHANNELS if c.name != "CAPNO"]
        rates = dict(zip(labels, f.getSampleFrequencies(), strict=False))
        for c in CANONICAL_CHANNELS:
            if c.name in rates:
                assert rates[c.name] == c.native_sfreq_hz
        i = labels.index("EEG C3-M2")
        assert f.getPhysicalDimension(i) == "uV"
        x = f.readSignal(i)
        ref = np.clip(night.signals["EEG C3-M2"], -1000, 1000)
        assert np.max(np.abs(x - ref)) < 0.05  # 16-bit quantisation over +-1000 uV
        spo2 = f.readSignal(labels.index("SPO2"))
        assert np.allclose(spo2, night.signals["SPO2"], atol=0.01)
        onsets, durations, texts = f.readAnnotations()
    stages = [t for t in texts if t.startswith("Sleep stage ")]
    assert stages == [f"Sleep stage {s}" for s in night.stages]
    assert all(d == 30.0 for d, t in zip(durations, texts, strict=False) if t.startswith("Sleep stage "))
    plain = {t.split("@@")[0] for t in texts}
    assert {"Obstructive apnea", "Oxygen desaturation", "Arousal", "Channel missing: CAPNO"} <= plain
    assert len(texts) == len(night.stages) + len(night.events)


def test_edfio_reads(written):
    edfio = pytest.importorskip("edfio")
    night, path = written
    edf = edfio.read_edf(path)
    assert [s.label for s in edf.signals] == night.channels
    assert edf.signals[0].sampling_frequency == 256.0
    texts = [a.text for a in edf.annotations]
    assert texts.count("Sleep stage N2") == night.stages.count("N2")
    assert len(edf.annotations) == len(night.stages) + len(night.events)


def test_mne_reads_with_annotations(written):
    mne = pytest.importorskip("mne")
    night, path = written
    raw = mne.io.read_raw_edf(path, preload=False, verbose="error")
    assert set(raw.ch_names) == set(night.channels)
    desc = list(raw.annotations.description)
    assert desc.count("Sleep stage R") == night.stages.count("R")
    assert "Obstructive apnea" in desc or "Hypopnea" in desc
    ev = [e for e in night.events if e.type == "Arousal"][0]
    i = desc.index("Arousal")
    assert abs(raw.annotations.onset[i] - ev.onset_s) < 1e-3
    assert abs(raw.annotations.duration[i] - ev.duration_s) < 1e-3
    # channel-bound artefacts carry their channel (EDF+ "@@label")
    chan = [(d, c) for d, c in zip(desc, raw.annotations.ch_names, strict=False) if c]
    want = [e for e in night.events if e.channel and e.type.startswith("Artifact")]
    if want:
        assert chan and all(c[0] in night.channels for _, c in chan)


def test_truth_sidecar(written):
    night, path = written
    t = read_truth(path)
    assert truth_path(path).exists()
    assert t["stages"] == night.stages
    assert t["missing_channels"] == ["CAPNO"] and "CAPNO" not in t["channels"]
    assert t["params"]["seed"] == 5 and t["params"]["ahi"] == 30
    assert len(t["events"]) == len(night.events)
    e = t["events"][0]
    assert set(e) == {"onset_s", "duration_s", "type", "channel"}
    assert json.loads(json.dumps(t)) == t


def test_same_seed_byte_identical_other_seed_differs(tmp_path):
    p = NightParams(hours=0.1, age_years=3, ahi=10, seed=9)
    a = write_night(generate_night(p), tmp_path / "a.edf")
    b = write_night(generate_night(p), tmp_path / "b.edf")
    assert a.read_bytes() == b.read_bytes()
    assert truth_path(a).read_text() == truth_path(b).read_text()
    na, nb = generate_night(p), generate_night(p)
    nc = generate_night(NightParams(hours=0.1, age_years=3, ahi=10, seed=10))
    assert na.channels == nb.channels and na.events == nb.events and na.stages == nb.stages
    for label in na.signals:
        assert na.signals[label].tobytes() == nb.signals[label].tobytes()
    assert not np.array_equal(na.signals["EEG C3-M2"], nc.signals["EEG C3-M2"])

"""Channel types from label, unit, transducer, rate and the signal itself; units read
case-insensitively and checked against the amplitude. Real files: ../shared/data."""

import numpy as np
import pytest

from engine.channels.types import KINDS, classify, classify_signal
from engine.channels.units import engineering, microvolt_factor, pretty_unit
from engine.io import open_study


@pytest.mark.parametrize("label,unit,sf,kind,detail", [
    # DREAMS
    ("PHONO", "MV", 50, "snore", "microphone"), ("NAF1", "UV", 50, "flow", "nasal airflow"),
    ("VAB", "ML", 50, "resp", ""), ("VTH", "ML", 50, "resp", ""), ("SAO2", "%", 50, "spo2", ""),
    ("PR", "BPM", 50, "pulse", "pulse rate"), ("POS", "-", 50, "position", ""),
    ("EOG1-A1", "UV", 50, "eog", ""), ("FP1-A1", "UV", 50, "eeg", ""), ("EMG1", "UV", 50, "emg", ""),
    ("hypnogram", "stade", 1, "event", "event codes"), ("event_pneumo", "ev", 1, "event", "event codes"),
    # Nox A1
    ("1-2", "V", 200, "emg", ""), ("F", "V", 200, "emg", ""), ("Right Leg", "V", 200, "leg", ""),
    ("Snoring", "cmH2O", 200, "snore", "microphone"), ("Nasal Pressure", "cmH2O", 200, "flow", "nasal pressure"),
    ("Airflow", "cmH2O", 200, "flow", ""), ("PosAngle", "°", 20, "position", "angle"),
    ("Pulse", "bpm", 3, "pulse", "pulse rate"), ("Heart Rate", "bpm", 3, "pulse", "heart rate"),
    ("Saturation", "%", 3, "spo2", ""), ("Chest", "V", 25, "resp", ""),
    ("C3 Impédance", "Ohm", 1, "other", "impedance"), ("Voltage (battery", "V", 100, "other", "device status"),
    ("Pulse Waveform", "", 75, "other", "plethysmogram"), ("M1M2", "V", 200, "eeg", ""),
    # ResMed
    ("Flow.40ms", "L/s", 25, "flow", "CPAP flow"), ("Press.40ms", "cmH2O", 25, "cpap", "pressure"),
    ("Leak.2s", "L/s", 0.5, "cpap", "leak"), ("Crc16", "", 1 / 60, "event", "checksum"),
    ("TrigCycEvt.40ms", "", 25, "event", "event codes"), ("Snore.2s", "", 0.5, "snore", "loudness"),
    # Sleep-EDF
    ("EEG Fpz-Cz", "uV", 100, "eeg", ""), ("EOG horizontal", "uV", 100, "eog", ""),
    ("Event marker", "", 1, "event", "event codes"), ("Temp rectal", "DegC", 1, "other", "temperature"),
])
def test_vendor_spellings(label, unit, sf, kind, detail):
    t = classify(label, unit, sf)
    assert (t.kind, t.detail) == (kind, detail)
    assert t.kind in KINDS
    assert t.hidden == (kind == "event" or detail in ("impedance", "device status"))


def test_transducer_and_prefilter_fields():
    assert classify("Resp oro-nasal", "", 1, "Oral-nasal thermistor").detail == "thermistor"
    assert classify("EMG submental", "uV", 1, "Ag-AgCl electrodes", "HP:16Hz Rectification LP:0.7Hz").detail \
        == "envelope"
    # the transducer says thermistor, the label says temperature: a temperature
    assert classify("Temp rectal", "DegC", 1, "Rectal thermistor").kind == "other"


def test_samples_decide_when_the_label_cannot():
    codes = np.repeat([0.0, 1.0, 3.0, 1.0], 30)
    assert classify("X7", "", 1.0, values=codes).kind == "event"
    sat = np.full(300, 96.0) + np.random.default_rng(0).normal(0, 0.5, 300)
    assert classify("Kanal 9", "%", 1.0, values=sat).kind == "spo2"
    assert classify("Kanal 9", "%", 1.0, values=sat * 0 + 5).kind == "other"


def test_units_case_insensitive_and_checked_against_amplitude():
    assert pretty_unit("UV") == "µV" and pretty_unit("MV") == "mV" and pretty_unit("uv") == "µV"
    # DREAMS ECG: "MV" with values in the hundreds is µV (a 100-mV ECG does not exist)
    f, note = microvolt_factor("MV", "ecg", 103.0)
    assert f == 1.0 and "µV" in note
    # an EEG whose "MV" values are in the hundreds is µV as well
    assert microvolt_factor("MV", "eeg", 250.0)[0] == 1.0
    # a plausible declared unit is kept: Nox EEG in volts, an ECG in mV
    assert microvolt_factor("V", "eeg", 3e-4) == (1e6, "")
    assert microvolt_factor("mV", "ecg", 1.5) == (1e3, "")
    assert microvolt_factor("uV", "eeg", 80.0) == (1.0, "")


def test_engineering_units():
    assert engineering(9.08e-5, "V") == "90.8 µV"
    assert engineering(1200.0, "uV") == "1.2 mV"
    assert engineering(90.8, "µV") == "90.8 µV"
    assert engineering(5.0, "%") == "5 %"
    assert engineering(0.5, "cmH2O") == "0.5 cmH2O"


def test_every_real_file_is_typed(shared_data):
    expect = {
        "dreams-dev/excerpt3.edf": {"PHONO": "snore", "ECG": "ecg", "SAO2": "spo2", "POS": "position",
                                    "NAF1": "flow", "VAB": "resp", "PR": "pulse", "hypnogram": "event"},
        "nox/nox-a1-120s.edf": {"C3-M2": "eeg", "E1-M2": "eog", "1-2": "emg", "Left Leg": "leg",
                                "ECG": "ecg", "Nasal Pressure": "flow", "Chest": "resp",
                                "Saturation": "spo2", "Pulse": "pulse", "PosAngle": "position",
                                "Snoring": "snore"},
        "resmed/20260111_220919_BRP.edf": {"Flow.40ms": "flow", "Press.40ms": "cpap", "Crc16": "event"},
        "sleep-edf/SC4001E0-PSG-first300s.edf": {"EEG Fpz-Cz": "eeg", "Resp oro-nasal": "flow",
                                                 "EMG submental": "emg", "Event marker": "event"},
    }
    for rel, kinds in expect.items():
        s = open_study(shared_data / rel)
        try:
            got = {i.display_label: classify_signal(i, s.read(i.index, 0, min(60.0, s.duration_s))).kind
                   for i in s.signals}
        finally:
            s.close()
        for label, kind in kinds.items():
            assert got[label] == kind, (rel, label, got[label])

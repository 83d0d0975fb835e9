"""What kind of signal a channel carries, from its label, unit, transducer, rate and, when
given, its own samples.

The kind decides a channel's default display filter, scale, colour and place in the
montage. Vendor spellings covered (and tested on the real files): Sleep-EDF
(``EEG Fpz-Cz``, ``Resp oro-nasal``, ``EMG submental``, ``Event marker``), DREAMS
(``PHONO``, ``NAF1``, ``VAB``/``VTH``, ``SAO2``, ``PR``, ``POS``, ``PULSE``, the 1-Hz
``hypnogram``/``event_*`` score channels), Nox A1 (89 signals: chin electrodes ``1``, ``2``,
``F``, legs, ``Snoring``, ``PosAngle``, ``Pulse Waveform``, impedances, battery),
ResMed (``Flow.40ms``, ``Press.40ms``, ``Leak.2s``, ``TrigCycEvt.40ms``, ``Crc16``).

No Qt here: the GUI reaches this through engine/api.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from engine.channels.aliases import normalise

# kind -> name shown to the scorer, in clinical montage order
KIND_NAMES: dict[str, str] = {
    "eeg": "EEG", "eog": "EOG", "emg": "Chin EMG", "leg": "Leg EMG", "ecg": "ECG",
    "flow": "Airflow", "cpap": "CPAP pressure / leak", "resp": "Effort belts", "spo2": "SpO2",
    "pulse": "Pulse / heart rate", "position": "Body position", "snore": "Snore / sound",
    "capno": "CO2", "other": "Other", "event": "Event codes / checksums",
}
KINDS: tuple[str, ...] = tuple(KIND_NAMES)
# kinds a default montage hides (a scorer never reads them as traces)
HIDDEN_KINDS = ("event",)
ELECTRO_KINDS = ("eeg", "eog", "emg", "leg", "ecg")

_EEG_SITES = {"FP1", "FP2", "FPZ", "AF3", "AF4", "AFZ", "F1", "F2", "F3", "F4", "F7", "F8", "FZ",
              "FC1", "FC2", "FC3", "FC4", "FCZ", "C1", "C2", "C3", "C4", "C5", "C6", "CZ", "CP1",
              "CP2", "CP3", "CP4", "CPZ", "P1", "P2", "P3", "P4", "P7", "P8", "PZ", "PO3", "PO4",
              "POZ", "O1", "O2", "OZ", "T3", "T4", "T5", "T6", "T7", "T8", "TP9", "TP10",
              "M1", "M2", "A1", "A2", "M1M2", "A1A2"}
_EOG_SITES = {"E1", "E2", "LOC", "ROC", "EOGL", "EOGR", "LEOG", "REOG", "EOG1", "EOG2"}
# Nox / Embla chin electrodes: 1, 2, 3 and F (the chin reference) and their differences
_CHIN_SITES = {"1", "2", "3", "F", "CHIN1", "CHIN2", "CHIN3", "CHINZ", "LCHIN", "RCHIN", "CCHIN"}
_DEVICE_STATUS = ("BATTERY", "BLUETOO", "VOLTAGE", "LIGHT", "LUX", "SIGNAL-QUALITY", "RSSI",
                  "PLETH-QUALITY", "STATUS")
_CHECKSUM = ("CRC", "CHECKSUM")
_EVENT_WORDS = ("HYPNOGRAM", "EVENT", "MARKER", "ANNOTATION", "TRIGCYC", "STADE", "STAGE", "TRIGGER",
                "DIGITAL", "DC-MARK")


@dataclass(frozen=True)
class ChannelType:
    kind: str  # one of KINDS
    detail: str = ""  # e.g. "thermistor", "nasal pressure", "CPAP flow", "impedance"
    hidden: bool = False  # hidden by a default montage (event codes, checksums, impedances)

    @property
    def name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind) + (f" ({self.detail})" if self.detail else "")


def _words(n: str) -> list[str]:
    return [w for w in re.split(r"[-()]+", n) if w]


def _sites(n: str) -> list[str]:
    """Electrode names of a (possibly referential) label: 'EEG-C3-A1' -> ['C3', 'A1']."""
    for w in ("EEG-", "EOG-", "EMG-"):
        if n.startswith(w):
            n = n[len(w):]
    return [s for s in n.split("-") if s and s != "REF"]


def _unit_key(unit: str) -> str:
    return unit.strip().replace(" ", "").lower()


def classify(label: str, unit: str = "", sfreq_hz: float = 0.0, transducer: str = "",
             prefilter: str = "", values: np.ndarray | None = None) -> ChannelType:
    """The channel's kind. ``values``: optional samples (a few minutes) used where the
    label and unit cannot tell (integer codes at ≤ 1 Hz are event channels)."""
    n = normalise(label.replace("\u2212", "-"))  # a derivation "C3−M2" reads as C3-M2
    n = re.sub(r"-\d+(MS|S)$", "", n)  # ResMed sample-period suffix: FLOW-40MS -> FLOW
    words = _words(n)
    u = _unit_key(unit)
    tr = transducer.strip().upper()
    joined = " ".join([n, tr])

    # --- never traces a scorer reads: checksums, event codes, impedances, device status
    if any(w.startswith(_CHECKSUM) for w in words):
        return ChannelType("event", "checksum", True)
    if "IMP" in words or "IMPEDANCE" in n or "IMPÉDANCE" in n or u in ("ohm", "kohm", "Ω".lower()):
        return ChannelType("other", "impedance", True)
    if any(w in n for w in _DEVICE_STATUS):
        return ChannelType("other", "device status", True)
    if any(w in joined for w in _EVENT_WORDS) or u in ("stade", "ev", "event"):
        return ChannelType("event", "event codes", True)

    # --- cardiac
    if any(w in n for w in ("ECG", "EKG")) or "ELECTROCARDIO" in tr:
        return ChannelType("ecg")
    if u in ("bpm", "beats/min", "/min") and not any(w in n for w in ("RESP", "BREATH", "RR")):
        return ChannelType("pulse", "heart rate" if "HEART" in n or n.startswith("HR") else "pulse rate")
    if n in ("PR", "HR", "PULSE-RATE", "HEART-RATE", "PULSERATE", "HEARTRATE") or n.startswith(
            ("HEART-RATE", "PULSE-RATE")):
        return ChannelType("pulse", "heart rate" if "HEART" in n or n.startswith("HR") else "pulse rate")
    if "PLETH" in n or n in ("PULSE", "PULSE-WAVEFORM", "PPG") or "PULSE-WAVE" in n:
        return ChannelType("other", "plethysmogram")

    # --- oximetry, CO2
    if any(w in n for w in ("SPO2", "SAO2", "SP02", "SA02", "OSAT", "OXIMETRY")) or n in (
            "SAT", "SATURATION", "OXYGEN-SATURATION") or "SATURATION" in n:
        return ChannelType("spo2")
    if any(w in n for w in ("CO2", "CAPNO")):
        return ChannelType("capno")

    # --- position, sound
    if n in ("POS", "POSITION", "BODY", "BODY-POSITION", "BODYPOS", "POSANGLE", "POS-ANGLE") or \
            n.startswith(("POSITION", "BODY-POS", "POSANGLE")):
        return ChannelType("position", "angle" if u in ("°", "deg", "degree", "degrees") else "")
    if any(w in n for w in ("SNOR", "PHONO", "MICRO", "SOUND", "AUDIO")) or n in ("MIC", "SNORE-MIC"):
        return ChannelType("snore", "loudness" if u in ("db", "pa") or "VOLUME" in n or
                           (sfreq_hz and sfreq_hz < 40) else "microphone")

    # --- breathing: airflow before pressure (a nasal pressure cannula is airflow)
    if "PHASE" in n:
        return ChannelType("other", "phase")
    if "TEMP" in n or u in ("degc", "°c"):
        return ChannelType("other", "temperature")
    if "FLOW-LIM" in n or n.startswith("FLOWLIM"):
        return ChannelType("other", "flow limitation index")
    if "THERM" in joined or "ORO-NASAL" in n or "ORONASAL" in n:
        return ChannelType("flow", "thermistor")
    if any(w in n for w in ("NASAL-PRESS", "NASAL-P", "NPRE", "PTAF", "CANNULA")) or n.startswith("NAF"):
        return ChannelType("flow", "nasal pressure" if "NAF1" not in n else "nasal airflow")
    if n.startswith("RIP-FLOW") or n == "RIPFLOW":
        return ChannelType("flow", "RIP flow")
    if "FLOW" in n or "AIRFLOW" in n:
        if u in ("l/s", "l/min", "ml/s") or "CPAP" in n or "PAP" in words:
            return ChannelType("flow", "CPAP flow")
        return ChannelType("flow")
    if any(w in n for w in ("LEAK", "MASKPRESS", "EPRPRESS", "CPAP", "IPAP", "EPAP", "BIPAP")) or \
            n in ("PRESS", "PRESSURE", "MASK-PRESSURE", "THERAPY-PRESSURE"):
        return ChannelType("cpap", "leak" if "LEAK" in n else "pressure")
    if u in ("cmh2o", "hpa", "mbar") and "NASAL" not in n:
        return ChannelType("cpap", "pressure")
    if any(w in n for w in ("THOR", "CHEST", "ABD", "ABDOM", "EFFORT", "RIP", "INDUCTANCE", "BELT")) or \
            n in ("VAB", "VTH", "THX", "ABDO", "RESP-BELT"):
        return ChannelType("resp", "calibrated" if "CAL" in words else
                           "inductance" if "INDUCTANCE" in n else "")
    if "RESP" in n and not any(w in n for w in ("RATE", "RR")):
        return ChannelType("resp")

    # --- electrophysiology
    if any(w in n for w in ("LEG", "TIB", "JAMBE", "PLM")) or n in ("LAT", "RAT", "LLEG", "RLEG"):
        return ChannelType("leg")
    sites = _sites(n)
    if n.startswith("EOG") or (sites and sites[0] in _EOG_SITES):
        return ChannelType("eog")
    if "CHIN" in n or "SUBMENTAL" in n or "MENTAL" in n or n.startswith("EMG") or \
            (sites and all(s in _CHIN_SITES for s in sites) and u in ("v", "mv", "uv", "µv", "μv", "")):
        return ChannelType("emg", "envelope" if "RECTIF" in prefilter.upper() else "")
    if n.startswith("EEG") or (sites and sites[0] in _EEG_SITES):
        return ChannelType("eeg")
    # --- unit and samples when the label says nothing
    if u in ("%",) and values is not None and _median_in(values, 50.0, 100.5):
        return ChannelType("spo2")
    if u in ("uv", "µv", "μv", "mv"):
        return ChannelType("eeg")
    if values is not None and sfreq_hz and sfreq_hz <= 1.0 and u in ("", "-", "code", "n/a") and \
            _integer_codes(values):
        return ChannelType("event", "event codes", True)
    return ChannelType("other")


def _median_in(values: np.ndarray, lo: float, hi: float) -> bool:
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    return bool(len(v)) and lo <= float(np.median(v)) <= hi


def _integer_codes(values: np.ndarray) -> bool:
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    if len(v) < 4:
        return False
    return bool(np.all(np.abs(v - np.round(v)) < 1e-6)) and len(np.unique(v)) <= 12


def classify_signal(info, values: np.ndarray | None = None) -> ChannelType:
    """:func:`classify` for an :class:`engine.io.SignalInfo`."""
    return classify(info.display_label, info.unit, info.sfreq_hz, getattr(info, "transducer", ""),
                    getattr(info, "prefilter", ""), values)

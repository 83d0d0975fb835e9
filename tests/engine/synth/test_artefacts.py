"""Artefacts land where the ground truth says."""

from __future__ import annotations

import numpy as np

from engine.channels.canonical import CANONICAL_CHANNELS
from engine.synth.artefacts import LEAD_OFF, LINE, MOVEMENT, POP, apply_artefacts


def _zeros(hours):
    sig = {c.name: np.zeros(int(hours * 3600 * c.native_sfreq_hz), dtype=np.float32) for c in CANONICAL_CHANNELS}
    return sig, {c.name: c.native_sfreq_hz for c in CANONICAL_CHANNELS}


def test_each_artefact_kind_appears_and_is_where_recorded():
    seen = set()
    hours = 0.5
    stages = np.array([0] * 10 + [2] * 40 + [0] * 5 + [2] * 5)
    for seed in range(25):
        sig, fs = _zeros(hours)
        items = apply_artefacts(np.random.default_rng(seed), sig, fs, stages, [], [(1650.0, 150.0)],
                                60.0, True, 0.5, None)
        for on, du, typ, ch in items:
            seen.add(typ.split(":")[0] if typ.startswith("Channel") else typ)
            if typ == POP:
                x = sig[ch][int(on * fs[ch]) : int((on + 0.2) * fs[ch])]
                assert np.abs(x).max() > 50
            elif typ == LINE:
                x = sig[ch][int(on * fs[ch]) : int((on + 10) * fs[ch])]
                spec = np.abs(np.fft.rfft(x))
                f = np.fft.rfftfreq(x.size, 1 / fs[ch])
                assert abs(f[np.argmax(spec)] - 60.0) < 0.5
            elif typ == MOVEMENT:
                x = sig["EEG C3-M2"][int(on * 256) : int((on + du) * 256)]
                assert np.abs(x).max() > 50
            elif typ == LEAD_OFF:
                assert np.abs(sig[ch][int(on * fs[ch]) : int((on + 5) * fs[ch])]).max() > 100
            elif typ.startswith("Channel flat: "):
                x = sig[ch][int(on * fs[ch]) : int((on + du) * fs[ch])]
                assert ch == typ.split(": ")[1] and np.all(x == 0)
            elif typ.startswith("Channel missing: "):
                assert ch not in sig and on == 0 and du == hours * 3600
    assert seen >= {POP, LINE, MOVEMENT, LEAD_OFF, "Channel flat", "Channel missing"}, seen


def test_clean_night_has_no_artefacts():
    sig, fs = _zeros(0.2)
    stages = np.array([2] * 24)
    assert apply_artefacts(np.random.default_rng(1), sig, fs, stages, [], [], 50.0, False, 1.0, None) == []
    assert len(sig) == 16
    items = apply_artefacts(np.random.default_rng(1), sig, fs, stages, [], [], 50.0, False, 0.0, ("SNORE",))
    assert items == [(0.0, 720.0, "Channel missing: SNORE", "SNORE")] and "SNORE" not in sig

"""Invariants of whole nights drawn from the age model (artefacts on)."""

from __future__ import annotations

import pytest

from engine.synth import NightParams, generate_night

VOCAB = {"Obstructive apnea", "Central apnea", "Mixed apnea", "Hypopnea", "Oxygen desaturation", "Arousal",
         "Artifact: movement", "Artifact: electrode pop", "Artifact: line noise", "Artifact: lead off"}


@pytest.mark.parametrize("seed,age,ahi", [(21, 2.0, 12.0), (22, 9.0, 3.0), (23, 16.0, 25.0)])
def test_night_invariants(seed, age, ahi):
    n = generate_night(NightParams(hours=1.5, age_years=age, ahi=ahi, seed=seed, p_missing=1.0))
    assert len(n.stages) == 180 and set(n.stages) <= {"W", "N1", "N2", "N3", "R"}
    assert n.stages[0] == "W" and "N2" in n.stages
    assert len(n.missing_channels) == 1 and len(n.channels) == 15
    assert n.events == sorted(n.events, key=lambda e: (e.onset_s, e.type, e.channel))
    for e in n.events:
        assert e.type in VOCAB or e.type.startswith(("Channel flat: ", "Channel missing: "))
        assert 0 <= e.onset_s and e.onset_s + e.duration_s <= n.duration_s + 1e-6
        if e.channel and not e.type.startswith("Channel missing"):
            assert e.channel in n.channels
    # every desaturation follows a respiratory event by 10-30 s
    resp = [e for e in n.events if e.type in ("Obstructive apnea", "Central apnea", "Mixed apnea", "Hypopnea")]
    for d in n.events_of("Oxygen desaturation"):
        assert any(10.0 <= d.onset_s - r.onset_s <= 30.0 for r in resp)
    # respiratory events and arousals happen in sleep
    for e in resp + n.events_of("Arousal"):
        assert n.stages[int(e.onset_s // 30)] != "W"

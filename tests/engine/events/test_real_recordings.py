"""The rules on real recordings: the ResMed CPAP night (split BRP/PLD/SAD files, no
effort, no oximeter attached), DREAMS excerpt 3 (full PSG, with the database's own
event scorings as 1-Hz channels) and the Sleep-EDF excerpt (wake, a displaced sensor)."""

from __future__ import annotations

from collections import Counter

from engine.channels.mapping import map_study
from engine.events import detect_study_events, event_input
from engine.io import open_study
from engine.scoring.importers.dreams_events import import_dreams_events
from engine.scoring.labels import EventType, Stage

TYPED = (EventType.OBSTRUCTIVE_APNEA, EventType.CENTRAL_APNEA, EventType.MIXED_APNEA)


def test_resmed_night_reads_its_split_files_and_types_no_apnea(shared_data):
    study = open_study(shared_data / "resmed" / "20260111_220919_BRP.edf")
    inp = event_input(study, map_study(study))
    assert inp.apnea_flow.kind == "cpap-flow" and inp.apnea_flow.sfreq_hz == 25.0
    assert inp.leak is not None and inp.spo2 is not None  # from PLD and SAD
    assert not inp.has_effort
    det = detect_study_events(study, map_study(study), rules="aasm-adult")
    assert not [e for e in det.events if e.type in TYPED]  # no effort: never typed
    assert any("SpO2 not usable" in n for n in det.notes)  # the SAD file holds -1 only
    assert not [e for e in det.events if e.type == EventType.HYPOPNEA]  # nothing can confirm one
    for e in det.events:
        assert e.attrs["source"] == "aasm-rules" and e.attrs["rule"]


def test_sleep_edf_displaced_sensor_is_no_apnea(shared_data):
    study = open_study(shared_data / "sleep-edf" / "SC4001E0-PSG-first300s.edf")
    det = detect_study_events(study, map_study(study))
    assert not [e for e in det.events if e.type in EventType.APNEAS]


def test_dreams_excerpt3_reference_and_rules(shared_data):
    path = shared_data / "dreams-dev" / "excerpt3.edf"
    ref = import_dreams_events(path)
    counts = Counter(e.type for e in ref.scoring.events())
    assert counts[EventType.HYPOPNEA] == 35 and counts[EventType.AROUSAL] == 28
    assert counts[EventType.MIXED_APNEA] + counts[EventType.OBSTRUCTIVE_APNEA] == 4
    assert ref.n_stage_epochs == 60 and Stage.N2 in set(ref.scoring.stages().tolist())
    study = open_study(path)
    det = detect_study_events(study, map_study(study), rules="aasm-adult", stages=ref.scoring.stages())
    assert any("SpO2 not usable" in n for n in det.notes)  # SAO2 in this file is not a saturation
    apneas = [e for e in det.events if e.type in EventType.APNEAS]
    ref_apneas = [e for e in ref.scoring.events() if e.type in EventType.APNEAS]
    # every apnea the rules find lies on an apnea the expert scored
    for a in apneas:
        assert any(r.onset_s - 5 <= a.onset_s <= r.offset_s for r in ref_apneas)
    assert len(apneas) >= 2


def test_import_scoring_detects_the_dreams_event_channels(shared_data):
    from engine.scoring.importers import detect_format, import_scoring

    assert detect_format(shared_data / "dreams-dev" / "excerpt3.edf") == "dreams-events"
    assert detect_format(shared_data / "dreams-dev" / "excerpt1.edf") == "edf"  # no such channels
    res = import_scoring(shared_data / "dreams-dev" / "excerpt3.edf")
    assert res.format == "dreams-events" and res.n_events == 67
    ev = res.scoring.events(types=[EventType.HYPOPNEA])[0]
    assert ev.attrs["dreams_code"] == 10 and ev.provenance.value == "imported"

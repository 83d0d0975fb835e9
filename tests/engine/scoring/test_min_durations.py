from engine.scoring.min_durations import event_min_duration_s, shorter_than_minimum


def test_aasm_minimum_durations():
    assert event_min_duration_s("Arousal") == 3.0
    assert event_min_duration_s("Hypopnea") == 10.0
    assert event_min_duration_s("Central apnea", pediatric=True) == 20.0
    assert event_min_duration_s("Hypopnea", pediatric=True) is None
    assert event_min_duration_s("Oxygen desaturation") is None
    assert event_min_duration_s("Unknown thing") is None


def test_shorter_than_minimum_explains():
    msg = shorter_than_minimum("Arousal", 2.0)
    assert msg is not None and "3 s" in msg and "2.0 s" in msg
    assert shorter_than_minimum("Arousal", 3.0) is None
    assert shorter_than_minimum("Obstructive apnea", 5.0, pediatric=True) is None
    assert shorter_than_minimum("Oxygen desaturation", 1.0) is None

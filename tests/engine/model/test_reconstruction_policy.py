"""Reconstructions only where they serve the scorer (issue #11): a recorded channel over
its flat stretch; a missing channel only on request; nothing on a study unlike the
training nights."""

import numpy as np

from engine.channels.canonical import CANONICAL_NAMES, EPOCH_SAMPLES
from engine.inference.requirements import reconstruction_targets, unlike_training


def test_unlike_training_from_the_share_of_unusual_epochs():
    assert unlike_training(np.full(10, 0.995))
    assert unlike_training(np.r_[np.full(4, 0.9), np.full(6, 0.999)])
    assert not unlike_training(np.r_[np.full(8, 0.96), np.full(2, 0.999)])
    assert not unlike_training(np.array([0.999, np.nan, np.nan]))  # too few scored to judge
    assert unlike_training(np.array([0.999, 0.999]), n_epochs=2)  # a 1-min study: all of it


def test_targets_recorded_plus_requested_same_family():
    present = np.zeros(16, bool)
    for name in ("EEG C3-M2", "EOG LOC-M2", "SPO2", "C-FLOW"):
        present[CANONICAL_NAMES.index(name)] = True
    t = dict(zip(CANONICAL_NAMES, reconstruction_targets(present)))
    assert t["EEG C3-M2"] and t["SPO2"] and not t["EEG C4-M1"] and not t["RESP THORACIC"]
    c4, thor, chin = (CANONICAL_NAMES.index(n) for n in ("EEG C4-M1", "RESP THORACIC", "EMG CHIN1-CHIN2"))
    t = reconstruction_targets(present, {c4, thor})
    assert t[c4] and t[thor] and not t[chin]
    eeg_only = np.zeros(16, bool)
    eeg_only[0] = True
    assert not reconstruction_targets(eeg_only, {CANONICAL_NAMES.index("SPO2")})[CANONICAL_NAMES.index("SPO2")]


def test_runner_rebuilds_a_flat_stretch_only_there():
    from engine.inference import ModelRunner

    rng = np.random.default_rng(0)
    n_ep = 6
    t = np.arange(n_ep * EPOCH_SAMPLES) / 128.0
    x = rng.normal(0, 20, (16, n_ep * EPOCH_SAMPLES)).astype(np.float32)
    spo2, c4 = CANONICAL_NAMES.index("SPO2"), CANONICAL_NAMES.index("EEG C4-M1")
    x[spo2] = 96 + np.sin(t / 20)
    x[spo2, 2 * EPOCH_SAMPLES:4 * EPOCH_SAMPLES] = 0.0  # the probe came off for a minute
    present = np.ones(16, bool)
    present[c4] = False
    runner = ModelRunner.load()
    s = runner.prepare(x, present, "flat")
    recs = [r for b in runner.run(s, reconstruct=True, outliers=False, reconstruct_missing=())
            for r in b.reconstructions]
    assert {r.channel for r in recs} == {spo2}
    assert all(r.reason == "flat" for r in recs)
    got = np.full(n_ep * EPOCH_SAMPLES, np.nan, np.float32)
    for r in recs:
        a = int(round(r.start_s * 128))
        got[a:a + len(r.mean)] = np.where(np.isfinite(r.mean), r.mean, got[a:a + len(r.mean)])
    done = np.isfinite(got)
    assert done[2 * EPOCH_SAMPLES:4 * EPOCH_SAMPLES].all()
    assert not done[:2 * EPOCH_SAMPLES].any() and not done[4 * EPOCH_SAMPLES:].any()
    # asked for: the missing C4 too
    s = runner.prepare(x, present, "flat")
    recs = [r for b in runner.run(s, reconstruct=True, outliers=False, reconstruct_missing={c4})
            for r in b.reconstructions]
    assert {r.channel for r in recs} == {spo2, c4}


def test_a_steady_spo2_is_not_a_lead_off():
    """A 1-%-resolution oximeter holding 96 % for a minute is flat to the model, but it is
    the patient: no reconstruction there (the Nox file has such an epoch)."""
    from engine.inference import ModelRunner
    from engine.inference.requirements import steady_reading

    assert steady_reading("spo2", 96.0) and not steady_reading("spo2", 0.0)
    assert not steady_reading("spo2", -1.0) and not steady_reading("eeg", 0.0)
    assert not steady_reading("spo2", 77.0, z=-20.0)  # a probe at 0 seen through clipped z
    assert steady_reading("snore", 0.0) and steady_reading("snore", 0.2, z=-20.0)  # silence on a snoring night
    assert steady_reading("snore", -3e-4)  # a loudness of 0 back through float16 z
    rng = np.random.default_rng(1)
    n_ep = 6
    t = np.arange(n_ep * EPOCH_SAMPLES) / 128.0
    x = rng.normal(0, 20, (16, n_ep * EPOCH_SAMPLES)).astype(np.float32)
    spo2 = CANONICAL_NAMES.index("SPO2")
    x[spo2] = 96 + np.round(np.sin(t / 20))
    x[spo2, 2 * EPOCH_SAMPLES:4 * EPOCH_SAMPLES] = 96.0  # steady, not disconnected
    runner = ModelRunner.load()
    s = runner.prepare(x, np.ones(16, bool), "steady")
    assert s.night.flat[2:4, spo2].all()  # the model hides it (flat) ...
    recs = [r for b in runner.run(s, reconstruct=True, outliers=False, reconstruct_missing=())
            for r in b.reconstructions]
    assert not [r for r in recs if r.channel == spo2]  # ... but nobody rebuilds a steady 96 %

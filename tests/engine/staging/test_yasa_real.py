"""YASA on the shared real files (few, short runs: a 30-min excerpt stages in seconds)."""

import json

import numpy as np
import pytest

from engine.channels.mapping import map_study
from engine.io import open_study
from engine.jobs import Progress
from engine.staging import StagingUnavailable
from engine.staging.yasa_stager import run_stager, stage_study
from tests.helpers.edf_factory import Sig, write_edf


def test_single_cz_a1_study_gets_stages(shared_data, tmp_path):
    """A study whose only EEG is CZ-A1 (the real excerpt 1 EEG, relabelled) is staged."""
    src = open_study(shared_data / "dreams-dev" / "excerpt1.edf")
    x = src.read(0, 0.0, src.duration_s)
    p = tmp_path / "cz.edf"
    write_edf(p, [Sig("CZ-A1", 100.0, "uV", -330, 330)], n_records=int(src.duration_s),
              data=lambda i, s0, n: x[s0:s0 + n])
    study = open_study(p)
    chmap = map_study(study)
    assert chmap["EEG C3-M2"].plus == "CZ-A1"
    progress = []
    res = run_stager(study, chmap, progress=lambda f, m: progress.append(f))
    assert res.source == "yasa" and res.channels["eeg"] == "CZ-A1"
    assert res.proba.shape == (60, 5) and np.isfinite(res.proba).all()
    np.testing.assert_allclose(res.proba.sum(1), 1, atol=1e-4)
    assert res.features.shape[0] == 60 and len(res.feature_names) == res.features.shape[1]
    assert progress[0] == 0.0 and progress[-1] == 1.0
    # the same night under its own label gives the same stages (the label does not matter)
    again = run_stager(src, map_study(src))
    np.testing.assert_array_equal(again.stages, res.stages)


def test_50hz_psg_uses_eog_and_emg_resampled(shared_data):
    study = open_study(shared_data / "dreams-dev" / "excerpt3.edf")
    res = run_stager(study, map_study(study))
    assert res.channels == {"eeg": "C3-A1", "eog": "EOG1-A1", "emg": "EMG1"}
    assert any("from 50 Hz to 100 Hz" in n for n in res.notes)
    assert res.metadata.get("male") == 1 and 40 < res.metadata["age"] < 50  # from the header
    assert np.isfinite(res.proba).all() and res.stages.min() >= 0


def test_sleep_edf_sample_skips_the_1hz_emg_envelope(shared_data):
    study = open_study(shared_data / "sleep-edf" / "SC4001E0-PSG-first300s.edf")
    res = run_stager(study, map_study(study))
    assert res.channels["eeg"] == "EEG Fpz-Cz" and res.channels["eog"] == "EOG horizontal"
    assert res.channels["emg"] is None  # 1-Hz "EMG submental" is an envelope, not a waveform
    assert res.n_epochs == 10
    assert (res.stages == 0).sum() >= 8  # the sample is all Wake


def test_no_eeg_says_why(tmp_path):
    p = tmp_path / "hsat.edf"
    write_edf(p, [Sig("Flow", 32), Sig("SpO2", 1, "%", 0, 100)], n_records=120)
    study = open_study(p)
    with pytest.raises(StagingUnavailable, match="no EEG"):
        list(stage_study(study, map_study(study)))


def test_cancel_stops_before_yasa(shared_data):
    study = open_study(shared_data / "dreams-dev" / "excerpt1.edf")
    items = list(stage_study(study, map_study(study), cancel=lambda: True))
    assert all(isinstance(it, Progress) for it in items)


def test_simulate_review_contract_and_reviewed_epochs_excluded(shared_data, capsys):
    from engine.cli import main

    d = shared_data / "dreams-dev"
    rc = main(["simulate-review", str(d / "excerpt1.edf"), "--reference", str(d / "Hypnogram_excerpt1.txt"),
               "--reviews", "10", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"reviewed", "before", "after"}
    assert len(out["reviewed"]) == 10 == len(set(out["reviewed"]))
    for part in ("before", "after"):
        assert set(out[part]) == {"accuracy", "kappa", "n_epochs"}
        assert out[part]["n_epochs"] == 60 - 10  # reviewed epochs are not counted
        assert 0.0 <= out[part]["accuracy"] <= 1.0
    # a bad reference is one clear line and exit code 2
    bad = shared_data / "bad.txt"
    bad.write_text("[Hypnogram]\n9\n")
    assert main(["simulate-review", str(d / "excerpt1.edf"), "--reference", str(bad), "--reviews", "3"]) == 2
    assert "unknown DREAMS stage code 9" in capsys.readouterr().err

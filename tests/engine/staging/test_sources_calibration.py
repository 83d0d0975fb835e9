"""Which source speaks for the stages; demographics; ECE."""

import datetime as dt

import numpy as np
import pytest

from engine.staging import (
    combine_sources,
    demographics_from_header,
    expected_calibration_error,
    model_fitted_on,
    stage_source_for,
)
from engine.staging.calibration import accept_above


def test_starter_model_says_generated_and_yasa_speaks():
    from engine.inference.runner import DEFAULT_MODEL
    from engine.model.checkpoint import load_model

    fitted = model_fitted_on(load_model(DEFAULT_MODEL))
    assert fitted["kind"] == "generated" and fitted["n_studies"] == 16
    assert stage_source_for(fitted) == "yasa"


def test_a_model_fitted_on_real_scorings_joins_yasa():
    fitted = model_fitted_on({"fitted_on": {"kind": "real", "n_studies": 40, "validation_kappa": 0.75}})
    assert stage_source_for(fitted) == "yasa+pedsleepmae"
    assert stage_source_for(fitted, yasa_available=False) == "pedsleepmae"
    assert model_fitted_on({})["kind"] == "unknown"


def test_combination_weights_follow_validation_kappa():
    a = np.array([[0.7, 0.1, 0.1, 0.05, 0.05]])
    b = np.array([[0.1, 0.1, 0.7, 0.05, 0.05]])
    assert combine_sources(a, b, kappa_mae=0.2, kappa_yasa=0.8).argmax() == 0
    assert combine_sources(a, b, kappa_mae=0.8, kappa_yasa=0.2).argmax() == 2
    q = combine_sources(a, np.full((1, 5), np.nan), kappa_mae=0.9)
    np.testing.assert_allclose(q, a, atol=1e-6)


@pytest.mark.parametrize("patient,start,age,male", [
    ("MCH-0234567 F 02-MAY-1951 Haagse_Harry", dt.datetime(2001, 5, 2), 50.0, 0),
    ("X F X Female_33yr", None, 33.0, 0),
    ("DatabaseSpindles, excerpt3, man - 28/03/1957 - 2003-1085-508/1", dt.datetime(2003, 11, 17), 46.6, 1),
    ("X X X X", None, None, None),
])
def test_demographics_from_the_header(patient, start, age, male):
    d = demographics_from_header(patient, start)
    assert d.male == male
    if age is None:
        assert d.age_years is None and d.as_yasa_metadata() is None
    else:
        assert d.age_years == pytest.approx(age, abs=0.1)


def test_ece_and_accept_above():
    truth = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2])
    sure = np.eye(5)[truth]
    assert expected_calibration_error(sure, truth) == pytest.approx(0.0)
    wrong = np.eye(5)[(truth + 1) % 5]
    assert expected_calibration_error(wrong, truth) == pytest.approx(1.0)
    r = accept_above(sure, truth, 0.9)
    assert r["n_accepted"] == 10 and r["precision"] == 1.0


def test_info_says_how_cz_a1_was_mapped_and_what_the_stager_reads(tmp_path, capsys):
    from engine.cli import main
    from tests.helpers.edf_factory import Sig, write_edf

    p = tmp_path / "cz.edf"
    write_edf(p, [Sig("CZ-A1", 128), Sig("EMG submental", 1)], n_records=60)
    assert main(["info", str(p)]) == 0
    out = capsys.readouterr().out
    assert "CZ-A1 ≈ (nearest central derivation, ear reference for mastoid)" in out
    assert "stages from EEG CZ-A1" in out and "EMG" not in out.split("stages from")[1]

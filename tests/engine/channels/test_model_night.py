"""load_model_night: the model's normalised night read chunk by chunk as float16 is the
night prepare_night makes from the whole-night float32 input (issue 16: no whole-night
float32 copy for the assistant)."""

import threading

import numpy as np

from engine.channels.mapping import map_study
from engine.channels.model_input import load_model_input, load_model_night
from engine.io import open_study
from engine.model.preprocess import prepare_night
from tests.helpers.edf_factory import psg_signals, write_edf


def _night(tmp_path, hours=1.25):
    """14 of the 16 canonical channels (two missing); the first flat for its second
    quarter hour (a disconnection), SpO2 near 96 % (a large offset, small wobble)."""
    sigs = psg_signals(128.0, n=14)
    spo2 = next(i for i, s in enumerate(sigs) if s.label.upper().startswith("SPO2"))
    rng = np.random.default_rng(3)

    def data(i, start, n):
        t = (start + np.arange(n)) / 128.0
        if i == spo2:
            return 96.0 + 0.8 * np.sin(2 * np.pi * t / 90.0) + rng.normal(0, 0.05, n)
        y = 40 * np.sin(2 * np.pi * 9.0 * t) + rng.normal(0, 12, n)
        if i == 0:
            y[(t >= 900) & (t < 1800)] = 5.0
        return y

    p = tmp_path / "night.edf"
    write_edf(p, sigs, n_records=int(hours * 3600), data=data)
    return p


def test_matches_prepare_night(tmp_path):
    study = open_study(str(_night(tmp_path)))
    chmap = map_study(study)
    ref = prepare_night(*load_model_input(study, chmap))
    got = load_model_night(study, chmap)
    assert got.z.dtype == np.float16 and got.z.shape == ref.z.shape
    np.testing.assert_array_equal(got.present, ref.present)
    assert not got.present.all()  # the two missing channels
    np.testing.assert_allclose(got.center, ref.center, rtol=1e-6)
    np.testing.assert_allclose(got.scale, ref.scale, rtol=1e-6)
    np.testing.assert_array_equal(got.flat, ref.flat)
    assert got.flat[:, 0].sum() == 30  # the flat quarter hour is found in both
    # float16 storage: within float16 rounding of the float32 night
    err = np.abs(got.z.astype(np.float32) - ref.z)
    assert float(err.max()) <= 2e-2 and float(err.mean()) < 1e-3
    study.close()


def test_cancel_returns_none(tmp_path):
    study = open_study(str(_night(tmp_path, hours=1.0)))
    cancel = threading.Event()
    cancel.set()
    assert load_model_night(study, map_study(study), cancel=cancel) is None
    study.close()

"""Corrupt input gets one clear StudyError line; nothing crashes, nothing is written."""

import os

import numpy as np
import pytest

from engine.errors import StudyError
from engine.io import open_study
from tests.helpers.edf_factory import Sig, write_edf


@pytest.fixture
def good(tmp_path):
    p = tmp_path / "good.edf"
    write_edf(p, [Sig("EEG C3-M2", 256), Sig("SpO2", 1, "%", 0, 100)], n_records=60)
    return p


def _mtime_size(p):
    st = os.stat(p)
    return st.st_mtime_ns, st.st_size


def test_not_an_edf(tmp_path):
    p = tmp_path / "notes.edf"
    p.write_text("this is a text file, not a recording\n" * 20)
    with pytest.raises(StudyError, match="not an EDF"):
        open_study(p)


def test_tiny_and_missing_file(tmp_path):
    p = tmp_path / "tiny.edf"
    p.write_bytes(b"0   ")
    with pytest.raises(StudyError, match="not an EDF"):
        open_study(p)
    with pytest.raises(StudyError, match="no such file"):
        open_study(tmp_path / "absent.edf")
    with pytest.raises(StudyError, match="folder"):
        open_study(tmp_path)


def test_truncated_file_refused_then_repaired(good):
    before = _mtime_size(good)
    data = good.read_bytes()
    good.write_bytes(data[: len(data) - 700])  # cut inside the last records
    with pytest.raises(StudyError, match="truncated"):
        open_study(good)
    s = open_study(good, repair=True)
    assert s.n_records < 60 and s.backend == "raw"
    assert any("truncated" in w for w in s.warnings)
    assert len(s.read(0, 0, s.duration_s)) == int(s.duration_s * 256)
    assert _mtime_size(good) != before  # (we truncated it ourselves)
    after = _mtime_size(good)
    open_study(good, repair=True)
    assert _mtime_size(good) == after  # opening never writes


def test_header_lies_about_record_count(tmp_path):
    p = tmp_path / "lies.edf"
    write_edf(p, [Sig("EEG", 128)], n_records=30, n_records_in_header=20)
    with pytest.raises(StudyError, match="lies about the record count"):
        open_study(p)
    s = open_study(p, repair=True)
    assert s.n_records == 20


def test_header_claims_more_records_than_present(tmp_path):
    p = tmp_path / "short.edf"
    write_edf(p, [Sig("EEG", 128)], n_records=10, n_records_in_header=50)
    with pytest.raises(StudyError, match="truncated"):
        open_study(p)


def test_zero_records(tmp_path):
    p = tmp_path / "zero.edf"
    write_edf(p, [Sig("EEG", 128)], n_records=0)
    with pytest.raises(StudyError, match="no data records"):
        open_study(p)


def test_absurd_sampling_rate(tmp_path):
    p = tmp_path / "fast.edf"
    write_edf(p, [Sig("EEG", 128)], n_records=2)
    raw = bytearray(p.read_bytes())
    raw[244:252] = b"0.000001"  # 128 samples per microsecond: 128 MHz
    p.write_bytes(bytes(raw))
    with pytest.raises(StudyError, match="Hz"):
        open_study(p)


def test_non_numeric_header_field(good):
    raw = bytearray(good.read_bytes())
    raw[236:244] = b"abcdefgh"
    good.write_bytes(bytes(raw))
    with pytest.raises(StudyError, match="number of data records"):
        open_study(good)


def test_duplicate_labels_are_numbered(tmp_path):
    p = tmp_path / "dup.edf"
    write_edf(p, [Sig("EEG", 128), Sig("EEG", 128), Sig("EEG", 128)], n_records=4)
    s = open_study(p)
    assert [x.display_label for x in s.signals] == ["EEG", "EEG (2)", "EEG (3)"]
    assert any("duplicate" in w for w in s.warnings)


def test_read_outside_recording_is_nan(good):
    s = open_study(good)
    y = s.read(0, -2.0, 2.0)
    assert len(y) == 4 * 256
    assert np.isnan(y[:512]).all() and np.isfinite(y[512:]).all()
    assert np.isnan(s.read(0, 59.0, 61.0)[256:]).all()

"""Every header and annotation value is range-checked before anything is allocated
(issue 14): non-finite and absurd numbers, records that would span years, a header-only
file, EDF+D onsets that go backwards, pathological TALs. One StudyError line each, with
raw bytes shown as short text."""

from __future__ import annotations

import time

import numpy as np
import pytest

from engine.errors import MAX_MESSAGE_CHARS, StudyError, UserError, shorten, show_bytes
from engine.io import open_study
from engine.io.annotations import sanitize_annotations
from engine.io.tal import parse_tals
from tests.helpers.edf_factory import Sig, write_edf


@pytest.fixture
def good(tmp_path):
    p = tmp_path / "good.edf"
    write_edf(p, [Sig("EEG C3-M2", 128), Sig("SpO2", 1, "%", 0, 100)], n_records=30)
    return p


def _patch(p, off, raw: bytes):
    b = bytearray(p.read_bytes())
    b[off: off + len(raw)] = raw
    p.write_bytes(bytes(b))


@pytest.mark.parametrize("field,off,width", [
    ("duration of a data record", 244, 8), ("number of data records", 236, 8),
    ("number of signals", 252, 4), ("header bytes", 184, 8),
])
@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "1e308"])
def test_non_finite_or_absurd_main_header_numbers(good, field, off, width, value):
    _patch(good, off, value.encode().ljust(width))
    with pytest.raises(StudyError) as e:
        open_study(good)
    assert "good.edf" in str(e.value)


@pytest.mark.parametrize("k,value", [(104, "nan"), (112, "inf"), (120, "1.5"), (216, "1e308")])
def test_non_finite_or_fractional_signal_header_numbers(good, k, value):
    _patch(good, 256 + k * 2, value.encode().ljust(8))  # first signal's field
    with pytest.raises(StudyError, match="header field"):
        open_study(good)


def test_record_duration_and_span_are_bounded(good):
    _patch(good, 244, b"99999999")  # the PLD file that asked for 194 TiB
    with pytest.raises(StudyError, match="record duration"):
        open_study(good)
    _patch(good, 244, b"3600    ")
    _patch(good, 236, b"99999   ")  # 11 years of hour-long records
    with pytest.raises(StudyError, match="truncated|corrupt"):
        open_study(good)


def test_header_only_file_is_truncated_not_alien(good):
    data = good.read_bytes()
    for cut in (200, 255, 300, 767):
        good.write_bytes(data[:cut])
        with pytest.raises(StudyError, match="truncated inside its header"):
            open_study(good)


def test_foreign_file_shows_its_bytes_as_text(tmp_path):
    p = tmp_path / "journal.edf"
    p.write_bytes(b"# PedSleep journal\n" + b"\x00\xff" * 200)
    with pytest.raises(StudyError) as e:
        open_study(p)
    msg = str(e.value)
    assert "not an EDF" in msg and "'# PedSle'" in msg and "b'" not in msg


def test_user_error_messages_are_short():
    e = UserError("x" * 300 + " tail " + "y" * 246_016)
    assert len(str(e)) <= MAX_MESSAGE_CHARS and str(e).endswith("…")
    assert shorten("alpha beta gamma delta", 14) == "alpha beta…"  # cut at a word
    assert show_bytes(b"\x00\xffab" * 40).startswith("'\\x00\\xffab") and len(show_bytes(b"a" * 999)) <= 42


def test_tal_reader_is_linear_and_skips_garbage():
    digits = b"+0" + b"0" * 61_438 + b"\x14x\x14\x00"
    t0 = time.perf_counter()
    assert parse_tals(digits * 20) == []  # refused without parsing the digits
    assert time.perf_counter() - t0 < 10  # the quadratic regex took 88 s; linear is milliseconds
    tals = parse_tals(b"+0\x14\x14\x00+5\x1510\x14Sleep stage W\x14\x00+nan\x14x\x14\x00"
                      b"+1\x15-3\x14y\x14\x00+2\x15inf\x14z\x14\x00")
    assert tals == [(0.0, 0.0, [""]), (5.0, 10.0, ["Sleep stage W"])]


def test_sanitize_drops_and_clips_pathological_annotations():
    anns = [(0.0, 3e9, "Sleep stage W"), (1e10, 10.0, "Arousal"), (float("nan"), 1.0, "x"),
            (-50.0, 1.0, "early"), (100.0, 30.0, "ok")]
    kept, warnings = sanitize_annotations(anns, 3600.0, "a.edf")
    assert kept == [(0.0, 3600.0, "Sleep stage W"), (100.0, 30.0, "ok")]
    assert len(warnings) == 2 and all(w.startswith("a.edf: ") for w in warnings)
    kept, _ = sanitize_annotations(anns, None, "hyp.edf")  # annotation-only: a week at most
    assert kept[0] == (0.0, 7 * 86400.0, "Sleep stage W")


def _edf_plus_d(tmp_path, onsets):
    """A small EDF+D with one data signal and one annotation signal."""
    p = tmp_path / "d.edf"
    write_edf(p, [Sig("EEG", 10), Sig("EDF Annotations", 30, "", -1, 1, -32768, 32767)],
              n_records=len(onsets))
    b = bytearray(p.read_bytes())
    b[192:236] = b"EDF+D".ljust(44)
    hb, rs = 256 * 3, (10 + 30) * 2
    for r, o in enumerate(onsets):
        tal = f"+{o:g}\x14\x14\x00".encode().ljust(60, b"\x00")
        b[hb + r * rs + 20: hb + r * rs + 80] = tal
    p.write_bytes(bytes(b))
    return p


def test_edf_plus_d_onsets_that_go_backwards_are_refused(tmp_path):
    s = open_study(_edf_plus_d(tmp_path, [0, 1, 5, 6]))
    assert not s.is_continuous and s.duration_s == 7.0
    assert np.isnan(s.read(0, 2.0, 5.0)).all()  # the gap
    s.close()
    with pytest.raises(StudyError, match="record 3 .* goes back in time"):
        open_study(_edf_plus_d(tmp_path, [0, 10, 5, 20]))
    with pytest.raises(StudyError, match="overlaps"):
        open_study(_edf_plus_d(tmp_path, [0, 0.5, 5, 6]))
    with pytest.raises(StudyError, match="record times are corrupt"):
        open_study(_edf_plus_d(tmp_path, [0, 1e10]))


def test_real_zero_epoch_files_open_and_review(shared_data):
    """The Sleep-EDF hypnogram-only EDF and the ResMed EVE file (0 epochs) open; the
    review queue of their empty scoring is empty, not a TypeError."""
    from engine.assistant.review import ReviewState, live_agreement
    from engine.scoring import Scoring

    for rel in ("sleep-edf/SC4001EC-Hypnogram.edf", "resmed/20260111_210642_EVE.edf"):
        s = open_study(shared_data / rel)
        doc = Scoring.for_duration(s.duration_s)
        st = ReviewState.compute(doc)
        assert st.n_flagged_remaining == 0 and live_agreement(doc) is None
        assert s.annotations  # their annotations are there
        s.close()

"""DREAMS hypnograms: 5-s R&K codes -> 30-s stages by majority (tie rule documented)."""

import numpy as np
import pytest

from engine.errors import ScoringFormatError
from engine.scoring.importers import detect_format, import_scoring
from engine.scoring.importers.dreams_hypnogram import epoch_stage
from engine.scoring.labels import Stage


def _write(tmp_path, codes, name="Hypnogram_excerpt9.txt"):
    p = tmp_path / name
    p.write_text("[Hypnogram]\n" + "\n".join(str(c) for c in codes) + "\n")
    return p


def test_majority_and_rk_mapping(tmp_path):
    codes = [5] * 6 + [2, 2, 2, 2, 3, 3] + [1, 0, 0, 1, 2, 1] + [4] * 6 + [-2] * 4 + [3, 3]
    p = _write(tmp_path, codes)
    assert detect_format(p) == "dreams-hypnogram"
    res = import_scoring(p)
    assert res.format == "dreams-hypnogram"
    st = res.scoring.stages().tolist()
    assert st == [Stage.W, Stage.N2, Stage.N3, Stage.R, Stage.UNSCORED]


def test_tie_goes_to_the_stage_that_starts_first():
    assert epoch_stage([Stage.N1] * 3 + [Stage.N2] * 3) == Stage.N1
    assert epoch_stage([Stage.N2] * 3 + [Stage.N1] * 3) == Stage.N2
    # a stage beats "unscored" on a tie
    assert epoch_stage([Stage.UNSCORED] * 3 + [Stage.W] * 3) == Stage.W


def test_bad_code_is_a_clear_error(tmp_path):
    p = _write(tmp_path, [5, 5, 7])
    with pytest.raises(ScoringFormatError, match="unknown DREAMS stage code 7"):
        import_scoring(p)


def test_real_dreams_hypnograms(shared_data):
    for n, expected_w in ((1, 10), (3, 6)):
        p = shared_data / "dreams-dev" / f"Hypnogram_excerpt{n}.txt"
        res = import_scoring(p, n_epochs=60)
        st = np.asarray(res.scoring.stages())
        assert len(st) == 60 and (st >= 0).all()
        assert int((st == Stage.W).sum()) == expected_w


def test_evaluate_reads_a_dreams_reference(shared_data, capsys):
    import json

    from engine.cli import main

    h = shared_data / "dreams-dev" / "Hypnogram_excerpt3.txt"
    assert main(["evaluate", str(h), str(h), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["stages"]["n_epochs"] == 60 and res["stages"]["accuracy"] == 1.0

"""`pedsleep score` refuses bad output folders and EDF+D studies before the model runs;
errors are one line, never glued to a progress bar; `info --json` is strict JSON on every
real file (issue 14)."""

from __future__ import annotations

import json
import os

import pytest

from engine.cli import main
from tests.helpers.edf_factory import Sig, write_edf


@pytest.fixture
def study(tmp_path):
    p = tmp_path / "night.edf"
    write_edf(p, [Sig("EEG C3-M2", 128)], n_records=60)
    return p


def _boom(*_a, **_k):
    raise AssertionError("the model must not be loaded for input that is refused")


def test_score_output_is_a_file(study, tmp_path, capsys, monkeypatch):
    from engine.inference.runner import ModelRunner

    monkeypatch.setattr(ModelRunner, "load", classmethod(_boom))
    f = tmp_path / "not-a-folder"
    f.write_text("x")
    assert main(["score", str(study), "-o", str(f)]) == 2
    err = capsys.readouterr().err
    assert "is a file" in err and len(err.strip().splitlines()) == 1


def test_score_output_folder_cannot_be_created(study, tmp_path, capsys, monkeypatch):
    from engine.inference.runner import ModelRunner

    monkeypatch.setattr(ModelRunner, "load", classmethod(_boom))
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["score", str(study), "-o", str(f / "sub")]) == 2
    assert "cannot create the folder" in capsys.readouterr().err


def test_score_refuses_two_studies_with_one_output_name(study, tmp_path, capsys, monkeypatch):
    import shutil

    from engine.inference.runner import ModelRunner

    monkeypatch.setattr(ModelRunner, "load", classmethod(_boom))
    (tmp_path / "b").mkdir()
    other = tmp_path / "b" / "night.edf"
    shutil.copy(study, other)
    assert main(["score", str(study), str(other), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "night.scored.edf" in err and "nothing was scored" in err and len(err.strip().splitlines()) == 1


def test_score_refuses_edf_plus_d_before_the_model(shared_data, tmp_path, capsys, monkeypatch):
    from engine.inference.runner import ModelRunner

    monkeypatch.setattr(ModelRunner, "load", classmethod(_boom))
    from tests.engine.io.test_hostile_headers import _edf_plus_d

    gappy = _edf_plus_d(tmp_path, [0, 10, 30, 40])  # a recording with signals and gaps
    assert main(["score", str(gappy), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "EDF+D" in err and "nothing was scored" in err
    assert os.listdir(tmp_path / "out") == []
    # the ResMed device's event file is EDF+D too, but first of all it holds no signals
    eve = shared_data / "resmed" / "20260111_210642_EVE.edf"
    assert main(["score", str(eve), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "is a scoring, not a recording; its recording here is 20260111_220919_BRP.edf" in err
    assert "nothing was scored" in err and os.listdir(tmp_path / "out") == []


def test_score_error_during_scoring_starts_on_its_own_line(study, tmp_path, capsys, monkeypatch):
    from engine.commands import score
    from engine.errors import UserError

    class Runner:
        @classmethod
        def load(cls, *a, **k):
            return cls()

    def failing(args, runner, paths, out):
        import sys

        print("\r[1/1] night.edf [####......] 12/120 epochs", end="", file=sys.stderr)
        raise UserError("the study changed on disk while scoring")

    monkeypatch.setattr("engine.inference.runner.ModelRunner", Runner)
    monkeypatch.setattr(score, "_score_all", failing)
    assert main(["score", str(study), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "\npedsleep score: the study changed on disk" in err


def test_info_json_is_strict_on_every_real_file(shared_data, capsys):
    for p in sorted(shared_data.rglob("*.[eb]df")):
        rc = main(["info", "--json", str(p)])
        out, err = capsys.readouterr()
        assert rc in (0, 2), (p, err)
        if rc == 0:
            d = json.loads(out, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
            assert d["duration_s"] >= 0
        else:
            assert len(err.strip().splitlines()) == 1


def test_internal_error_is_one_line_not_a_traceback(study, capsys, monkeypatch):
    import engine.commands.info as info

    def bug(args):
        raise KeyError("a bug")

    monkeypatch.setattr(info, "run", bug)  # main() builds its parser with the patched run
    assert main(["info", str(study)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pedsleep info: internal error (KeyError") and len(err.splitlines()) == 1


def test_report_and_fit_probes_never_overwrite_their_input(shared_data, tmp_path, capsys):
    hyp = shared_data / "sleep-edf" / "SC4001EC-Hypnogram.edf"
    before = hyp.read_bytes()
    assert main(["report", str(hyp), "-o", str(hyp)]) == 2
    assert "refusing to overwrite the scoring" in capsys.readouterr().err
    assert hyp.read_bytes() == before
    model = tmp_path / "m.safetensors"
    model.write_bytes(b"not loaded: refused before")
    assert main(["fit-probes", str(hyp), "--model", str(model), "-o", str(model)]) == 2
    assert "refusing to overwrite the model" in capsys.readouterr().err
    assert main(["pretrain", str(hyp), "-o", str(hyp)]) == 2
    assert "refusing to overwrite the study" in capsys.readouterr().err
    assert hyp.read_bytes() == before


def test_convert_with_an_annotation_only_study_keeps_every_event(shared_data, tmp_path, capsys):
    """The ResMed EVE file (EDF+D, no signals, 0 s long) as STUDY clips nothing."""
    eve = shared_data / "resmed" / "20260111_210642_EVE.edf"
    out = tmp_path / "eve.tsv"
    assert main(["convert", str(eve), "-a", str(eve), "-o", str(out), "--scored-only"]) == 0
    rows = [line.split("\t") for line in out.read_text().splitlines()[1:]]
    assert [(float(r[0]), r[2]) for r in rows] == [
        (11954.0, "Obstructive apnea"), (22791.0, "Obstructive apnea"),
        (26424.0, "Obstructive apnea"), (29628.0, "Obstructive apnea")]

"""`pedsleep synth`."""

from __future__ import annotations

import pytest

from engine.cli import main


def test_synth_writes_nights(tmp_path, capsys):
    rc = main(["synth", "-o", str(tmp_path / "out"), "--nights", "2", "--hours", "0.1",
               "--seed", "3", "--age", "4", "--ahi", "5"])
    assert rc == 0
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["synth_s00003.edf", "synth_s00003.truth.json", "synth_s00004.edf", "synth_s00004.truth.json"]
    out = capsys.readouterr().out
    assert out.count("synth_s0000") == 2


def test_synth_defaults_draw_age_and_ahi(tmp_path):
    from engine.synth import read_truth

    assert main(["synth", "-o", str(tmp_path), "--hours", "0.05", "--seed", "12"]) == 0
    t = read_truth(tmp_path / "synth_s00012.edf")
    assert 1 <= t["params"]["age_years"] <= 18 and t["params"]["ahi"] >= 0


@pytest.mark.parametrize("bad", [["--age", "40"], ["--hours", "0"], ["--ahi", "-1"], ["--nights", "0"]])
def test_bad_argument_one_line_error(tmp_path, capsys, bad):
    rc = main(["synth", "-o", str(tmp_path), *bad])
    assert rc != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("pedsleep synth: ") and "\n" not in err


def test_unparsable_argument_exits_nonzero(tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["synth", "-o", str(tmp_path), "--hours", "abc"])
    assert exc.value.code != 0


def test_output_is_a_file(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["synth", "-o", str(f), "--hours", "0.05"]) == 2
    assert "not a folder" in capsys.readouterr().err

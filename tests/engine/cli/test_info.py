import json

from engine.cli import main


def test_info_json(shared_data, capsys):
    rc = main(["info", str(shared_data / "sleep-edf/SC4001E0-PSG-first300s.edf"), "--json"])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    assert d["duration_s"] == 300.0
    assert d["start_time"] == "1989-04-24T16:13:00"
    assert len(d["signals"]) == 7 and d["annotation_count"] == 0
    eeg = d["signals"][0]
    assert eeg["label"] == "EEG Fpz-Cz" and eeg["sfreq_hz"] == 100.0 and eeg["unit"] == "uV"
    assert "physical_min" in eeg and "physical_max" in eeg
    assert "SPO2" in d["missing_canonical"]
    assert d["mapping"]["EMG CHIN1-CHIN2"] == "EMG submental"


def test_info_text(shared_data, capsys):
    assert main(["info", str(shared_data / "nox/nox-a1-120s.edf")]) == 0
    out = capsys.readouterr().out
    assert "Impédance" in out and "missing" in out and "duration_s" in out


def test_info_bad_file_one_line_nonzero(tmp_path, capsys):
    p = tmp_path / "bad.edf"
    p.write_bytes(b"garbage" * 100)
    assert main(["info", str(p)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not an EDF" in err[0]


def test_info_console_script(shared_data):
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("pedsleep")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "engine.cli"]
    r = subprocess.run(cmd + ["info", str(shared_data / "sleep-edf/SC4001E0-PSG-first300s.edf")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "EEG Fpz-Cz" in r.stdout

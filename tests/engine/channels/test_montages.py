"""Montages: save, find by labels, the former profile files, the built-in PSG montage,
derivations A − B of the file's signals."""

import json

import numpy as np
import pytest

from engine.channels.derived import Derivation, DerivedStudy
from engine.channels.mapping import LabelInfo, map_labels
from engine.channels.montages import (
    BUILTIN_PSG,
    Montage,
    MontageRow,
    MontageStore,
    builtin_psg_montage,
)
from engine.channels.types import classify
from engine.errors import UserError
from engine.io import open_study
from tests.helpers.edf_factory import Sig, write_edf


def test_save_find_and_reload(tmp_path):
    store = MontageStore(tmp_path)
    labels = ["C3", "M2", "Chin", "SpO2"]
    m = Montage("Lab A", tuple(labels), (MontageRow("C3", "M2", gain=2.0, colour="#aa0000"),
                                          MontageRow("SpO2"), MontageRow("Chin", visible=False)))
    store.save_montage(m)
    got = store.find_for(labels)
    assert got == m and got.rows[0].label == "C3−M2" and got.rows[0].gain == 2.0
    assert store.find_for(["C3", "Chin"]) is None  # lacks M2 and SpO2
    with pytest.raises(UserError):
        store.save_montage(Montage(" ", ()))
    with pytest.raises(UserError):
        store.save_montage(Montage(BUILTIN_PSG, ("C3",), (MontageRow("C3"),)))


def test_former_profile_files_still_load(tmp_path):
    chmap = map_labels([LabelInfo("Kanal 1"), LabelInfo("C3-M2")])
    (tmp_path / "old.json").write_text(json.dumps(
        {"name": "Old lab", "labels": ["Kanal 1", "C3-M2"], "mapping": chmap.to_dict()}), encoding="utf-8")
    store = MontageStore(tmp_path)
    m = store.find_for(["Kanal 1", "C3-M2"])
    assert m is not None and m.name == "Old lab" and m.rows == ()
    assert m.apply(["Kanal 1", "C3-M2"])["EEG C3-M2"].plus == "C3-M2"
    # saving a mapping under the name of a montage keeps the montage's rows
    store.save_montage(Montage("Rows", ("Kanal 1",), (MontageRow("Kanal 1"),)))
    store.save("Rows", ["Kanal 1"], chmap)
    assert store.get("Rows").rows == (MontageRow("Kanal 1"),) and store.get("Rows").mapping


def test_builtin_psg_montage_picks_clinical_channels():
    labels = ["C3", "M2", "M1", "C4", "O1", "E1", "E2", "1", "2", "1-2", "ECG", "Left Leg", "Nasal Pressure",
              "Chest", "Abdomen", "Saturation", "Pulse", "PosAngle", "Snoring", "C3 Impédance", "Crc16"]
    units = {"Saturation": "%", "Pulse": "bpm", "PosAngle": "°", "C3 Impédance": "Ohm"}
    sigs = [(lb, classify(lb, units.get(lb, "V"), 200.0), 200.0) for lb in labels]
    m = builtin_psg_montage(sigs)
    shown = [r.label for r in m.rows if r.visible]
    assert shown[:4] == ["C3−M2", "C4−M1", "O1−M2", "E1−M2"]  # derived from single electrodes
    for lb in ("1-2", "ECG", "Left Leg", "Nasal Pressure", "Chest", "Abdomen", "Saturation", "Pulse",
               "PosAngle", "Snoring"):
        assert lb in shown
    assert "C3 Impédance" not in shown and "Crc16" not in shown and "M2" not in shown
    assert {r.plus for r in m.rows} >= set(labels) - {"M2", "M1"}  # everything listed


def test_derivation_reads_a_minus_b(tmp_path):
    p = tmp_path / "ref.edf"
    write_edf(p, [Sig("C3", 128), Sig("M2", 128), Sig("SpO2", 1, "%", 0, 100)], n_records=60)
    s = open_study(p)
    d = DerivedStudy(s)
    k = d.add(Derivation("C3", "M2"))
    assert k == 3 and d.signals[k].display_label == "C3−M2" and d.add(Derivation("C3", "M2")) == k
    np.testing.assert_allclose(d.read(k, 10, 20), s.read(0, 10, 20) - s.read(1, 10, 20), rtol=1e-6)
    blocks = list(d.iter_blocks(30.0, sigs=[k, 2]))
    got = np.concatenate([b[k] for _, b in blocks])
    np.testing.assert_allclose(got, s.read(0, 0, 60) - s.read(1, 0, 60), rtol=1e-6, atol=1e-6)
    with pytest.raises(UserError, match="different rates"):
        d.add(Derivation("C3", "SpO2"))
    with pytest.raises(UserError, match="no signal"):
        d.add(Derivation("C3", "Cz"))
    s.close()

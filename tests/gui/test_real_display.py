"""Real recordings look right (issue #11): default rows, their types, units and scales on
every shared real file; no reconstructed row by default on real studies; a recorded
channel's flat stretch rebuilt there only; montages (save, apply, derivation); clipping;
low-rate channels to the right edge. Asserts on widget state, not pixels."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.gui.test_assistant import model_path, wait_done  # noqa: F401  (fixtures)


def rows_by_label(w):
    return {r.label: r for r in w.viewer.rows}


def visible_labels(w):
    return [r.label for r in w.viewer.visible_rows()]


def test_dreams_excerpt3_types_units_scales(window, shared_data):
    assert window.open_path(str(shared_data / "dreams-dev/excerpt3.edf")), window.last_error
    r = rows_by_label(window)
    assert r["PHONO"].kind == "snore" and not r["PHONO"].filter.lowpass_hz  # not drawn as EEG
    assert r["PHONO"].filter.label() == "HP 10 Hz"  # 10–100 Hz limited to what 50 Hz carries
    ecg = r["ECG"]
    assert ecg.kind == "ecg" and ecg.display_factor == 1.0 and "µV" in ecg.note  # "MV" is µV here
    assert ecg.scale_text().endswith("µV/row") and ecg.scale < 1000
    assert r["SAO2"].kind == "spo2" and r["POS"].kind == "position" and r["PR"].kind == "pulse"
    assert r["NAF1"].kind == "flow" and r["VAB"].kind == "resp" and r["VTH"].kind == "resp"
    assert r["C3-A1"].kind == "eeg" and r["C3-A1"].scale_text().endswith("µV/row")
    # the database's own score channels are event codes: hidden
    for lb in ("hypnogram", "event_pneumo", "event_neuro"):
        assert r[lb].kind == "event" and not r[lb].visible
    assert visible_labels(window)[:3] == ["O1-A1", "C3-A1", "FP1-A1"]
    assert not any(x.sig < 0 for x in window.viewer.rows)


def test_nox_built_in_psg_montage(window, shared_data):
    assert window.open_path(str(shared_data / "nox/nox-a1-120s.edf")), window.last_error
    vis = visible_labels(window)
    assert vis[:8] == ["F3-M2", "F4-M1", "C3-M2", "C4-M1", "O1-M2", "O2-M1", "E1-M2", "E2-M1"]
    for lb in ("1-2", "Left Leg", "Right Leg", "ECG", "Nasal Pressure", "Airflow", "Chest", "Abdomen",
               "Saturation", "Pulse", "PosAngle", "Snoring"):
        assert lb in vis, lb
    for lb in ("C3", "M1", "E1", "C3 Impédance", "Voltage (battery"):  # raw electrodes, impedances
        assert lb not in vis
    assert len(vis) <= 24 and len(window.viewer.rows) == 89  # all listed, few shown
    r = rows_by_label(window)
    chest = r["Chest"].scale_text()
    assert chest.endswith("µV/row") and "e-" not in chest  # not "9.08e-05 V/row"
    sat = r["Saturation"]
    assert sat.scale_text() == "80–100 %"
    assert sat.center + sat.scale / 2 > 100.0  # 100 % inside the row, not on its border
    assert r["PosAngle"].steps and r["Left Leg"].kind == "leg" and r["Left Leg"].filter.highpass_hz == 10.0


def test_sample_and_sleep_edf_low_rate_rows(window, shared_data):
    from engine.api import default_model_path  # noqa: F401  (the facade imports)

    for rel in ("sleep-edf/SC4001E0-PSG-first300s.edf", "sleep-edf/SC4001E0-PSG-first300s.bdf"):
        assert window.open_path(str(shared_data / rel)), window.last_error
        r = rows_by_label(window)
        assert r["Resp oro-nasal"].kind == "flow" and r["Resp oro-nasal"].detail == "thermistor"
        assert r["Resp oro-nasal"].filter.label() == "no filter"  # 5-Hz LP above a 1-Hz Nyquist
        emg = r["EMG submental"]
        assert emg.kind == "emg" and emg.detail == "envelope" and not emg.filter.enabled
        assert r["Event marker"].kind == "event" and not r["Event marker"].visible
        # low-rate channels reach the right edge of the page
        v = window.viewer
        rows = v.signal_view.rows
        i = [x.label for x in rows].index("Resp oro-nasal")
        x, _y = v.signal_view.items[i].getData()
        assert x[-1] == pytest.approx(v.start_s + v.effective_window())
        assert x[0] == pytest.approx(v.start_s)


def test_resmed_files(window, shared_data):
    base = shared_data / "resmed"
    assert window.open_path(str(base / "20260111_220919_BRP.edf")), window.last_error
    r = rows_by_label(window)
    assert r["Flow.40ms"].kind == "flow" and r["Flow.40ms"].detail == "CPAP flow"
    assert r["Press.40ms"].kind == "cpap"
    assert not r["Crc16"].visible and not r["TrigCycEvt.40ms"].visible
    assert visible_labels(window) == ["Flow.40ms", "Press.40ms"]
    assert window.open_path(str(base / "20260111_220919_PLD.edf")), window.last_error
    r = rows_by_label(window)
    assert r["Leak.2s"].kind == "cpap" and r["Snore.2s"].kind == "snore" and not r["Crc16"].visible
    assert window.open_path(str(base / "20260111_220919_SAD.edf")), window.last_error
    r = rows_by_label(window)
    assert r["SpO2.1s"].kind == "spo2" and r["Pulse.1s"].kind == "pulse"
    assert all(np.isfinite(x.scale) and x.scale > 0 for x in window.viewer.rows)


def test_every_real_signal_file_opens_typed_and_scaled(window, shared_data):
    from engine.api import KINDS

    for rel in ("dreams-dev/excerpt1.edf", "dreams-dev/excerpt3.edf", "nox/nox-a1-120s.edf",
                "sleep-edf/SC4001E0-PSG-first300s.edf", "resmed/20260111_220919_BRP.edf"):
        assert window.open_path(str(shared_data / rel)), window.last_error
        for row in window.viewer.rows:
            assert row.kind in KINDS
            assert np.isfinite(row.scale) and row.scale > 0, (rel, row.label)
            assert "e-" not in row.scale_text() and "e+" not in row.scale_text(), (rel, row.scale_text())
            if row.filter.enabled and row.filter.lowpass_hz:
                assert row.filter.lowpass_hz < row.sfreq_hz / 2  # never above Nyquist


def test_traces_clipped_to_their_row_and_toggle(window, shared_data):
    assert window.open_path(str(shared_data / "dreams-dev/excerpt3.edf"))
    v = window.viewer
    i = [r.label for r in v.signal_view.rows].index("C3-A1")
    v.change_gain(True, all_rows=True)
    for _ in range(5):
        v.change_gain(True, all_rows=True)  # much taller than a row
    n = len(v.signal_view.rows)
    yc = n - i - 0.5
    _x, y = v.signal_view.items[i].getData()
    assert np.nanmax(y) <= yc + 0.5 + 1e-9 and np.nanmin(y) >= yc - 0.5 - 1e-9
    window.clip_action.trigger()  # Channels › Clip traces to their rows: off
    assert not v.clip_rows
    _x, y = v.signal_view.items[i].getData()
    assert np.nanmax(y) > yc + 0.5 or np.nanmin(y) < yc - 0.5


def test_montage_save_apply_and_derivation(window, shared_data, qtbot):
    nox = shared_data / "nox/nox-a1-120s.edf"
    assert window.open_path(str(nox))
    window.edit_montage()
    dlg = window._montage_dialog
    # search filters the list; hide/show by checkbox; reorder; gain; colour; derivation
    dlg.search.setText("leg")
    shown = [dlg.list.item(i).data(Qt.ItemDataRole.UserRole).label for i in range(dlg.list.count())
             if not dlg.list.item(i).isHidden()]
    assert set(shown) >= {"Left Leg", "Right Leg"} and "C3-M2" not in shown
    dlg.search.clear()
    dlg.set_visible("Left Leg", False)
    dlg.move("ECG", 0)
    dlg.set_gain("C4-M1", 2.0)
    dlg.set_colour("C4-M1", "#aa0000")
    assert not dlg.add_derivation("C3", "Saturation")  # different rates: refused, said why
    assert "different rates" in dlg.message.text()
    assert dlg.add_derivation("C3", "M2")
    dlg.name.setText("Lab N")
    assert dlg.save(), dlg.message.text()
    v = window.viewer
    vis = visible_labels(window)
    assert vis[0] == "ECG" and "Left Leg" not in vis and "C3−M2" in vis
    c4 = rows_by_label(window)["C4-M1"]
    assert c4.gain == pytest.approx(2.0) and c4.colour == (0xaa, 0, 0)
    # the derivation draws C3 − M2 (as the file's own C3-M2 would be, up to rounding)
    der = rows_by_label(window)["C3−M2"]
    d = v.derived.read(der.sig, 0, 10)
    ref = v.derived.read(v.derived.signal_index("C3"), 0, 10) - v.derived.read(v.derived.signal_index("M2"), 0, 10)
    np.testing.assert_allclose(d, ref)
    assert der.kind == "eeg" and der.filter.highpass_hz == 0.3
    dlg.close()
    # reopening a file with the same labels applies the saved montage automatically
    window.close_study()
    assert window.open_path(str(nox))
    assert window.viewer.montage_name == "Lab N"
    vis = visible_labels(window)
    assert vis[0] == "ECG" and "C3−M2" in vis and "Left Leg" not in vis


def test_montage_editor_keyboard(window, shared_data, qtbot):
    assert window.open_path(str(shared_data / "dreams-dev/excerpt3.edf"))
    qtbot.keyClick(window, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dlg = window._montage_dialog
    qtbot.waitUntil(dlg.isVisible)
    first = dlg.labels_in_order()[0]
    dlg.list.setCurrentRow(0)
    qtbot.keyClick(dlg.list, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)  # move down
    assert dlg.labels_in_order()[1] == first
    dlg.list.setFocus()
    qtbot.keyClick(dlg.list, Qt.Key.Key_Space)  # toggles the current row's checkbox
    assert not dlg.rows()[1].visible
    assert dlg.apply()
    assert first not in visible_labels(window)
    dlg.close()


@pytest.mark.assistant
@pytest.mark.slow
def test_no_reconstructed_row_by_default_on_real_studies(window, shared_data, model_path, qtbot):  # noqa: F811
    window.assistant.ctl.model_path = model_path
    for rel in ("sleep-edf/SC4001E0-PSG-first300s.edf", "dreams-dev/excerpt3.edf", "nox/nox-a1-120s.edf"):
        assert window.open_path(str(shared_data / rel)), window.last_error
        wait_done(qtbot, window)
        assert not [r.label for r in window.viewer.rows if r.sig < 0], rel
        assert window.assistant.ctl.unlike  # and it says so
        assert "unlike the nights the model was trained on" in window.assistant.panel.status.text()
        assert window.assistant.ctl.request_reconstruction(8) is not None  # not even on request


@pytest.mark.assistant
def test_flat_stretch_of_a_recorded_channel_is_rebuilt_there_only(window, model_path, qtbot, tmp_path):  # noqa: F811
    from engine.channels.canonical import CANONICAL_NAMES
    from engine.synth import NightParams, generate_night, write_night

    night = generate_night(NightParams(hours=0.25, age_years=7.0, ahi=5.0, seed=21, artefacts=False,
                                       missing_channels=()))
    sf = night.sfreq_hz["SPO2"]
    study = tmp_path / "probe-off.edf"
    night.signals["SPO2"][int(240 * sf):int(330 * sf)] = 0.0  # 4:00–5:30: the probe came off
    write_night(night, study)
    w = window
    w.assistant.ctl.model_path = model_path
    assert w.open_path(str(study))
    wait_done(qtbot, w)
    ghosts = [r for r in w.viewer.rows if r.sig < 0]
    assert [g.mapped_to for g in ghosts] == ["SPO2"], [g.label for g in ghosts]
    g = ghosts[0]
    assert g.reconstruction == "flat" and g.label.startswith("⟲ ") and "reconstructed" in g.label
    # right under the recorded SpO2 row, on its scale
    labels = [r.label for r in w.viewer.rows]
    rec = next(r for r in w.viewer.rows if r.sig >= 0 and r.mapped_to == "SPO2")
    assert labels.index(g.label) == labels.index(rec.label) + 1
    pieces = w.assistant.ctl.reconstruction_pieces(CANONICAL_NAMES.index("SPO2"))
    t, have = [], []
    for p in pieces:
        ts = p.start_s + np.arange(len(p.mean)) / p.sfreq_hz
        t.append(ts)
        have.append(np.isfinite(p.mean))
    t, have = np.concatenate(t), np.concatenate(have)
    assert have[(t >= 270) & (t < 300)].all()  # the epoch wholly inside the stretch
    assert not have[(t < 210) | (t >= 360)].any()  # nothing away from it


@pytest.mark.assistant
def test_montage_editor_reconstructs_a_missing_channel_on_request(window, model_path, qtbot, tmp_path):  # noqa: F811
    from engine.synth import NightParams, generate_night, write_night

    study = tmp_path / "no-spo2.edf"
    # a night the model knows (3 % unusual epochs; see tests/bench/test_display_bench.py)
    write_night(generate_night(NightParams(hours=0.5, age_years=7.0, seed=3, missing_channels=("SPO2",))), study)
    w = window
    w.assistant.ctl.model_path = model_path
    assert w.open_path(str(study))
    wait_done(qtbot, w)
    assert not [r for r in w.viewer.rows if r.sig < 0]  # never recorded: not rebuilt unasked
    w.edit_montage()
    dlg = w._montage_dialog
    names = [dlg.missing.item(i).text() for i in range(dlg.missing.count())]
    assert names == ["⟲ SPO2"], w.assistant.ctl.can_request(8)
    dlg.missing.setCurrentRow(0)
    dlg._reconstruct_clicked()
    wait_done(qtbot, w)
    ghosts = [r for r in w.viewer.rows if r.sig < 0]
    assert [g.mapped_to for g in ghosts] == ["SPO2"]
    assert ghosts[0].reconstruction == "missing" and ghosts[0].label == "⟲ SPO2 reconstructed"
    dlg.close()


def test_coded_position_is_drawn_as_labelled_steps(window, tmp_path):
    from tests.helpers.edf_factory import Sig, write_edf

    p = tmp_path / "pos.edf"
    codes = np.repeat([0.0, 2.0, 1.0, 3.0], 15)  # 1 Hz position codes over 60 s

    def data(i, start, n):
        return codes[start:start + n] if i == 1 else np.sin(np.arange(start, start + n) / 9.0) * 50

    write_edf(p, [Sig("C3-M2", 128), Sig("Position", 1, "", 0, 10)], n_records=60, data=data)
    assert window.open_path(str(p))
    v = window.viewer
    row = next(r for r in v.rows if r.label == "Position")
    assert row.kind == "position" and [t for _, t in row.steps] == ["pos 0", "pos 1", "pos 2", "pos 3"]
    assert row.scale_text() == "pos 0 … pos 3"
    i = [r.label for r in v.signal_view.rows].index("Position")
    x, y = v.signal_view.items[i].getData()
    # steps: every change of level is vertical (two points at one time), nothing in between
    n = len(v.signal_view.rows)
    levels = np.round((y - (n - i - 0.5)) * row.scale + row.center, 6)
    assert set(levels) <= {0.0, 1.0, 2.0, 3.0}
    assert x[-1] == pytest.approx(v.start_s + v.effective_window())


def test_label_tooltip_says_type_and_corrections(window, shared_data):
    assert window.open_path(str(shared_data / "dreams-dev/excerpt3.edf"))
    labels = window.viewer.signal_view.labels
    r = [x.label for x in labels.rows].index("ECG")
    tip = labels.tooltip_text(r)
    assert tip.startswith("ECG — ECG") and "unit 'MV' read as µV" in tip and "50 Hz" in tip
    r = [x.label for x in labels.rows].index("NAF1")
    assert "Airflow (nasal airflow)" in labels.tooltip_text(r)


def test_montage_survives_a_mapping_change(window, shared_data):
    assert window.open_path(str(shared_data / "nox/nox-a1-120s.edf"))
    window.edit_montage()
    dlg = window._montage_dialog
    assert dlg.add_derivation("O1", "M2")
    dlg.move("ECG", 0)
    assert dlg.apply()
    dlg.close()
    before = visible_labels(window)
    window._apply_mapping(window.viewer.chmap)  # what the mapping dialog's OK does
    assert visible_labels(window) == before and before[0] == "ECG" and "O1−M2" in before

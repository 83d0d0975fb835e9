"""The mapping dialog says what the automatic mapping did (issue #10)."""

from tests.helpers.edf_factory import Sig, write_edf


def test_mapping_dialog_says_what_the_mapping_did(window, tmp_path, qtbot):
    p = tmp_path / "cz.edf"
    write_edf(p, [Sig("CZ-A1", 128), Sig("EOG1-A1", 128)], n_records=60)
    assert window.open_path(str(p)), window.last_error
    window.edit_mapping()
    dlg = window._mapping_dialog
    row = dlg.how[list(window.viewer.chmap.sources).index(window.viewer.chmap["EEG C3-M2"])]
    assert row.text().startswith("C3-M2 ← CZ-A1, nearest central derivation")
    dlg.set_source("EEG C3-M2", "EOG1-A1")
    assert "set by hand" in row.text()
    dlg.reject()

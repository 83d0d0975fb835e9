"""The main window opens, re-maps and closes a study through one StudySession, in one
order: assistant stops before the scoring closes; the assistant starts last."""

from gui.session import StudySession


def _record(window, monkeypatch):
    """Top-level calls only (a component's own inner calls, e.g. set_study closing the
    previous study inside the viewer, are its business)."""
    calls = []
    depth = [0]
    for obj, names in ((window.assistant, ("start", "stop")), (window.scoring, ("open_for", "close")),
                       (window.viewer, ("set_study", "set_mapping", "close_study"))):
        for name in names:
            orig = getattr(obj, name)
            label = f"{type(obj).__name__}.{name}"

            def spy(*a, _orig=orig, _name=label, **k):
                if depth[0] == 0:
                    calls.append(_name)
                depth[0] += 1
                try:
                    return _orig(*a, **k)
                finally:
                    depth[0] -= 1

            monkeypatch.setattr(obj, name, spy)
    return calls


def test_open_remap_close_follow_one_order(window, night_edf, monkeypatch):
    assert isinstance(window.session, StudySession)
    calls = _record(window, monkeypatch)
    assert window.open_path(str(night_edf))
    assert calls == ["AssistantUI.stop", "ScoringUI.close", "Viewer.set_study", "ScoringUI.open_for",
                     "AssistantUI.start"]
    assert window.session.study is window.viewer.study is not None
    calls.clear()
    window._apply_mapping(window.viewer.chmap)
    assert calls == ["AssistantUI.stop", "Viewer.set_mapping", "AssistantUI.start"]
    calls.clear()
    window.close_study()
    assert calls == ["AssistantUI.stop", "ScoringUI.close", "Viewer.close_study"]
    assert window.viewer.study is None and window.scoring.ctl.doc is None


def test_opening_a_second_study_releases_the_first_ones_scoring(window, night_edf, tmp_path, qtbot):
    import shutil

    other = tmp_path / "other.edf"
    shutil.copy(night_edf, other)
    assert window.open_path(str(night_edf))
    qtbot.keyClick(window, "2")  # scored on the first study
    assert window.open_path(str(other))
    assert str(window.viewer.study.path).endswith("other.edf")
    assert window.open_path(str(night_edf))  # back: the first study's scoring is restored, writable
    assert window.scoring.ctl.doc.stages()[0] == 2
    assert not window.scoring.ctl.read_only

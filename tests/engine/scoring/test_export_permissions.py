"""Exported files get the user's normal permissions (umask), not mkstemp's 0600."""

import os
import stat

from engine.scoring import Scoring, Stage
from engine.scoring.exporters import export_hypnogram_csv


def test_export_follows_the_umask(tmp_path):
    doc = Scoring(4)
    doc.set_stage(0, Stage.N2)
    old = os.umask(0o022)
    try:
        export_hypnogram_csv(doc, tmp_path / "a.csv")
        os.umask(0o027)
        export_hypnogram_csv(doc, tmp_path / "b.csv")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "a.csv").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(tmp_path / "b.csv").st_mode) == 0o640

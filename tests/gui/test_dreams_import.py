"""File › Import scoring reads the DREAMS dev hypnograms (issue #10)."""

import numpy as np


def test_file_import_scoring_reads_a_dreams_hypnogram(window, shared_data):
    """File › Import scoring with the DREAMS hypnogram: the dev excerpt opens scored."""
    from engine.scoring import Provenance, Stage

    w = window
    assert w.open_path(str(shared_data / "dreams-dev" / "excerpt1.edf")), w.last_error
    assert w.scoring.import_path(str(shared_data / "dreams-dev" / "Hypnogram_excerpt1.txt"))
    doc = w.scoring.ctl.doc
    st = np.asarray(doc.stages())
    assert (st >= 0).all() and int((st == Stage.W).sum()) == 10
    assert doc.stage_provenance()[0] == Provenance.IMPORTED

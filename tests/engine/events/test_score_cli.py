"""`pedsleep score` with the rules: events and REI in the report, each event's rule in the
sidecar; the starter model's event heads (fitted on generated nights) stay off on a real
study."""

from __future__ import annotations

import json

from engine.cli import main
from engine.scoring.labels import EventType


def test_pedsleep_score_resmed_night(shared_data, tmp_path):
    brp = shared_data / "resmed" / "20260111_220919_BRP.edf"
    out = tmp_path / "out"
    assert main(["score", str(brp), "-o", str(out), "--rules", "aasm-adult", "--threads", "1"]) == 0
    html = (out / "20260111_220919_BRP.report.html").read_text()
    assert "REI (per hour of recording)" in html and "aasm-adult" in html
    assert "not fitted on real scorings" in html
    side = json.loads((out / "20260111_220919_BRP.scored.edf.pedsleep.json").read_text())
    events = [a for a in side["annotations"] if a["kind"] == "event"]
    assert events
    for a in events:
        assert a["attrs"]["source"] == "aasm-rules" and a["attrs"]["rule"]
        assert "drop_pct" in a["attrs"] and "duration_s" in a["attrs"]
        # flow only: never a typed apnea, never the model's "central 100 %"
        assert a["text"] not in (EventType.OBSTRUCTIVE_APNEA, EventType.CENTRAL_APNEA, EventType.MIXED_APNEA)
        assert a["confidence"] is None

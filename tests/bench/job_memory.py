"""Peak memory of one whole-night engine job run alone (issue 16): run as
``python -m tests.bench.job_memory {events|staging} STUDY.edf [OUT.npz]``, prints
``rss_before_mb``, ``peak_rss_mb`` and ``wall_s``. One process per job, so each peak is the
job's own (ru_maxrss is per process); OUT.npz keeps the job's output to compare runs."""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np

from engine.proc_memory import status_mb


def main(argv: list[str]) -> int:
    job, path = argv[0], argv[1]
    out = argv[2] if len(argv) > 2 else None
    from engine.channels.mapping import map_study
    from engine.io import open_study

    study = open_study(path)
    chmap = map_study(study)
    if job == "staging":  # import the libraries first: their own footprint is not the job's
        import mne  # noqa: F401
        import yasa  # noqa: F401
    before = status_mb("VmRSS")
    t0 = time.perf_counter()
    saved: dict[str, np.ndarray] = {}
    if job == "events":
        from engine.epochs import n_epochs_for
        from engine.events.detect import events_job
        from engine.jobs import RuleEventsReady
        from engine.scoring.labels import Stage

        # every epoch N2 (the first ten Wake) so the arousal rule runs as it does with stages
        stages = np.full(n_epochs_for(study.duration_s), int(Stage.N2), int)
        stages[:10] = int(Stage.W)
        for item in events_job(study, chmap, stages=stages):
            if isinstance(item, RuleEventsReady):
                ev = item.detection.events
                saved["events"] = np.array([(e.onset_s, e.duration_s) for e in ev], np.float64).reshape(-1, 2)
                saved["types"] = np.array([str(e.type) for e in ev])
                # what was measured on the way (counts, invalid time) and why nothing was
                # scored: compared too, so a night with few events still checks the steps
                saved["notes"] = np.array(item.detection.notes, dtype=str)
                saved["stats"] = np.array(json.dumps(item.detection.stats, sort_keys=True, default=str))
    elif job == "staging":
        from engine.jobs import Staged
        from engine.staging.yasa_stager import stage_study

        for item in stage_study(study, chmap):
            if isinstance(item, Staged):
                saved["proba"] = item.result.proba
                saved["features"] = item.result.features
    else:
        raise SystemExit(f"unknown job {job!r}: events or staging")
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"job={job} rss_before_mb={before:.0f} peak_rss_mb={peak:.0f} wall_s={wall:.1f}")
    if out:
        np.savez(out, **saved)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

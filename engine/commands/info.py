"""`pedsleep info STUDY [--json]`: the header, annotations and canonical mapping."""

from __future__ import annotations

import json
import math

NAME = "info"
HELP = "print a recording's header, signals, annotation count and canonical channel mapping"


def add_arguments(p) -> None:
    p.add_argument("study", help="EDF/EDF+/BDF file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--repair", action="store_true",
                   help="open a truncated file with the complete records it holds")


def describe(study, chmap) -> dict:
    return {
        "path": study.path,
        "format": study.variant,
        "reader": study.backend,
        "start_time": study.start_datetime.isoformat(),
        "duration_s": study.duration_s,
        "n_records": study.n_records,
        "record_duration_s": study.record_duration_s,
        "signals": [
            {"label": s.display_label, "sfreq_hz": s.sfreq_hz, "unit": s.unit,
             "physical_min": s.physical_min, "physical_max": s.physical_max,
             "transducer": s.transducer, "prefilter": s.prefilter}
            for s in study.signals
        ],
        "annotation_count": len(study.annotations),
        "mapping": {src.canonical: (src.describe() if src.present else None) for src in chmap.sources},
        "missing_canonical": list(chmap.missing),
        "mapping_profile": chmap.profile,
        "warnings": list(study.warnings),
        "stager_channels": _stager_channels(study, chmap),
        **_scoring_only(study),
    }


def _scoring_only(study) -> dict:
    """An annotation-only file is a scoring: say so, and name its recording when one is
    beside it (``engine/io/scoring_file.py``)."""
    from engine.io.scoring_file import holds_no_signals, recording_for

    if not holds_no_signals(study):
        return {"scoring_only": False}
    rec = recording_for(study)
    return {"scoring_only": True, "recording": str(rec) if rec is not None else None}


def _stager_channels(study, chmap) -> dict:
    """What the real-data stager (YASA) would read: EEG (central first), EOG, chin EMG."""
    from engine.staging.inputs import choose_staging_channels

    rates = {s.display_label: float(s.sfreq_hz) for s in study.signals}
    return choose_staging_channels(chmap, rates=rates).labels()


def _finite(x):
    """``x`` with every non-finite float replaced by None (valid JSON)."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def run(args) -> int:
    from engine.channels.mapping import map_study
    from engine.channels.profiles import ProfileStore
    from engine.io import open_study

    study = open_study(args.study, repair=args.repair)
    chmap = map_study(study, ProfileStore())
    d = describe(study, chmap)
    if args.json:  # strict JSON: no NaN/Infinity (a damaged header's numbers become null)
        print(json.dumps(_finite(d), indent=1, ensure_ascii=False, allow_nan=False))
        return 0
    print(f"{d['path']}")
    print(f"  format      {d['format']} (read with {d['reader']})")
    print(f"  start       {d['start_time']}")
    print(f"  duration_s  {d['duration_s']:.1f}  ({d['n_records']} records of {d['record_duration_s']:g} s)")
    print(f"  annotations {d['annotation_count']}")
    print(f"  signals     {len(d['signals'])}")
    for s in d["signals"]:
        print(f"    {s['label']:<24} {s['sfreq_hz']:>8.3f} Hz  {s['unit']:<6} "
              f"[{s['physical_min']:g}, {s['physical_max']:g}]")
    print("  canonical mapping" + (f" (profile '{chmap.profile}')" if chmap.profile else ""))
    for canon, src in d["mapping"].items():
        print(f"    {canon:<18} <- {src or 'MISSING'}")
    if d["missing_canonical"]:
        print(f"  missing     {', '.join(d['missing_canonical'])}")
    st = d["stager_channels"]
    print("  stages from " + (", ".join(f"{k.upper()} {v}" for k, v in st.items() if v)
                             if st.get("eeg") else "none: no EEG at 50 Hz or more for the real-data stager"))
    if d["scoring_only"]:
        print("  scoring     no signals: this file is a scoring, not a recording; "
              + (f"its recording here: {d['recording']}" if d["recording"]
                 else "no recording in its folder covers its times"))
    for w in d["warnings"]:
        print(f"  warning     {w}")
    return 0

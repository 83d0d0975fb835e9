"""`pedsleep report SCORING -o report.html`: the sleep report (TIB, TST, efficiency,
latencies, WASO, stages, AHI/ODI/arousal index with pediatric and adult severity) of an
imported scoring as one self-contained HTML file (and a one-screen text summary)."""

from __future__ import annotations

import argparse
import datetime as _dt
from pathlib import Path

from engine.errors import UserError

NAME = "report"
HELP = "sleep report (self-contained HTML with a hypnogram) from a scoring file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scoring", type=Path, help="scoring file (any format `convert` reads)")
    parser.add_argument("-o", "--output", type=Path, help="write the HTML report here")
    parser.add_argument("--format", help="force the scoring format")
    parser.add_argument(
        "--study-start",
        help="recording start (ISO date-time, e.g. 2001-01-01T23:05:00) for formats with clock "
             "times (UCDDB event lists: only the time of day counts)",
    )
    parser.add_argument("--lights-off", type=float, help="lights off, seconds from the start")
    parser.add_argument("--lights-on", type=float, help="lights on, seconds from the start")
    parser.add_argument(
        "--all-events",
        action="store_true",
        help="count events in wake epochs too (default: sleep epochs only)",
    )


def run(args: argparse.Namespace) -> int:
    from engine.scoring.importers import import_scoring
    from engine.scoring.report import sleep_report, write_report_html

    start = None
    if args.study_start:
        try:
            start = _dt.datetime.fromisoformat(args.study_start)
        except ValueError as exc:
            raise UserError(f"--study-start {args.study_start!r} is not an ISO date-time") from exc
    if args.output:  # the report never replaces the scoring it reads
        from engine.io.safe_output import refuse_overwrite

        refuse_overwrite([args.output], [("scoring", args.scoring)])
    res = import_scoring(args.scoring, format=args.format, recording_start=start)
    doc = res.scoring
    if args.lights_off is not None or args.lights_on is not None:
        doc.lights_off_s = args.lights_off if args.lights_off is not None else doc.lights_off_s
        doc.lights_on_s = args.lights_on if args.lights_on is not None else doc.lights_on_s
    rep = sleep_report(doc, events_in_sleep_only=not args.all_events)
    if res.warnings:  # what the import could not do shows on screen and in the report
        import dataclasses
        import sys

        for w in res.warnings:
            print(f"warning: {w}", file=sys.stderr)
        rep = dataclasses.replace(rep, notes=tuple(res.warnings) + tuple(rep.notes))
    if res.events_not_placed:  # indices without those events would read as a healthy night
        import dataclasses

        rep = dataclasses.replace(rep, ahi=None, obstructive_ahi=None, central_apnea_index=None,
                                  ahi_severity_pediatric=None, ahi_severity_adult=None)

    def f(x, unit=""):
        return "n/a" if x is None else f"{x:.1f}{unit}"

    print(
        f"TIB {f(rep.tib_min, ' min')}  TST {f(rep.tst_min, ' min')}  "
        f"SE {f(rep.sleep_efficiency_pct, ' %')}  SOL {f(rep.sleep_onset_latency_min, ' min')}  "
        f"REM latency {f(rep.rem_latency_min, ' min')}  WASO {f(rep.waso_min, ' min')}"
    )
    print(
        f"AHI {f(rep.ahi, '/h')} (pediatric: {rep.ahi_severity_pediatric or 'n/a'}, adult: "
        f"{rep.ahi_severity_adult or 'n/a'})  oAHI {f(rep.obstructive_ahi, '/h')}  "
        f"CAI {f(rep.central_apnea_index, '/h')}  arousal index {f(rep.arousal_index, '/h')}  "
        f"ODI3 {f(rep.odi3, '/h')}"
    )
    if args.output:
        write_report_html(args.output, doc, rep, study_name=args.scoring.name)
        print(f"wrote {args.output}")
    return 0

"""`pedsleep convert STUDY --annotations SCORING -o OUT.edf`: import a scoring and write
it, headless, as an annotated EDF+ (signals bit-identical to STUDY), or as events.tsv /
hypnogram CSV when OUT ends in .tsv / .csv. The output never replaces an input (the study,
a scoring file or its sidecar), and appears whole or not at all."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.epochs import n_epochs_for
from engine.errors import UserError

NAME = "convert"
HELP = "import a scoring (EDF+, CSV, XML, UCDDB, WFDB, Noxturnal) and export it as annotated EDF+ / events.tsv / hypnogram CSV"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "study", type=Path, nargs="?", help="the recording (EDF/BDF); needed for EDF+ output"
    )
    parser.add_argument(
        "--annotations",
        "-a",
        type=Path,
        action="append",
        default=[],
        help="scoring file to import (repeat to merge a stage file and an event file)",
    )
    parser.add_argument("--format", help="force the scoring format (see detect_format)")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="OUT.edf (annotated EDF+), OUT.tsv (BIDS events) or OUT.csv (hypnogram)",
    )
    parser.add_argument(
        "--include-suggestions",
        action="store_true",
        help="also export pending model suggestions (never as stages)",
    )
    parser.add_argument(
        "--include-rejected", action="store_true", help="also export rejected model suggestions"
    )
    parser.add_argument(
        "--scored-only",
        action="store_true",
        help="leave unscored epochs out instead of writing 'Sleep stage ?'",
    )
    parser.add_argument(
        "--study-start",
        help="recording start (ISO date-time) for clock-time formats when there is no STUDY",
    )
    parser.add_argument(
        "--no-sidecar",
        action="store_true",
        help="do not write the OUT.edf.pedsleep.json provenance sidecar",
    )


def _recording_info(study: Path):
    """(duration_s, start datetime, continuous) of the study, from our own validated
    reader (header numbers range-checked; raises StudyError with one line)."""
    from engine.io import open_study

    s = open_study(study)
    try:
        return float(s.duration_s), s.start_datetime, s.is_continuous
    finally:
        s.close()


def run(args: argparse.Namespace) -> int:
    from engine.scoring.exporters import ExportOptions
    from engine.scoring.importers import import_scoring

    if not args.annotations:
        raise UserError("give the scoring to convert with --annotations FILE")
    out: Path = args.output
    suffix = out.suffix.lower()
    if suffix not in (".edf", ".bdf", ".tsv", ".csv"):
        raise UserError(f"unknown output type {out.suffix!r}: use .edf, .tsv or .csv")
    if suffix in (".edf", ".bdf") and args.study is None:
        raise UserError("EDF+ output needs the STUDY recording whose signals it carries")
    from engine.io.safe_output import output_set, refuse_overwrite
    from engine.scoring.exporters import sidecar_path

    inputs = [("source recording", args.study)] + [("scoring", a) for a in args.annotations]
    inputs += [("scoring's sidecar", sidecar_path(a)) for a in args.annotations]
    outputs = [out] + ([sidecar_path(out)] if suffix in (".edf", ".bdf") and not args.no_sidecar else [])
    refuse_overwrite(outputs, inputs)
    if out.is_dir():
        raise UserError(f"{out} is a folder; give an output file name")
    duration_s = start = None
    n_epochs = None
    if args.study is not None:
        if not args.study.exists():
            raise UserError(f"{args.study}: no such file")
        duration_s, start, continuous = _recording_info(args.study)
        if suffix in (".edf", ".bdf") and not continuous:
            raise UserError(
                f"{args.study.name} is EDF+D (discontinuous); an annotated copy would lose its "
                "record times — write events.tsv (.tsv) or a hypnogram (.csv) instead"
            )
        n_epochs = n_epochs_for(duration_s) if duration_s else None
        if not duration_s:  # an annotation-only file has no length: it clips nothing
            duration_s = None
    if args.study_start:
        import datetime as _dt

        try:
            start = _dt.datetime.fromisoformat(args.study_start)
        except ValueError as exc:
            raise UserError(f"--study-start {args.study_start!r} is not an ISO date-time") from exc
    doc = None
    for path in args.annotations:
        res = import_scoring(path, format=args.format, recording_start=start)
        sc = res.scoring
        for w in res.warnings:
            print(f"pedsleep convert: {path.name}: {w}", file=sys.stderr)
        if n_epochs is not None and sc.n_epochs != n_epochs:
            sc, dropped = sc.resized(n_epochs)
            if dropped["epochs"] or dropped["events"]:
                print(
                    f"pedsleep convert: {path.name} is longer than the recording "
                    f"({duration_s:g} s): clipped to it, {dropped['epochs']} scored epoch(s) "
                    f"and {dropped['events']} event(s) after its end left out",
                    file=sys.stderr,
                )
        if doc is None:
            doc = sc
            continue
        # merge: stages from the later file where it has them, all events
        with doc.batch("merge"):
            st = sc.stages()
            m = min(doc.n_epochs, st.size)
            idx = [i for i in range(m) if st[i] >= 0]
            for i in idx:
                doc.set_stage(i, int(st[i]), provenance="imported")
            doc.add_events(
                [
                    dict(
                        onset_s=e.onset_s,
                        duration_s=e.duration_s,
                        type=e.type,
                        channels=e.channels,
                        provenance=e.provenance,
                        confidence=e.confidence,
                        attrs=e.attrs,
                    )
                    for e in sc.events(include_rejected=True)
                ]
            )
            if sc.lights_off_s is not None or sc.lights_on_s is not None:
                doc.set_lights(off_s=sc.lights_off_s, on_s=sc.lights_on_s)
    assert doc is not None
    options = ExportOptions(
        include_suggestions=args.include_suggestions,
        include_rejected=args.include_rejected,
        unscored_epochs=not args.scored_only,
    )
    with output_set():  # all of it or nothing (a full disk leaves no half output)
        _write(args, doc, out, suffix, options, duration_s)
    return 0


def _write(args, doc, out: Path, suffix: str, options, duration_s) -> None:
    from engine.scoring.exporters import export_edf_plus, export_events_tsv, export_hypnogram_csv

    if suffix in (".edf", ".bdf"):
        rep = export_edf_plus(args.study, doc, out, options=options, sidecar=not args.no_sidecar)
        for w in rep.warnings:
            print(f"pedsleep convert: {w}", file=sys.stderr)
        print(
            f"wrote {rep.path}: {rep.n_stage_annotations} stage and {rep.n_event_annotations} "
            f"event annotations over {rep.recording_duration_s:g} s"
        )
    elif suffix == ".tsv":
        export_events_tsv(doc, out, options=options, end_s=duration_s, source=args.study)
        print(f"wrote {out}")
    elif suffix == ".csv":
        export_hypnogram_csv(
            doc, out, include_suggestions=args.include_suggestions, source=args.study
        )
        print(f"wrote {out}")

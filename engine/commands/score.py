"""`pedsleep score STUDY... -o OUTDIR`: headless pre-scoring with the model.

For each study: ``OUTDIR/<stem>.scored.edf`` (signals unchanged; one ``Sleep stage X``
annotation per epoch and the suggested events, all with provenance ``model`` and their
confidence in the exporter's sidecar) and ``OUTDIR/<stem>.report.html`` (the sleep report
of this pre-scoring: the model's stages and suggested events, SpO2 nadir from the study,
and a note naming the channels the model did not have). A study with no EEG or EOG (a
home apnea test) gets events but no stages; its report gives indices per hour of
recording (REI)."""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path

import numpy as np

from engine.channels.canonical import CANONICAL_NAMES, MODEL_SFREQ_HZ

NAME = "score"
SPO2 = CANONICAL_NAMES.index("SPO2")
HELP = "pre-score studies with the model: annotated EDF+ and an HTML report per study"


def add_arguments(p):
    p.add_argument("studies", nargs="+", metavar="STUDY", help="EDF studies or folders")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR")
    p.add_argument("--model", default=None, help="model file (default: the starter model in resources/model)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--rules", default="auto", choices=("auto", "aasm-pediatric", "aasm-adult", "aasm-adult-4"),
                   help="respiratory rule set (auto: from the age in the header, else pediatric)")


def build_scoring(result, n_epochs_doc: int, start_datetime=None, duration_s=None, *, rule_events=None,
                  model_events: bool = True, chmap=None, stage_source: str = "pedsleepmae"):
    """A Scoring holding the pre-scoring: the night's output stored as suggestions by the
    assistant's own mapping (engine.assistant.apply.apply_night: the AASM rules' events
    (``rule_events``, an engine.events.EventDetection), the model's events beside them where
    ``model_events`` (engine.events.second_opinion), on ``chmap``'s channels, the stage
    probabilities named ``stage_source``), then the stage suggestions taken as the
    model's stages (``stage_suggestions_as_model_stages``). Events stay suggestions."""
    from engine.assistant.apply import apply_night
    from engine.scoring import Scoring

    doc = Scoring(n_epochs_doc, start_datetime=start_datetime, recording_duration_s=duration_s)
    apply_night(doc, result, chmap, rule_events=rule_events, model_events=model_events, stage_source=stage_source)
    stage_suggestions_as_model_stages(doc)
    return doc


def stage_suggestions_as_model_stages(doc) -> int:
    """The one step where ``pedsleep score`` turns suggestions into decisions: each pending
    stage suggestion becomes its epoch's stage with provenance ``model`` (not
    ``model-accepted``: nobody reviewed it) and its confidence, and the suggestions are
    cleared (the export then writes one ``Sleep stage X`` per epoch, the report counts
    them). Returns how many epochs were staged."""
    from engine.scoring import Provenance

    states = doc.suggestion_states()
    pending = np.array([s is Provenance.MODEL for s in states], bool)
    if not pending.any():
        return 0
    suggested = np.asarray(doc.suggested_stages())
    confidence = np.asarray(doc.suggestion_confidence())
    first, last = int(np.flatnonzero(pending)[0]), int(np.flatnonzero(pending)[-1])
    span = slice(first, last + 1)
    doc.set_stages(first, [int(st) if ok else -1 for st, ok in zip(suggested[span], pending[span])],
                   provenance=Provenance.MODEL,
                   confidence=[float(c) if ok else None for c, ok in zip(confidence[span], pending[span])],
                   label="Model stages")
    doc.clear_suggestions()
    return int(pending.sum())


def rule_events_for(path, result, rules: str = "auto", model=None):
    """The AASM rules' events for a study; arousals use the model's stages. Returns
    (EventDetection, model events allowed on this study, the study's channel map)."""
    from engine.channels.mapping import map_study
    from engine.events import detect_study_events
    from engine.events.second_opinion import model_events_allowed
    from engine.io import open_study

    study = open_study(path)
    try:
        ok = ~(result.stage_probs != result.stage_probs).any(1)
        stages = [int(s) if o else -1 for s, o in zip(result.stages, ok)]
        chmap = map_study(study)
        det = detect_study_events(study, chmap, rules=None if rules == "auto" else rules, stages=stages)
        return det, model_events_allowed(model, study), chmap
    finally:
        study.close()


def run(args) -> int:
    from engine.inference.runner import ModelRunner
    from engine.model.device import set_threads
    from engine.training.data import expand_study_paths

    set_threads(args.threads)
    out = Path(args.output)
    paths = expand_study_paths(args.studies)
    check_before_scoring(paths, out, args.model)  # bad input is refused before the model runs
    runner = ModelRunner.load(args.model, device=args.device)
    try:
        _score_all(args, runner, paths, out)
    except BaseException:
        print(file=sys.stderr)  # an error gets its own line, not the end of the progress bar
        raise
    return 0


def check_before_scoring(paths, out: Path, model) -> None:
    """Refuse, before the model runs: an output folder that is a file or cannot be made,
    a study that cannot be read or is EDF+D (its annotated copy would lose its record
    times), and any output that would overwrite an input (a study, the model)."""
    from engine.errors import UserError
    from engine.io import open_study
    from engine.io.safe_output import refuse_overwrite
    from engine.io.scoring_file import refuse_scoring_only
    from engine.scoring.exporters import sidecar_path

    if out.exists() and not out.is_dir():
        raise UserError(f"-o {out}: is a file; give a folder for the scored studies")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"-o {out}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(out, os.W_OK):
        raise UserError(f"-o {out}: the folder is not writable")
    inputs = [("model", model)] + [("study", p) for p in paths]
    seen: dict[str, str] = {}
    for path in paths:  # a.edf and b/a.edf would write the same outputs: the second would replace the first
        stem = Path(path).stem
        if stem in seen and os.path.realpath(seen[stem]) != os.path.realpath(path):
            raise UserError(f"{seen[stem]} and {path} would both be written as {stem}.scored.edf in {out}; "
                            "score them into different folders; nothing was scored")
        seen[stem] = str(path)
    for path in paths:
        study = open_study(path)
        try:
            refuse_scoring_only(study, "nothing was scored")
        finally:
            study.close()
        continuous = study.is_continuous
        if not continuous:
            raise UserError(
                f"{Path(path).name} is EDF+D (discontinuous): pre-scoring needs a continuous "
                "recording; nothing was scored"
            )
        scored = out / f"{Path(path).stem}.scored.edf"
        refuse_overwrite([scored, sidecar_path(scored), out / f"{Path(path).stem}.report.html"], inputs)


def _score_all(args, runner, paths, out: Path) -> None:
    from engine.channels.model_input import load_study_input
    from engine.epochs import n_epochs_for
    from engine.io.safe_output import output_set
    from engine.scoring import ExportOptions, export_edf_plus, sleep_report, write_report_html
    from engine.staging.night import (
        stages_for_scoring,  # YASA unless the model was fitted on real scorings
    )
    from engine.staging.sources import model_fitted_on, stage_source_for

    for k, path in enumerate(paths):
        t0 = time.perf_counter()
        x, present, _, study = load_study_input(path)
        start, duration = getattr(study, "start_datetime", None), float(study.duration_s)
        try:
            study.close()
        except Exception:  # noqa: BLE001
            pass
        session = runner.prepare(x, present, path.stem)
        spo2 = x[SPO2].copy() if present[SPO2] else None  # for the report's nadir (and ODI)
        del x

        def progress(done, total, k=k, path=path):
            w = 30
            f = int(w * done / max(total, 1))
            print(f"\r[{k + 1}/{len(paths)}] {path.name} [{'#' * f}{'.' * (w - f)}] {done}/{total} epochs",
                  end="", file=sys.stderr, flush=True)

        result = runner.score(session, progress=progress)
        result, stage_note = stages_for_scoring(path, result, runner)
        det, model_ok, chmap = rule_events_for(path, result, getattr(args, "rules", "auto"), runner.loaded)
        doc = build_scoring(result, max(1, n_epochs_for(duration)), start, duration,
                            rule_events=det, model_events=model_ok, chmap=chmap,
                            stage_source=stage_source_for(model_fitted_on(runner)))
        scored = out / f"{path.stem}.scored.edf"
        with output_set():  # the scored EDF, its sidecar and the report: all or nothing
            export_edf_plus(path, doc, scored, options=ExportOptions(include_suggestions=True))
            # the report of a pre-scoring counts the model's suggested events
            if not det.stats.get("spo2_usable", True):
                spo2 = None  # not a saturation (the rules checked): no nadir, no ODI from it
            rep = sleep_report(doc, include_suggestions=True, spo2_pct=spo2,
                               spo2_sfreq_hz=MODEL_SFREQ_HZ if spo2 is not None else None, rule_set=det.rule_set)
            rep = dataclasses.replace(rep, notes=tuple(rep.notes) + tuple(f"rules: {n}" for n in det.notes) + (
                "model event suggestions: " + ("on (second opinion)" if model_ok else
                                               "off (the model's event heads were not fitted on real scorings)"),))
            missing = session.missing_channels
            note = ("model input: channels missing from this study (masked, not used): " + ", ".join(missing)
                    if missing else "model input: all 16 canonical channels present")
            rep = dataclasses.replace(rep, notes=tuple(rep.notes) + (note, stage_note))
            write_report_html(out / f"{path.stem}.report.html", doc, rep, study_name=path.name)
        print(f"\r{path.name}: {session.n_epochs} epochs, {len(det.events)} rule events ({det.rule_set}), "
              f"{time.perf_counter() - t0:.1f} s -> {scored}" + " " * 20, file=sys.stderr)

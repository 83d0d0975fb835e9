"""`pedsleep fit-probes STUDIES... --model CKPT -o OUT`: fit the linear stage probe, the
event heads (with calibration), the outlier reference set and the reconstruction statistics
on scored studies (stages/events from the EDF+ annotations or a ``<stem>.truth.json``)."""

from __future__ import annotations

import json
import sys

NAME = "fit-probes"
HELP = "fit the stage probe and event heads of a pretrained model on scored studies"


def add_arguments(p):
    p.add_argument("studies", nargs="+", metavar="STUDY", help="scored EDF studies or folders")
    p.add_argument("--model", required=True, help="pretrained checkpoint (.safetensors or reference .pt)")
    p.add_argument("-o", "--output", required=True, help="model + probes to write (.safetensors)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    p.add_argument("--val-fraction", type=float, default=0.25,
                   help="share of nights held out for calibration (default 0.25)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--fitted-on", choices=("auto", "generated", "real"), default="auto",
                   help="what the scorings are, written into the model file (auto: 'generated' when every "
                        "study has a <stem>.truth.json from `pedsleep synth`, else 'real')")
    p.add_argument("--validation-kappa", type=float, default=None,
                   help="stage kappa of this model on held-out studies (`pedsleep evaluate`), written into "
                        "the model file: it weighs the model against YASA when it is fitted on real scorings")


def run(args) -> int:
    from engine.errors import UserError
    from engine.io.safe_output import refuse_overwrite
    from engine.model.checkpoint import load_model, save_model
    from engine.model.device import resolve_device, set_threads
    from engine.training.data import expand_study_paths, load_scored_study
    from engine.training.fit_probes import fit_probes

    # the new model never replaces the pretrained one it starts from, nor a study
    refuse_overwrite([args.output], [("model", args.model)]
                     + [("study", p) for p in expand_study_paths(args.studies)])
    set_threads(args.threads)
    device = resolve_device(args.device)
    lm = load_model(args.model)
    nights = []
    paths = expand_study_paths(args.studies)
    for i, p in enumerate(paths):
        sn = load_scored_study(p, labels=True, half=True)
        if sn.stages is None or not (sn.stages >= 0).any():
            print(f"\n{p}: no stages scored, skipped", file=sys.stderr)
            continue
        nights.append(sn)
        print(f"\rloading {i + 1}/{len(paths)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    if not nights:
        raise UserError("none of the studies has scored stages")
    model = lm.model.to(device)
    arrays, meta = fit_probes(model, nights, device=device, val_fraction=args.val_fraction,
                              progress=lambda m: print(m, file=sys.stderr))
    info = dict(lm.info)
    info["probes_fitted_on"] = len(nights)
    from pathlib import Path

    kind = args.fitted_on
    if kind == "auto":
        synthetic = all(Path(p).with_name(Path(p).stem + ".truth.json").is_file() for p in paths)
        kind = "generated" if synthetic else "real"
    fitted_on = {"kind": kind, "n_studies": len(nights), "validation_kappa": args.validation_kappa,
                 "validation_on": kind if args.validation_kappa is not None else None}
    save_model(args.output, model.cpu(), probes=arrays, probe_meta=meta, info=info, fitted_on=fitted_on)
    print(json.dumps(meta.get("stage_probe", {})), file=sys.stderr)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0

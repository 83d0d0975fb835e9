"""`pedsleep pretrain DATA... -o CKPT`: masked-autoencoder pretraining over EDF studies.

Under ``torchrun --nproc_per_node N -m engine.cli pretrain ...`` it runs with
DistributedDataParallel (gloo on CPU, NCCL on CUDA); each rank reads its share of studies.
"""

from __future__ import annotations

import sys

NAME = "pretrain"
HELP = "pretrain the PedSleepMAE model (masked autoencoder) on EDF studies or folders"


def add_arguments(p):
    p.add_argument("data", nargs="+", metavar="DATA", help="EDF studies or folders of them")
    p.add_argument("-o", "--output", required=True, metavar="CKPT",
                   help="checkpoint to write (.safetensors; optimizer state goes to CKPT.train.pt)")
    p.add_argument("--config", default="compact", help="model configuration: compact (default) or paper")
    p.add_argument("--epochs", type=float, default=1.0, help="passes over all 30-s epochs (default 1)")
    p.add_argument("--batch-size", type=int, default=32, help="30-s epochs per step and rank (default 32)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--max-minutes", type=float, default=None, help="stop (and save) after this many minutes")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    p.add_argument("--resume", action="store_true", help="continue from CKPT and CKPT.train.pt")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default min(2, cores))")


def run(args) -> int:
    from engine.model.config import get_config
    from engine.model.device import resolve_device, set_threads
    from engine.training.data import expand_study_paths, load_scored_study
    from engine.training.pretrain import PretrainSettings, dist_env, pretrain

    set_threads(args.threads)
    device = resolve_device(args.device)
    rank, world, _ = dist_env()
    cfg = get_config(args.config)
    paths = expand_study_paths(args.data)
    from engine.io.safe_output import refuse_overwrite

    refuse_overwrite([args.output], [("study", p) for p in paths])  # (CKPT itself: --resume)
    mine = paths[rank::world] if len(paths) >= world else paths
    nights = []
    for i, p in enumerate(mine):
        nights.append(load_scored_study(p, labels=False, half=True))
        if rank == 0:
            print(f"\rloading studies {i + 1}/{len(mine)}", end="", file=sys.stderr, flush=True)
    if rank == 0:
        n_ep = sum(n.n_epochs for n in nights)
        print(f"\n{len(paths)} studies, {n_ep} epochs on rank 0; config {cfg.name}; device {device}; "
              f"world size {world}", file=sys.stderr)
    settings = PretrainSettings(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                                seed=args.seed, max_minutes=args.max_minutes, progress=rank == 0)
    pretrain(nights, cfg, args.output, settings, device=device, resume=args.resume)
    if rank == 0:
        print(f"wrote {args.output}", file=sys.stderr)
    return 0

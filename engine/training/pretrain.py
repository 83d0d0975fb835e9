"""Masked-autoencoder pretraining, one process or DistributedDataParallel under torchrun.

Runs over a list of prepared nights (``ScoredNight``/``NightInput``); every step each rank
draws its own random (night, epoch) batch from a generator seeded by (seed, step, rank),
so a resumed run continues the same sequence.  Gradients are averaged across ranks by DDP
(gloo on CPU, NCCL on CUDA), keeping parameters identical on every rank.

Checkpoints: ``OUT`` (safetensors, the model, readable by ``load_model``) and
``OUT.train.pt`` (optimizer + step, loadable with ``torch.load(weights_only=True)``),
written every ``save_every`` steps and at the end by rank 0.  Loss is logged to
``OUT.log.jsonl``, one JSON line per ``log_every`` steps.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from engine.channels.canonical import EPOCH_SAMPLES
from engine.errors import CheckpointError
from engine.model.checkpoint import load_model, save_model
from engine.model.config import ModelConfig
from engine.model.mae import PedSleepMAE
from engine.training.masking import random_hidden


@dataclass
class PretrainSettings:
    epochs: float = 1.0  # passes over all 30-s epochs of the data
    batch_size: int = 32  # per rank
    lr: float = 1e-3
    weight_decay: float = 0.05
    warmup_steps: int = 100
    seed: int = 0
    save_every: int = 200
    log_every: int = 10
    max_steps: int | None = None
    max_minutes: float | None = None  # stop (and save) after this much wall time
    progress: bool = True


def dist_env() -> tuple[int, int, int]:
    """(rank, world_size, local_rank) from torchrun's environment."""
    return (int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
            int(os.environ.get("LOCAL_RANK", 0)))


def init_distributed(device: torch.device) -> tuple[int, int]:
    rank, world, local = dist_env()
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(local)
        dist.init_process_group(backend, rank=rank, world_size=world)
    return rank, world


class EpochSampler:
    """Random batches of 30-s epochs from a list of nights."""

    def __init__(self, nights):
        self.nights = [getattr(n, "night", n) for n in nights]
        self.counts = np.array([n.n_epochs for n in self.nights])
        if self.counts.sum() == 0:
            raise ValueError("no 30-s epochs in the training data")
        self.cum = np.cumsum(self.counts)

    @property
    def n_epochs(self) -> int:
        return int(self.counts.sum())

    def batch(self, rng: np.random.Generator, size: int):
        """x [B, C, 3840] float32, present [B, C] bool (recorded and not flat there)."""
        flat_idx = rng.integers(0, self.cum[-1], size)
        xs, pres = [], []
        for f in flat_idx:
            k = int(np.searchsorted(self.cum, f, side="right"))
            i = int(f - (self.cum[k - 1] if k else 0))
            n = self.nights[k]
            xs.append(np.asarray(n.z[:, i * EPOCH_SAMPLES:(i + 1) * EPOCH_SAMPLES], np.float32))
            pres.append(~n.hidden_channels(i))
        return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(pres))


def masked_mse(recon, x, hidden, present, patch_size):
    """Mean squared error over hidden cells of channels that have a target."""
    target_cells = hidden & present[:, :, None]  # [B, C, S]
    w = target_cells.repeat_interleave(patch_size, dim=2).to(recon.dtype)
    return ((recon - x) ** 2 * w).sum() / w.sum().clamp_min(1.0)


def _lr_at(step, total, s: PretrainSettings, elapsed_s: float = 0.0):
    """Linear warm-up then cosine to 5 %; with ``max_minutes`` the cosine follows whichever
    of steps or wall time is further along, so a time-boxed run still anneals."""
    if step < s.warmup_steps:
        return s.lr * (step + 1) / s.warmup_steps
    p = min(1.0, (step - s.warmup_steps) / max(1, total - s.warmup_steps))
    if s.max_minutes:
        p = max(p, min(1.0, elapsed_s / (60 * s.max_minutes)))
    return s.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * p)))


def state_path(out: Path) -> Path:
    return out.with_name(out.name + ".train.pt")


def pretrain(nights, cfg: ModelConfig, out, settings: PretrainSettings | None = None,
             device: torch.device | str = "cpu", resume: bool = False,
             cancel=None) -> PedSleepMAE:
    """Pretrain (or resume) and write checkpoints to ``out``; returns the model."""
    s = settings or PretrainSettings()
    device = torch.device(device)
    out = Path(out)
    rank, world = init_distributed(device)
    sampler = EpochSampler(nights)
    steps_per_pass = max(1, sampler.n_epochs // (s.batch_size * world))
    total = max(1, int(round(s.epochs * steps_per_pass)))
    if s.max_steps:
        total = min(total, s.max_steps)

    torch.manual_seed(s.seed)  # same init on every rank (DDP also broadcasts from rank 0)
    model = PedSleepMAE(cfg)
    step = 0
    opt_state = None
    elapsed0 = 0.0
    if resume and out.is_file():
        lm = load_model(out)
        if lm.config.to_json() != cfg.to_json():
            cfg = lm.config
            model = PedSleepMAE(cfg)
        model.load_state_dict(lm.model.state_dict())
        sp = state_path(out)
        if sp.is_file():
            try:
                st = torch.load(str(sp), map_location="cpu", weights_only=True)
            except Exception as exc:  # noqa: BLE001
                raise CheckpointError(f"{sp}: cannot resume ({exc})") from None
            step = int(st["step"])
            opt_state = st["optimizer"]
            elapsed0 = float(st.get("elapsed_s", 0.0))
    model.to(device)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "token" not in n and "pos_embedding" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "token" not in n and "pos_embedding" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": s.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=s.lr, betas=(0.9, 0.95))
    if opt_state is not None:
        opt.load_state_dict(opt_state)
    net: torch.nn.Module = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index or 0] if device.type == "cuda" else None)
    log_path = out.with_name(out.name + ".log.jsonl")
    t0 = time.perf_counter()
    seen = 0
    ema = None
    model.train()

    def save():
        if rank != 0:
            return
        save_model(out, model, info={"pretrain_steps": step, "world_size": world,
                                     "batch_size": s.batch_size, "loss_ema": ema})
        torch.save({"step": step, "optimizer": opt.state_dict(),
                    "elapsed_s": elapsed0 + time.perf_counter() - t0}, str(state_path(out)))

    amp = device.type == "cuda"
    while step < total:
        if cancel is not None and cancel.is_set():
            break
        elapsed = elapsed0 + time.perf_counter() - t0
        if s.max_minutes and elapsed > 60 * s.max_minutes:
            break
        rng = np.random.default_rng([s.seed, step, rank])
        gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        x, present = sampler.batch(rng, s.batch_size)
        hidden = random_hidden(present, cfg, gen)
        x, present, hidden = x.to(device), present.to(device), hidden.to(device)
        for g in opt.param_groups:
            g["lr"] = _lr_at(step, total, s, elapsed)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            recon, hidden = net(x, hidden=hidden)
        loss = masked_mse(recon.float(), x, hidden, present, cfg.patch_size)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        seen += s.batch_size * world
        lv = float(loss.detach())
        ema = lv if ema is None else 0.98 * ema + 0.02 * lv
        if rank == 0 and (step % s.log_every == 0 or step == total):
            el = time.perf_counter() - t0
            rate = seen / max(el, 1e-9)
            with open(log_path, "a") as fh:
                fh.write(json.dumps({"step": step, "loss": round(lv, 5), "loss_ema": round(ema, 5),
                                     "lr": opt.param_groups[0]["lr"], "epochs_per_s": round(rate, 2),
                                     "elapsed_s": round(el, 1), "time": time.time()}) + "\n")
            if s.progress:
                eta = (total - step) * s.batch_size * world / max(rate, 1e-9)
                print(f"\rpretrain {step}/{total} loss {ema:.4f} {rate:.1f} epochs/s ETA {eta / 60:.1f} min   ",
                      end="", file=sys.stderr, flush=True)
        if step % s.save_every == 0:
            save()
    save()
    if rank == 0 and s.progress:
        print(file=sys.stderr)
    if world > 1 and dist.is_initialized():
        dist.barrier()
    return model

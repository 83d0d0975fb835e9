"""Model speed (printed, not asserted): inference seconds per 10-h night (1200 epochs) for
the compact and paper configurations on CPU (and CUDA when present), FLOPs per epoch and
achieved FLOP/s, training epochs per second.  Run: make bench (or pytest -m bench -s)."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from engine.model.config import COMPACT, PAPER
from engine.model.mae import PedSleepMAE, count_params
from engine.training.masking import random_hidden

pytestmark = pytest.mark.bench

NIGHT_EPOCHS = 1200


def _devices():
    out = ["cpu"]
    if torch.cuda.is_available():
        out.append("cuda")
    return out


def _flops_per_epoch(model, x):
    with FlopCounterMode(display=False) as fc:
        with torch.inference_mode():
            model.encode(x[:1])
    return fc.get_total_flops()


def _time_encode(model, x, reps, device):
    with torch.inference_mode():
        model.encode(x)  # warm-up
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(reps):
            model.encode(x)
        if device == "cuda":
            torch.cuda.synchronize()
    return (time.perf_counter() - t0) / (reps * x.shape[0])


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("device", _devices())
@pytest.mark.parametrize("cfg", [COMPACT, PAPER], ids=lambda c: c.name)
def test_inference_speed(cfg, device, threads):
    if threads == 1 and (cfg.name == "paper" or device == "cuda"):
        pytest.skip("1-thread figure only for compact on CPU")
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = PedSleepMAE(cfg).to(device).eval()
    batch = 32 if (cfg.name == "compact" or device == "cuda") else 2
    reps = 3 if cfg.name == "compact" or device == "cuda" else 1
    x = torch.randn(batch, 16, 3840, device=device)
    flops = _flops_per_epoch(model, x)
    s_per_epoch = _time_encode(model, x, reps, device)
    print(f"\n[{cfg.name} on {device}, {torch.get_num_threads()} threads] {count_params(model) / 1e6:.2f} M params; "
          f"encoder {flops / 1e9:.2f} GFLOP per 30-s epoch; {s_per_epoch * 1e3:.1f} ms per epoch "
          f"(measured on {batch * reps} epochs) -> {s_per_epoch * NIGHT_EPOCHS:.1f} s per 10-h night "
          f"(encoder only); achieved {flops / s_per_epoch / 1e9:.1f} GFLOP/s")


@pytest.mark.parametrize("device", _devices())
@pytest.mark.parametrize("cfg", [COMPACT, PAPER], ids=lambda c: c.name)
def test_training_speed(cfg, device):
    torch.manual_seed(0)
    model = PedSleepMAE(cfg).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), 1e-4)
    b = 32 if cfg.name == "compact" else (16 if device == "cuda" else 2)
    x = torch.randn(b, 16, 3840, device=device)
    present = torch.ones(b, 16, dtype=torch.bool)
    g = torch.Generator().manual_seed(0)
    steps = 3 if cfg.name == "compact" or device == "cuda" else 1
    for i in range(steps + 1):
        if i == 1:
            if device == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
        hidden = random_hidden(present, cfg, g).to(device)
        recon, _ = model(x, hidden=hidden)
        loss = ((recon - x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    if device == "cuda":
        torch.cuda.synchronize()
    rate = steps * b / (time.perf_counter() - t0)
    print(f"\n[{cfg.name} on {device}] training {rate:.1f} epochs/s (batch {b}, {steps} steps)")


def test_whole_night_runner_compact():
    """The full inference path (stages, events, outlier, reconstruction of a missing
    channel) of the shipped starter model over a 10-h night of noise."""
    from engine.inference import ModelRunner, default_model_path

    if not default_model_path().is_file():
        pytest.skip("starter model not built yet (scripts/train_starter.sh)")
    from engine.model.device import set_threads

    set_threads()
    runner = ModelRunner.load(device="cpu")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, NIGHT_EPOCHS * 3840)).astype(np.float32)
    present = np.ones(16, bool)
    present[7] = False
    s = runner.prepare(x, present)
    t0 = time.perf_counter()
    times = []
    t_prev = t0
    n = 0
    for b in runner.run(s, center_epoch=600):
        now = time.perf_counter()
        times.append(now - t_prev)
        t_prev = now
        n += len(b.epochs)
    total = time.perf_counter() - t0
    print(f"\n[starter model, runner.run, cpu, {torch.get_num_threads()} thread(s)] {n} epochs in {total:.1f} s (with reconstruction of one missing "
          f"channel); longest gap between yields {max(times) * 1e3:.0f} ms, median {np.median(times) * 1e3:.0f} ms")

"""Pretraining: single process, resume, and 2-rank DistributedDataParallel on CPU."""

import os
import socket

import numpy as np
import torch
import torch.multiprocessing as mp

from engine.model import load_model
from engine.model.config import TINY
from engine.model.preprocess import prepare_night
from engine.training.pretrain import PretrainSettings, pretrain, state_path


def _nights(n=2, n_ep=6, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        x = rng.standard_normal((16, n_ep * 3840)).astype(np.float32) * 10
        present = np.ones(16, bool)
        present[7] = False
        out.append(prepare_night(x, present))
    return out


def test_pretrain_and_resume(tmp_path):
    out = tmp_path / "m.safetensors"
    s = PretrainSettings(epochs=100, batch_size=4, max_steps=3, save_every=2, progress=False, log_every=1)
    m1 = pretrain(_nights(), TINY, out, s)
    assert out.is_file() and state_path(out).is_file()
    assert torch.load(state_path(out), weights_only=True)["step"] == 3
    s.max_steps = 5
    pretrain(_nights(), TINY, out, s, resume=True)
    assert torch.load(state_path(out), weights_only=True)["step"] == 5
    lm = load_model(out)
    assert lm.info["pretrain_steps"] == 5
    assert not torch.equal(lm.model.encoder.pos_embedding, m1.encoder.pos_embedding)
    lines = (tmp_path / "m.safetensors.log.jsonl").read_text().splitlines()
    assert len(lines) == 5


def _worker(rank, world, port, tmp):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    s = PretrainSettings(epochs=100, batch_size=4, max_steps=3, progress=False, seed=rank * 0)
    model = pretrain(_nights(), TINY, os.path.join(tmp, "ddp.safetensors"), s)
    torch.save({k: v.detach().clone() for k, v in model.state_dict().items()},
               os.path.join(tmp, f"rank{rank}.pt"))
    torch.distributed.destroy_process_group()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_two_cpu_ranks_stay_in_sync(tmp_path):
    mp.spawn(_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    a = torch.load(tmp_path / "rank0.pt", weights_only=True)
    b = torch.load(tmp_path / "rank1.pt", weights_only=True)
    torch.manual_seed(0)
    from engine.model.mae import PedSleepMAE

    init = PedSleepMAE(TINY).state_dict()
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert any(not torch.equal(a[k], init[k]) for k in a)  # it did train
    assert (tmp_path / "ddp.safetensors").is_file()


def test_torchrun_cli_two_ranks(tmp_path):
    """`torchrun --nproc_per_node 2 -m engine.cli pretrain ...` on CPU (gloo)."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from engine.synth import NightParams, generate_night, write_night

    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists() and not shutil.which("torchrun"):
        import pytest

        pytest.skip("torchrun not installed next to the interpreter")
    for i in range(2):
        write_night(generate_night(NightParams(hours=0.1, seed=80 + i)), tmp_path / f"s{i}.edf")
    out = tmp_path / "m.safetensors"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    r = subprocess.run([str(torchrun if torchrun.exists() else "torchrun"), "--nproc_per_node", "2",
                        "--master_port", str(_free_port()), "-m", "engine.cli", "pretrain", str(tmp_path),
                        "-o", str(out), "--config", "tiny", "--epochs", "2", "--batch-size", "2",
                        "--threads", "1", "--device", "cpu"],
                       capture_output=True, text=True, timeout=240, env=env, cwd=Path(__file__).resolve().parents[3])
    assert r.returncode == 0, r.stderr[-2000:]
    assert "world size 2" in r.stderr
    lm = load_model(out)
    assert lm.info["world_size"] == 2

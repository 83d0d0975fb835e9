import os
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared" / "data"
REF_DIR = SHARED / "reference-checkpoint"


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    yield


@pytest.fixture
def ref_dir():
    if not (REF_DIR / "reference_pedsleepmae_small.pt").is_file():
        pytest.skip(f"reference checkpoint not available ({REF_DIR} is absent)")
    return REF_DIR

"""The model: reference reproduction, masking of missing channels, checkpoints."""

import pickle

import numpy as np
import pytest
import torch

from engine.errors import CheckpointError
from engine.model import COMPACT, PAPER, PedSleepMAE, count_params, load_model, save_model
from engine.model.config import TINY
from engine.model.mae import reference_probe_features


def test_paper_config_size():
    assert PAPER.width == 1024 and PAPER.n_patches == 480
    n = count_params(PedSleepMAE(PAPER))
    assert abs(n - 76.6e6) / 76.6e6 < 0.01, n


def test_reference_checkpoint_reproduces_outputs(ref_dir):
    lm = load_model(ref_dir / "reference_pedsleepmae_small.pt")
    assert lm.config.emb_dim == 8 and lm.config.width == 128 and lm.config.patch_size == 8
    assert lm.config.enc_depth == 3 and lm.config.dec_depth == 3
    io = np.load(ref_dir / "reference_io.npz")
    with torch.no_grad():
        tokens = lm.model.encoder(torch.from_numpy(io["x"]))
        feats = lm.model.cells(tokens).numpy()
        probe = reference_probe_features(lm.model, tokens).numpy()
    for got, want in ((feats, io["encoder_features"]), (probe, io["probe_features"])):
        assert got.shape == want.shape
        rel = np.abs(got - want).max() / np.abs(want).max()
        assert rel < 1e-4, rel
    # the public path (encode with every channel present) gives the same
    with torch.no_grad():
        t2 = lm.model.encode(torch.from_numpy(io["x"]), present=torch.ones(2, 16, dtype=torch.bool))
    assert torch.allclose(t2, tokens, atol=1e-5)


def test_reference_layout_matters(ref_dir):
    """A wrong token layout cannot pass: the time-major layout gives other features."""
    lm = load_model(ref_dir / "reference_pedsleepmae_small.pt")
    m = PedSleepMAE(lm.config.replace(token_layout="time"))
    m.load_state_dict(lm.model.state_dict())
    io = np.load(ref_dir / "reference_io.npz")
    with torch.no_grad():
        feats = m.cells(m.encoder(torch.from_numpy(io["x"]))).numpy()
    assert np.abs(feats - io["encoder_features"]).max() > 1e-2


@pytest.mark.parametrize("cfg", [TINY, COMPACT])
def test_missing_channel_data_does_not_matter(cfg):
    torch.manual_seed(0)
    m = PedSleepMAE(cfg).eval()
    x = torch.randn(2, 16, 3840)
    present = torch.ones(2, 16, dtype=torch.bool)
    present[:, 8] = False
    present[1, 3] = False
    x2 = x.clone()
    x2[:, 8] = 1e3 * torch.randn(2, 3840)
    x2[1, 3] = float("nan")
    with torch.no_grad():
        a = m.encode(x, present)
        b = m.encode(x2, present)
        ra, _ = m(x, present)
        rb, _ = m(x2, present)
        c = m.encode(x2, torch.ones(2, 16, dtype=torch.bool).index_fill_(1, torch.tensor([8]), True))
    assert torch.equal(a, b)
    assert torch.equal(ra, rb)
    assert not torch.allclose(a, c)  # ... while a present channel's data does matter


def test_safetensors_round_trip(tmp_path):
    torch.manual_seed(1)
    m = PedSleepMAE(TINY).eval()
    p = tmp_path / "m.safetensors"
    save_model(p, m, probes={"stage.W": np.ones((5, 3), np.float32)}, probe_meta={"a": 1})
    lm = load_model(p)
    assert lm.config == TINY
    assert lm.probe_meta == {"a": 1}
    np.testing.assert_array_equal(lm.probes["stage.W"], np.ones((5, 3)))
    x = torch.randn(1, 16, 3840)
    with torch.no_grad():
        assert torch.equal(m.encode(x), lm.model.encode(x))


class _Boom:
    def __reduce__(self):
        return (exec, ("open('/tmp/pedsleep_pwned','w').write('x')",))


def test_not_a_checkpoint(tmp_path):
    txt = tmp_path / "notes.safetensors"
    txt.write_text("hello, I am not a model")
    with pytest.raises(CheckpointError, match="not a model checkpoint"):
        load_model(txt)
    with pytest.raises(CheckpointError, match="no such"):
        load_model(tmp_path / "missing.pt")
    # a pickle that would run code is refused, and nothing runs
    evil = tmp_path / "evil.pt"
    torch.save({"state_dict": {}, "payload": _Boom()}, evil)
    with pytest.raises(CheckpointError, match="refused"):
        load_model(evil)
    legacy = tmp_path / "legacy.pt"
    legacy.write_bytes(pickle.dumps(_Boom(), protocol=2))
    with pytest.raises(CheckpointError):
        load_model(legacy)
    import os

    assert not os.path.exists("/tmp/pedsleep_pwned")
    # a torch file with tensors that are not a PedSleepMAE
    other = tmp_path / "other.pt"
    torch.save({"w": torch.zeros(3)}, other)
    with pytest.raises(CheckpointError):
        load_model(other)

"""PedSleepMAE: a masked autoencoder over 16 PSG channels, 30-s epochs at 128 Hz.

Shapes (B batch, C channels, T samples, S patches per epoch, P patch size,
D dims per channel, W = C*D token width):

    x        [B, C, T]        z-scored signals
    present  [B, C]   bool    channel recorded (False -> every patch hidden)
    hidden   [B, C, S] bool   patch replaced by the mask token (missing, flat or masked)
    cells    [B, C, S+1, D]   per-(channel, patch) embeddings, cls first
    tokens   [B, S+1, W]      transformer sequence (layout: see config.py)

Module names follow the reference implementation (sauravpandey123/PedSleepMAE) so its
state_dicts load: encoder.patch_projection.projection, encoder.cls_token,
encoder.pos_embedding, encoder.transformer.N.{norm1, attn.qkv, attn.proj, norm2, mlp.fc1,
mlp.fc2}, encoder.layer_norm, decoder.mask_token, decoder.pos_embedding,
decoder.transformer.N.*, decoder.head.  Our own addition: encoder.mask_token (the
embedding a hidden patch gets in the encoder; zero when a reference checkpoint is loaded,
the reference drops hidden patches instead, which needs no parameter).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from engine.model.config import ModelConfig


class Attention(nn.Module):
    def __init__(self, dim: int, n_heads: int, qkv_bias: bool):
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, N, W]
        b, n, w = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.n_heads, w // self.n_heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])  # [B, H, N, hd]
        return self.proj(y.transpose(1, 2).reshape(b, n, w))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm ViT block, parameter names and defaults of timm's ``Block``
    (LayerNorm eps 1e-5, exact GELU, qkv without bias)."""

    def __init__(self, dim: int, n_heads: int, mlp_ratio: float = 4.0, qkv_bias: bool = False):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, n_heads, qkv_bias)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchProjection(nn.Module):
    def __init__(self, patch_size: int, emb_dim: int):
        super().__init__()
        self.projection = nn.Linear(patch_size, emb_dim)

    def forward(self, patches):  # [B, C, S, P] -> [B, C, S, D]
        return self.projection(patches)


def cells_to_tokens(cells: torch.Tensor, layout: str) -> torch.Tensor:
    """[B, C, S1, D] -> [B, S1, C*D]."""
    b, c, s1, d = cells.shape
    if layout == "reference":
        return cells.contiguous().view(b, s1, c * d)
    return cells.permute(0, 2, 1, 3).reshape(b, s1, c * d)


def tokens_to_cells(tokens: torch.Tensor, n_chans: int, layout: str) -> torch.Tensor:
    """[B, S1, C*D] -> [B, C, S1, D] (inverse of cells_to_tokens)."""
    b, s1, w = tokens.shape
    d = w // n_chans
    if layout == "reference":
        return tokens.contiguous().view(b, n_chans, s1, d)
    return tokens.reshape(b, s1, n_chans, d).permute(0, 2, 1, 3)


class Encoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.patch_projection = PatchProjection(cfg.patch_size, cfg.emb_dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, 1, cfg.emb_dim))
        self.mask_token = nn.Parameter(torch.zeros(1, 1, 1, cfg.emb_dim))
        self.pos_embedding = nn.Parameter(torch.zeros(1, cfg.n_chans, cfg.n_patches + 1, cfg.emb_dim))
        self.transformer = nn.Sequential(
            *[Block(cfg.width, cfg.n_heads, cfg.mlp_ratio, cfg.qkv_bias) for _ in range(cfg.enc_depth)]
        )
        self.layer_norm = nn.LayerNorm(cfg.width)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        nn.init.trunc_normal_(self.mask_token, std=0.02)
        nn.init.trunc_normal_(self.pos_embedding, std=0.02)

    def forward(self, x: torch.Tensor, hidden: torch.Tensor | None = None) -> torch.Tensor:
        """x [B, C, T], hidden [B, C, S] bool or None -> tokens [B, S+1, W] (cls first)."""
        cfg = self.cfg
        patches = x.unfold(2, cfg.patch_size, cfg.patch_size)  # [B, C, S, P]
        cells = self.patch_projection(patches)  # [B, C, S, D]
        if hidden is not None:
            cells = torch.where(hidden[..., None], self.mask_token.to(cells.dtype), cells)
        cells = cells + self.pos_embedding[:, :, 1:, :]
        cls = (self.cls_token + self.pos_embedding[:, :, :1, :]).expand(x.shape[0], cfg.n_chans, 1, cfg.emb_dim)
        cells = torch.cat([cls, cells], dim=2)  # [B, C, S+1, D]
        tokens = cells_to_tokens(cells, cfg.token_layout)
        return self.layer_norm(self.transformer(tokens))


class Decoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.mask_token = nn.Parameter(torch.zeros(1, 1, 1, cfg.emb_dim))
        self.pos_embedding = nn.Parameter(torch.zeros(1, cfg.n_chans, cfg.n_patches + 1, cfg.emb_dim))
        self.transformer = nn.Sequential(
            *[Block(cfg.width, cfg.n_heads, cfg.mlp_ratio, cfg.qkv_bias) for _ in range(cfg.dec_depth)]
        )
        self.head = nn.Linear(cfg.emb_dim, cfg.patch_size)
        nn.init.trunc_normal_(self.mask_token, std=0.02)
        nn.init.trunc_normal_(self.pos_embedding, std=0.02)

    def forward(self, tokens: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
        """tokens [B, S+1, W] from the encoder, hidden [B, C, S] -> signals [B, C, T]."""
        cfg = self.cfg
        cells = tokens_to_cells(tokens, cfg.n_chans, cfg.token_layout)  # [B, C, S+1, D]
        body = torch.where(hidden[..., None], self.mask_token.to(cells.dtype), cells[:, :, 1:, :])
        cells = torch.cat([cells[:, :, :1, :], body], dim=2) + self.pos_embedding
        out = self.transformer(cells_to_tokens(cells, cfg.token_layout))
        out = tokens_to_cells(out, cfg.n_chans, cfg.token_layout)[:, :, 1:, :]
        patches = self.head(out)  # [B, C, S, P]
        return patches.reshape(patches.shape[0], cfg.n_chans, cfg.n_times)


class PedSleepMAE(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.apply(_init_linear)

    # -- helpers -------------------------------------------------------------------------
    def hidden_from_present(self, present: torch.Tensor) -> torch.Tensor:
        """present [B, C] bool -> hidden [B, C, S] bool (missing channels hidden)."""
        return (~present)[:, :, None].expand(-1, -1, self.cfg.n_patches)

    def encode(self, x: torch.Tensor, present: torch.Tensor | None = None,
               hidden: torch.Tensor | None = None) -> torch.Tensor:
        """Encoder tokens [B, S+1, W]; missing channels (present False) are hidden."""
        if present is not None:
            h = self.hidden_from_present(present)
            hidden = h if hidden is None else (hidden | h)
        if hidden is not None:
            x = torch.where(hidden.repeat_interleave(self.cfg.patch_size, dim=2), 0.0, x)
        return self.encoder(torch.nan_to_num(x), hidden)

    def cells(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens [B, S+1, W] -> per-(channel, patch) features [B, C, S+1, D]."""
        return tokens_to_cells(tokens, self.cfg.n_chans, self.cfg.token_layout)

    def forward(self, x, present=None, hidden=None):
        """Returns (reconstruction [B, C, T], hidden [B, C, S])."""
        if hidden is None:
            hidden = torch.zeros(x.shape[0], self.cfg.n_chans, self.cfg.n_patches,
                                 dtype=torch.bool, device=x.device)
        if present is not None:
            hidden = hidden | self.hidden_from_present(present)
        tokens = self.encode(x, hidden=hidden)
        return self.decoder(tokens, hidden), hidden


def _init_linear(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


def reference_probe_features(model: PedSleepMAE, tokens: torch.Tensor) -> torch.Tensor:
    """The reference's probe input: encoder cells without cls, mean over emb dim,
    flattened channel-major.  tokens [B, S+1, W] -> [B, C*S]."""
    return model.cells(tokens)[:, :, 1:, :].mean(-1).flatten(1)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())

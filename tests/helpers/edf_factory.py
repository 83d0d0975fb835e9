"""Write plain EDF/EDF+C files fast, straight from numpy, for tests and benchmarks
(including deliberately broken ones). Not a product writer: that is pyedflib's job."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Sig:
    label: str
    sfreq_hz: float
    unit: str = "uV"
    pmin: float = -500.0
    pmax: float = 500.0
    dmin: int = -32768
    dmax: int = 32767


def _f(v, width: int) -> bytes:
    s = str(v)
    if len(s) > width and isinstance(v, float):
        s = f"{v:.{max(0, width - 6)}g}"
    return s.encode("latin-1")[:width].ljust(width)


def write_edf(path, sigs: list[Sig], n_records: int, record_s: float = 1.0, data=None,
              seed: int = 0, n_records_in_header: int | None = None, chunk_records: int = 600,
              startdate: str = "01.02.20", starttime: str = "22.00.00") -> None:
    """``data``: optional callable (sig_index, start_sample, n) -> float array in physical
    units; default is seeded noise plus a 10 Hz sine."""
    rng = np.random.default_rng(seed)
    ns = len(sigs)
    spr = [int(round(s.sfreq_hz * record_s)) for s in sigs]
    hdr = bytearray()
    hdr += _f("0", 8) + _f("X X X X", 80) + _f("Startdate X X X X", 80)
    hdr += _f(startdate, 8) + _f(starttime, 8) + _f(256 * (ns + 1), 8) + _f("", 44)
    hdr += _f(n_records if n_records_in_header is None else n_records_in_header, 8)
    hdr += _f(record_s if record_s != int(record_s) else int(record_s), 8) + _f(ns, 4)
    for fld in (lambda s, i: _f(s.label, 16), lambda s, i: _f("", 80), lambda s, i: _f(s.unit, 8),
                lambda s, i: _f(s.pmin, 8), lambda s, i: _f(s.pmax, 8), lambda s, i: _f(s.dmin, 8),
                lambda s, i: _f(s.dmax, 8), lambda s, i: _f("", 80), lambda s, i: _f(spr[i], 8),
                lambda s, i: _f("", 32)):
        for i, s in enumerate(sigs):
            hdr += fld(s, i)
    assert len(hdr) == 256 * (ns + 1)
    with open(path, "wb") as f:
        f.write(hdr)
        for r0 in range(0, n_records, chunk_records):
            nr = min(chunk_records, n_records - r0)
            cols = []
            for i, s in enumerate(sigs):
                n = spr[i] * nr
                if data is not None:
                    y = np.asarray(data(i, r0 * spr[i], n), float)
                else:
                    t = (r0 * spr[i] + np.arange(n)) / s.sfreq_hz
                    amp = (s.pmax - s.pmin) / 8
                    y = amp * np.sin(2 * np.pi * 10 * t) + rng.normal(0, amp / 4, n)
                gain = (s.pmax - s.pmin) / (s.dmax - s.dmin)
                d = np.clip(np.round((y - s.pmin) / gain + s.dmin), s.dmin, s.dmax).astype("<i2")
                cols.append(d.reshape(nr, spr[i]))
            f.write(np.concatenate(cols, axis=1).tobytes())


def psg_signals(sfreq_hz: float = 256.0, n: int = 16) -> list[Sig]:
    """A 16-channel montage with canonical labels, all at ``sfreq_hz``."""
    from engine.channels.canonical import CANONICAL_CHANNELS

    out = []
    for c in CANONICAL_CHANNELS[:n]:
        if c.kind == "spo2":
            out.append(Sig(c.name, sfreq_hz, "%", 0.0, 100.0))
        elif c.kind == "capno":
            out.append(Sig(c.name, sfreq_hz, "mmHg", 0.0, 100.0))
        else:
            out.append(Sig(c.name, sfreq_hz))
    return out

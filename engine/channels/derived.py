"""Derivations A − B of a study's own signals, seen as extra signals of the study.

``DerivedStudy`` wraps an open :class:`engine.io.Study`: its ``signals`` are the file's
followed by one :class:`SignalInfo` per derivation, and ``read``/``iter_blocks`` compute a
derivation from its two sources, so the trace source, the pyramids and the display
filters work on a montage's ``C3 − M2`` as on any recorded signal. The file is never
written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from engine.errors import UserError


@dataclass(frozen=True)
class Derivation:
    plus: str  # display label of the signal added
    minus: str  # display label of the signal subtracted

    @property
    def label(self) -> str:
        return f"{self.plus}−{self.minus}"


class DerivedStudy:
    def __init__(self, study, derivations=()):
        self._study = study
        self.derivations: tuple[Derivation, ...] = ()
        self._pairs: list[tuple[int, int]] = []
        self.signals = list(study.signals)
        for d in derivations:
            self.add(d)

    def __getattr__(self, name):  # everything else is the file's
        return getattr(self._study, name)

    @property
    def base(self):
        return self._study

    @property
    def n_file_signals(self) -> int:
        return len(self._study.signals)

    def index_of(self, d: Derivation) -> int | None:
        for k, have in enumerate(self.derivations):
            if have == d:
                return self.n_file_signals + k
        return None

    def add(self, d: Derivation) -> int:
        """Index of derivation ``d`` among ``signals`` (added when new). Both sources must
        be signals of the file with the same rate."""
        have = self.index_of(d)
        if have is not None:
            return have
        try:
            a, b = self._study.signal_index(d.plus), self._study.signal_index(d.minus)
        except KeyError as exc:
            raise UserError(f"derivation {d.plus} − {d.minus}: this study has no signal {exc}") from None
        sa, sb = self._study.signals[a], self._study.signals[b]
        if a == b:
            raise UserError(f"derivation {d.plus} − {d.minus}: a signal minus itself is zero")
        if sa.sfreq_hz != sb.sfreq_hz or sa.n_samples != sb.n_samples:
            raise UserError(f"derivation {d.plus} − {d.minus}: the two signals have different rates "
                            f"({sa.sfreq_hz:g} Hz and {sb.sfreq_hz:g} Hz)")
        idx = len(self.signals)
        unit = sa.unit if sa.unit.strip().lower() == sb.unit.strip().lower() else sa.unit
        info = replace(sa, index=idx, label=d.label, display_label=d.label, unit=unit,
                       physical_min=sa.physical_min - sb.physical_max,
                       physical_max=sa.physical_max - sb.physical_min,
                       transducer=f"derived: {d.plus} − {d.minus}")
        self.signals.append(info)
        self.derivations = self.derivations + (d,)
        self._pairs.append((a, b))
        return idx

    def _pair(self, sig: int) -> tuple[int, int] | None:
        k = sig - self.n_file_signals
        return self._pairs[k] if k >= 0 else None

    def read(self, sig: int, start_s: float, stop_s: float) -> np.ndarray:
        pair = self._pair(sig)
        if pair is None:
            return self._study.read(sig, start_s, stop_s)
        a, b = pair
        return (self._study.read(a, start_s, stop_s) - self._study.read(b, start_s, stop_s)).astype(np.float32)

    def iter_blocks(self, block_s: float = 600.0, cancel=None, first_record: int = 0,
                    stop_record: int | None = None, sigs=None):
        wanted = range(len(self.signals)) if sigs is None else list(sigs)
        need: set[int] = set()
        for s in wanted:
            pair = self._pair(s)
            need.update(pair if pair is not None else (s,))
        for r0, block in self._study.iter_blocks(block_s, cancel, first_record, stop_record, sorted(need)):
            out = {}
            for s in wanted:
                pair = self._pair(s)
                out[s] = block[s] if pair is None else (block[pair[0]] - block[pair[1]]).astype(np.float32)
            yield r0, out

    def signal_index(self, display_label: str) -> int:
        for s in self.signals:
            if s.display_label == display_label:
                return s.index
        raise KeyError(display_label)

"""A recording opened for lazy reading: header, annotations and windowed signal reads.

Opening tries pyedflib first (the reference C reader); files it refuses (EDF+D, non-ASCII
labels, repaired files) are read by our own header parser and linear-time TAL reader
(``engine/io/annotations.py``; edfio is not used here: its annotation regex is quadratic).
Every header value is range-checked against the file's real length before anything is
allocated, and every annotation is bounded by the recording. Samples are then read with positioned reads
(``os.pread``) of whole data records, a block of about a minute at a time, decoded for
every signal at once into float32 and kept in a bounded LRU cache: a 10-h night never
sits in memory, as float64 or otherwise. (A memory map would be simpler, but every page
it touches counts in the viewer's resident memory.) The pyramid streams through
``iter_blocks`` without filling the cache; the model's input reads a quarter of an hour
at a time through a cache of its own (``private_cache``). Labels are decoded as UTF-8 (Latin-1 when
that fails), so "Impédance" comes out right whichever library opened the file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from engine.errors import StudyError, UserError
from engine.io.annotations import read_raw_annotations, read_record_onsets, sanitize_annotations
from engine.io.edf_header import MAX_RECORDING_S, RawHeader, check_size, read_raw_header
from engine.pause_gate import GATE

log = logging.getLogger(__name__)

CACHE_BLOCK_S = 60.0  # cache granularity: about a minute of one signal


@dataclass(frozen=True)
class SignalInfo:
    index: int  # position among the study's data signals (annotation signals excluded)
    label: str  # as written in the file (decoded)
    display_label: str  # unique: duplicates get " (2)", " (3)"
    sfreq_hz: float
    unit: str
    physical_min: float
    physical_max: float
    digital_min: int
    digital_max: int
    transducer: str
    prefilter: str
    n_samples: int


@dataclass(frozen=True)
class Annotation:
    onset_s: float
    duration_s: float  # 0.0 when the file gives none
    text: str


class _LRU:
    """Bounded cache of float32 blocks, by bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._d: OrderedDict = OrderedDict()

    def get(self, key):
        v = self._d.get(key)
        if v is not None:
            self._d.move_to_end(key)
        return v

    def put(self, key, value: np.ndarray) -> None:
        if key in self._d:
            return
        self._d[key] = value
        self.bytes += value.nbytes
        while self.bytes > self.max_bytes and self._d:
            _, old = self._d.popitem(last=False)
            self.bytes -= old.nbytes

    def clear(self) -> None:
        self._d.clear()
        self.bytes = 0


class Study:
    """An open recording. Use :func:`open_study`. Thread-safe for reads (numpy memmap
    slicing and a cache whose worst race is a duplicate block)."""

    def __init__(self, header: RawHeader, n_records: int, backend: str,
                 annotations: list[Annotation], warnings: list[str], cache_bytes: int):
        self.path = header.path
        self.header = header
        self.backend = backend  # which reader accepted the file: pyedflib | raw (our own)
        self.variant = header.variant
        self.start_datetime: dt.datetime = header.start
        self.patient = header.patient
        self.recording = header.recording
        self.warnings: tuple[str, ...] = tuple(header.warnings) + tuple(warnings)
        self.n_records = n_records
        self.record_duration_s = header.record_duration_s
        self._cache = _LRU(cache_bytes)
        self._local = threading.local()  # .cache: a thread's own cache (private_cache)
        bps = header.bytes_per_sample
        self._bps = bps

        data_sigs: list[SignalInfo] = []
        offsets: list[tuple[int, int]] = []
        seen: dict[str, int] = {}
        off = 0
        self._ann_offsets: list[tuple[int, int]] = []
        for raw in header.signals:
            if raw.is_annotation:
                self._ann_offsets.append((off, raw.samples_per_record))
            elif header.record_duration_s <= 0:
                # an annotation-only EDF+ (record duration 0) may carry e.g. a CRC channel
                self.warnings += (f"signal '{raw.label}' ignored: the record duration is 0 s",)
            else:
                n = seen.get(raw.label, 0) + 1
                seen[raw.label] = n
                display = raw.label if n == 1 else f"{raw.label} ({n})"
                sf = raw.samples_per_record / header.record_duration_s
                data_sigs.append(SignalInfo(
                    index=len(data_sigs), label=raw.label, display_label=display, sfreq_hz=sf,
                    unit=raw.unit, physical_min=raw.physical_min, physical_max=raw.physical_max,
                    digital_min=raw.digital_min, digital_max=raw.digital_max,
                    transducer=raw.transducer, prefilter=raw.prefilter,
                    n_samples=raw.samples_per_record * n_records,
                ))
                offsets.append((off, raw.samples_per_record))
            off += raw.samples_per_record
        dups = sorted(lbl for lbl, n in seen.items() if n > 1)
        if dups:
            self.warnings += (f"duplicate signal labels, numbered for display: {', '.join(dups)}",)
        self.signals: tuple[SignalInfo, ...] = tuple(data_sigs)
        self._offsets = offsets

        self._fd: int | None = os.open(header.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            self.record_onsets_s = self._record_onsets()
        except BaseException:
            self.close()
            raise
        if self.record_onsets_s is not None:
            self.duration_s = float(self.record_onsets_s[-1] + self.record_duration_s) if n_records else 0.0
        else:
            self.duration_s = n_records * self.record_duration_s
        kept, notes = sanitize_annotations(
            [(a.onset_s, a.duration_s, a.text) for a in annotations], self.duration_s,
            os.path.basename(header.path))
        self.warnings += tuple(notes)
        self.annotations: tuple[Annotation, ...] = tuple(Annotation(o, d, t) for o, d, t in kept)

    # --- layout -------------------------------------------------------------------------
    def _record_onsets(self) -> np.ndarray | None:
        """Per-record onset for EDF+D (from each record's first TAL); None if continuous.
        Onsets that go backwards, overlap, or lie beyond a week are a corrupt file."""
        if not self.header.is_discontinuous or not self._ann_offsets or self.n_records == 0:
            return None
        name = os.path.basename(self.path)
        raw = read_record_onsets(self.header, self.n_records)
        onsets = np.empty(self.n_records)
        rd = self.record_duration_s
        for r, o in enumerate(raw):
            onsets[r] = o if o is not None else (onsets[r - 1] + rd if r else 0.0)
        onsets -= onsets[0]
        steps = np.diff(onsets)
        bad = np.flatnonzero(steps < rd - 1e-6)
        if bad.size:
            r = int(bad[0]) + 1
            what = "goes back in time" if steps[bad[0]] < 0 else "overlaps the one before"
            raise StudyError(
                f"{name} is EDF+D but record {r + 1} (onset {onsets[r]:g} s) {what}; "
                "the record times are corrupt"
            )
        if onsets[-1] + rd > MAX_RECORDING_S:
            raise StudyError(
                f"{name}: its last record starts {onsets[-1]:g} s after the first; "
                "the record times are corrupt"
            )
        return onsets

    @property
    def is_continuous(self) -> bool:
        return self.record_onsets_s is None

    def close(self) -> None:
        self._cache.clear()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    # --- reading ------------------------------------------------------------------------
    def _raw_records(self, r0: int, r1: int) -> np.ndarray:
        """Bytes of data records [r0, r1) as uint8 [n, record_size] (one positioned read)."""
        if self._fd is None:
            raise StudyError(f"{os.path.basename(self.path)} is closed")
        size = self.header.record_size
        want = (r1 - r0) * size
        buf = os.pread(self._fd, want, self.header.header_bytes + r0 * size)
        if len(buf) < want:
            raise StudyError(f"{os.path.basename(self.path)} changed on disk while open")
        return np.frombuffer(buf, np.uint8).reshape(r1 - r0, size)

    def _decode(self, recs: np.ndarray, sig: int) -> np.ndarray:
        """Digital values of one signal from raw records, as int32, flat."""
        off, spr = self._offsets[sig]
        block = recs[:, off * self._bps:(off + spr) * self._bps]
        if self._bps == 2:
            return np.ascontiguousarray(block).view("<i2").reshape(-1).astype(np.int32)
        b = np.ascontiguousarray(block).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        return np.where(v >= 1 << 23, v - (1 << 24), v)

    def _digital_records(self, sig: int, r0: int, r1: int) -> np.ndarray:
        """Digital values of records [r0, r1) of data signal ``sig`` as int32, flat."""
        return self._decode(self._raw_records(r0, r1), sig)

    def read_digital(self, sig: int, start_sample: int = 0, n_samples: int | None = None) -> np.ndarray:
        """Raw digital samples (record order, gaps of EDF+D not filled)."""
        info = self.signals[sig]
        spr = self._offsets[sig][1]
        stop = info.n_samples if n_samples is None else min(info.n_samples, start_sample + n_samples)
        start = max(0, start_sample)
        if stop <= start:
            return np.zeros(0, np.int32)
        r0, r1 = start // spr, (stop - 1) // spr + 1
        d = self._digital_records(sig, r0, r1)
        return d[start - r0 * spr: stop - r0 * spr]

    def _scale(self, sig: int) -> tuple[float, float]:
        s = self.signals[sig]
        span_d = s.digital_max - s.digital_min
        span_p = s.physical_max - s.physical_min
        if span_d == 0 or span_p == 0:
            return 1.0, 0.0
        gain = span_p / span_d
        return gain, s.physical_min - s.digital_min * gain

    def _physical(self, recs: np.ndarray, sig: int) -> np.ndarray:
        gain, offset = self._scale(sig)
        return (self._decode(recs, sig) * np.float32(gain) + np.float32(offset)).astype(np.float32)

    @contextlib.contextmanager
    def private_cache(self, max_mb: float) -> Iterator[None]:
        """Inside the block, this thread's reads go through a cache of their own (at most
        ``max_mb``), let go at the end: a whole-night pass in a worker (the model's
        input, a chunk of every signal at a time) neither evicts the pages the viewer
        shows and prefetches from the shared cache nor leaves its blocks in memory."""
        prev = getattr(self._local, "cache", None)
        self._local.cache = _LRU(int(max_mb * 2**20))
        try:
            yield
        finally:
            self._local.cache = prev

    def block_bytes_per_s(self) -> float:
        """Bytes a second of every signal takes in the cache (float32)."""
        return 4.0 * sum(s.sfreq_hz for s in self.signals)

    def _block(self, sig: int, b: int) -> np.ndarray:
        """One cache block (about a minute) of ``sig``. A miss reads the block's records
        once and decodes every signal, since a page almost always shows them all."""
        cache = getattr(self._local, "cache", None)
        cache = self._cache if cache is None else cache
        arr = cache.get((sig, b))
        if arr is None:
            recs_per = self._records_per_block()
            r0, r1 = b * recs_per, min(self.n_records, (b + 1) * recs_per)
            recs = self._raw_records(r0, r1)
            for i in range(len(self.signals)):
                phys = self._physical(recs, i)
                cache.put((i, b), phys)
                if i == sig:
                    arr = phys
        return arr

    def iter_blocks(self, block_s: float = 600.0, cancel=None, first_record: int = 0,
                    stop_record: int | None = None, sigs=None):
        """Stream records [first_record, stop_record) without touching the cache: yields
        (first_record_of_block, {signal: float32 samples}) for blocks of about ``block_s``
        (every signal, or those in ``sigs``)."""
        per = max(1, int(round(block_s / self.record_duration_s))) if self.record_duration_s > 0 else 1
        stop = self.n_records if stop_record is None else min(stop_record, self.n_records)
        wanted = range(len(self.signals)) if sigs is None else sigs
        for r0 in range(max(0, first_record), stop, per):
            GATE.wait_clear()  # in a GUI job: a block at a time while the scorer acts
            if cancel is not None and cancel.is_set():
                return
            recs = self._raw_records(r0, min(stop, r0 + per))
            yield r0, {i: self._physical(recs, i) for i in wanted}

    def _records_per_block(self) -> int:
        if self.record_duration_s <= 0:
            return 1
        return max(1, int(round(CACHE_BLOCK_S / self.record_duration_s)))

    def read_samples(self, sig: int, start_sample: int, stop_sample: int) -> np.ndarray:
        """Physical float32 samples [start, stop) in record order, clipped to the signal."""
        info = self.signals[sig]
        start, stop = max(0, start_sample), min(info.n_samples, stop_sample)
        if stop <= start:
            return np.zeros(0, np.float32)
        per_block = self._offsets[sig][1] * self._records_per_block()
        b0, b1 = start // per_block, (stop - 1) // per_block
        if b0 == b1:
            blk = self._block(sig, b0)
            return blk[start - b0 * per_block: stop - b0 * per_block]
        parts = [self._block(sig, b) for b in range(b0, b1 + 1)]
        cat = np.concatenate(parts)
        return cat[start - b0 * per_block: stop - b0 * per_block]

    def read(self, sig: int, start_s: float, stop_s: float) -> np.ndarray:
        """Physical float32 samples of one signal for [start_s, stop_s) in recording time.

        The result has exactly round((stop_s - start_s) * sfreq_hz) samples; time outside
        the recording (and the gaps of an EDF+D file) is NaN.
        """
        info = self.signals[sig]
        sf = info.sfreq_hz
        i0 = int(np.floor(start_s * sf + 1e-9))
        n = max(0, int(round((stop_s - start_s) * sf)))
        if self.is_continuous:
            lo, hi = max(0, i0), min(info.n_samples, i0 + n)
            if lo == i0 and hi == i0 + n:
                return self.read_samples(sig, lo, hi)
            out = np.full(n, np.nan, np.float32)
            if hi > lo:
                out[lo - i0: hi - i0] = self.read_samples(sig, lo, hi)
            return out
        # EDF+D: place each record at its own onset
        out = np.full(n, np.nan, np.float32)
        spr = self._offsets[sig][1]
        onsets = self.record_onsets_s
        assert onsets is not None  # not continuous: EDF+D, whose records have onsets
        rd = self.record_duration_s
        first = int(np.searchsorted(onsets + rd, start_s, side="right"))
        for r in range(first, self.n_records):
            if onsets[r] >= stop_s:
                break
            rec = self.read_samples(sig, r * spr, (r + 1) * spr)
            j0 = int(round(onsets[r] * sf)) - i0
            a, b = max(0, j0), min(n, j0 + spr)
            if b > a:
                out[a:b] = rec[a - j0: b - j0]
        return out

    # --- convenience --------------------------------------------------------------------
    def signal_index(self, display_label: str) -> int:
        for s in self.signals:
            if s.display_label == display_label:
                return s.index
        raise KeyError(display_label)

    def __repr__(self) -> str:
        return (f"Study({os.path.basename(self.path)!r}, {self.variant}, {len(self.signals)} signals, "
                f"{self.duration_s:.0f} s, backend={self.backend})")


def _annotations_pyedflib(path: str) -> list[Annotation]:
    import pyedflib

    with pyedflib.EdfReader(path) as r:
        onsets, durations, texts = r.readAnnotations()
    return [Annotation(float(o), float(d) if d and d > 0 else 0.0, str(t))
            for o, d, t in zip(onsets, durations, texts)]


def _annotations_raw(h: RawHeader, n_records: int) -> list[Annotation]:
    """Our own TAL reader: used when pyedflib does not accept the file."""
    return [Annotation(o, d, t) for o, d, t in read_raw_annotations(h, n_records) if t]


# The shared block cache holds what the viewer shows and prefetches (32 MB: half an hour
# of a 16-channel 256-Hz night). Whole-night passes do not go through it: the model's
# input reads through a private cache (Study.private_cache), the rules, the stager and
# the pyramid stream (iter_blocks). It was 128 MB, and the model's read left it full:
# reading a 10-h night for the model peaked at 664 MB, now 526 MB (issue 16).
DEFAULT_CACHE_MB = 32


def open_study(path: str | os.PathLike, repair: bool = False, cache_mb: int = DEFAULT_CACHE_MB) -> Study:
    """Open an EDF/EDF+/BDF/BDF+ file for lazy reading.

    ``repair=True`` opens a truncated file (or one whose header lies about the record
    count) with the complete records it holds, and says so in ``study.warnings``.
    Raises :class:`StudyError` with one clear line for anything unusable.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise StudyError(f"{path}: no such file")
    if os.path.isdir(path):
        raise StudyError(f"{path}: is a folder, not a recording")
    h = read_raw_header(path)
    n_ok, size_problem = check_size(h)
    warnings: list[str] = []
    if size_problem:
        if not repair:
            raise StudyError(size_problem)
        if n_ok == 0:
            raise StudyError(f"{size_problem}; nothing to open")
        warnings.append(f"{size_problem}; opened {n_ok} records")
    backend: str | None = None
    annotations: list[Annotation] = []
    if not size_problem and not h.is_discontinuous:
        try:
            annotations = _annotations_pyedflib(path)
            backend = "pyedflib"
        except Exception as exc:  # noqa: BLE001 - library refusals come in many types
            log.info("pyedflib refused %s: %s", path, exc)
    if backend is None:
        backend = "raw"
        try:
            annotations = _annotations_raw(h, n_ok)
        except OSError as exc:
            raise StudyError(f"{os.path.basename(path)}: cannot be read ({exc.strerror or exc})") from None
    # drop EDF+ time-keeping TALs (empty text) but keep everything a person wrote
    annotations = [a for a in annotations if a.text.strip()]
    try:
        return Study(h, n_ok, backend, annotations, warnings, cache_bytes=cache_mb * 1024 * 1024)
    except UserError:
        raise
    except OSError as exc:
        raise StudyError(f"{os.path.basename(path)}: cannot be read ({exc.strerror or exc})") from None
    except (ValueError, OverflowError, MemoryError) as exc:
        raise StudyError(f"{os.path.basename(path)}: the file is corrupt ({exc})") from None

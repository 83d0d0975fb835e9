"""YASA's stager with less memory and no JIT compile (issue 16), the same numbers.

YASA's ``SleepStaging.fit`` is the biggest memory user of the assistant: on a 10-h night
its process peaked at ~700 MB. Three parts of that cost nothing to the result (and the
child's fixed mmap threshold, engine.staging.yasa_process, a fourth):

* **antropy's numba compile.** Importing antropy compiles its numba functions at once:
  ~5 s of CPU and ~115 MB of LLVM memory, for the one numba function YASA uses
  (``higuchi_fd``, called once per 30-s epoch). ``higuchi_fd`` here computes Higuchi's
  fractal dimension (kmax 10) in numpy, each sum and the regression in the order the
  compiled loop adds them, so every value is the same to the bit (tests compare it with
  antropy's own on real and random signals). With it, the stager's child process imports
  antropy with ``NUMBA_DISABLE_JIT=1`` (``NO_JIT_ENV``): nothing is compiled, and the
  numpy functions YASA takes from antropy are unchanged. Importing numba still loads
  LLVM (~52 MB) for nothing, so ``import_antropy_without_numba`` gives antropy a
  stand-in ``numba`` whose ``jit`` leaves each function as it is (what
  ``NUMBA_DISABLE_JIT`` means) for the one import; where a future antropy needs more of
  numba than that, it imports antropy with the real numba instead.
* **Plotting libraries.** ``import yasa`` imports its plotting module, which imports
  matplotlib and seaborn (~35 MB resident, ~0.5 s) that the stager never draws with.
  ``import_yasa_without_plotting`` gives that one import stand-ins whose every name is
  a do-nothing (``_Anything``) and takes them out of ``sys.modules`` at once: only YASA's
  plotting functions hold them, and a later ``import matplotlib`` gets the real one.
  Where a future YASA needs more of them at import, it imports YASA as shipped.
* **A second copy of the night.** ``fit`` band-pass filters a copy of the channels it
  holds and never reads the unfiltered ones again. ``filter_in_place`` filters them in
  place (MNE's own ``filter_data`` with ``copy=False``: the same filter, the same values).

``lean_yasa()`` puts both in place for the duration of a ``with`` block and restores
YASA's and antropy's own functions after it. Where a YASA or antropy version lacks a
name this relies on, it leaves that part alone (YASA then runs as shipped)."""

from __future__ import annotations

import contextlib
import math
import sys
import types

import numpy as np

NO_JIT_ENV = {"NUMBA_DISABLE_JIT": "1"}  # for the stager's child process (engine.staging.yasa_process)
# imported by yasa.plotting (and seaborn's own import of matplotlib): never drawn with by the stager
PLOTTING_MODULES = ("matplotlib", "matplotlib.pyplot", "matplotlib.dates", "matplotlib.colors", "seaborn")
_REGRESSION_EPS = 1e-9  # antropy adds it to the slope's denominator


def higuchi_fd(x, kmax: int = 10) -> float:
    """Higuchi's fractal dimension of a 1-D signal: the slope of log L(k) against
    log(1/k), k = 1..kmax, L(k) the mean over offsets m of the normalised curve length
    of ``x[m::k]``. Bitwise equal to antropy's compiled ``higuchi_fd``."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    n = x.size
    kmax = int(kmax)
    xs, ys = [], []
    for k in range(1, kmax + 1):
        d = np.abs(x[k:] - x[:-k])  # step j of offset m is d[m + (j-1)k]
        rows = -(-d.size // k)
        padded = np.zeros(rows * k)  # + 0.0 leaves every sum as it was
        padded[:d.size] = d
        # a running sum adds row after row: offset m's steps in the order the compiled
        # loop adds them (np.sum would add them pairwise: other last bits)
        sums = np.cumsum(padded.reshape(rows, k), axis=0)[-1]
        m_lm = 0.0
        for m in range(k):
            n_max = (n - m - 1) // k
            m_lm += float(sums[m]) / k * ((n - 1) / (k * n_max))
        m_lm /= k
        xs.append(math.log(1.0 / k))
        ys.append(math.log(m_lm) if m_lm > 0 else -math.inf)
    sx2 = sx = sy = sxy = 0.0
    for a, b in zip(xs, ys):
        sx2 += a ** 2
        sx += a
        sxy += a * b
        sy += b
    return (kmax * sxy - sx * sy) / (kmax * sx2 - sx ** 2 + _REGRESSION_EPS)


class _Anything:
    """Stands in for ``numba.types`` and every type built from it in a signature, and for
    every name of a plotting stand-in (``plt.rc_context(...)`` as a decorator included)."""

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):  # no __path__, __wrapped__, …: a plain object
            raise AttributeError(name)
        return self

    def __call__(self, *args, **kwargs):
        return self


class _StandInModule(types.ModuleType):
    """A module whose every public name is ``_Anything``."""

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _Anything()


def _no_jit(*args, **kwargs):
    """``numba.jit`` as ``NUMBA_DISABLE_JIT`` makes it: ``@jit`` and ``@jit(signature,
    nopython=True)`` both leave the function as it is."""
    if len(args) == 1 and not kwargs and callable(args[0]) and not isinstance(args[0], _Anything):
        return args[0]
    return lambda fn: fn


def import_antropy_without_numba():
    """antropy, imported with a stand-in ``numba`` (see the module doc) that is taken out of
    ``sys.modules`` again at once; with the real numba where the stand-in is not enough or
    numba is already loaded. For the stager's child process, which compiles nothing."""
    if "antropy" in sys.modules or "numba" in sys.modules:
        import antropy

        return antropy
    stand_in = types.ModuleType("numba")
    stand_in.jit = stand_in.njit = _no_jit
    stand_in.types = _Anything()
    sys.modules["numba"] = stand_in
    try:
        import antropy

        return antropy
    except Exception:  # whatever a newer antropy wants of numba: the real one below
        for name in [m for m in sys.modules if m == "antropy" or m.startswith("antropy.")]:
            del sys.modules[name]
    finally:
        if sys.modules.get("numba") is stand_in:
            del sys.modules["numba"]
    import antropy

    return antropy


def import_yasa_without_plotting():
    """yasa, imported with stand-ins for matplotlib and seaborn (see the module doc) that
    are taken out of ``sys.modules`` again at once; as shipped where a plotting library is
    loaded already or the stand-ins are not enough. For the stager's child process."""
    if "yasa" in sys.modules or any(m in sys.modules for m in PLOTTING_MODULES):
        import yasa

        return yasa
    stand_ins = {}
    for name in PLOTTING_MODULES:
        stand_ins[name] = _StandInModule(name)
        sys.modules[name] = stand_ins[name]
    for name in PLOTTING_MODULES:  # ``import matplotlib.dates``: an attribute of its parent too
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(stand_ins[parent], child, stand_ins[name])
    try:
        import yasa

        return yasa
    except Exception:  # whatever a newer YASA wants of them at import: the real ones below
        for name in [m for m in sys.modules if m == "yasa" or m.startswith("yasa.")]:
            del sys.modules[name]
    finally:
        for name, mod in stand_ins.items():
            if sys.modules.get(name) is mod:
                del sys.modules[name]
    import yasa

    return yasa


def filter_in_place(data, *args, **kwargs):
    """MNE's ``filter_data`` on ``data`` itself (``copy=False``): no second night."""
    from mne.filter import filter_data

    kwargs["copy"] = False
    return filter_data(data, *args, **kwargs)


@contextlib.contextmanager
def lean_yasa():
    """YASA's staging with ``higuchi_fd`` and ``filter_in_place`` (see the module doc)."""
    import antropy
    import yasa.staging

    patches = [(mod, name, new) for mod, name, new in ((antropy, "higuchi_fd", higuchi_fd),
                                                       (yasa.staging, "filter_data", filter_in_place))
               if hasattr(mod, name)]
    saved = [(mod, name, getattr(mod, name)) for mod, name, _ in patches]
    try:
        for mod, name, new in patches:
            setattr(mod, name, new)
        yield
    finally:
        for mod, name, old in saved:
            setattr(mod, name, old)

"""This process's memory as the kernel reports it (Linux ``/proc/self/status``), for the
benchmarks and for a child process reporting its own peak."""

from __future__ import annotations


def status_mb(key: str = "VmRSS") -> float:
    """A ``/proc/self/status`` size field in MB: ``VmRSS`` (resident now) or ``VmHWM``
    (this program's peak: unlike ``ru_maxrss``, not carried over from a forked parent
    across exec). NaN where there is no /proc."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return float("nan")


def release_free_memory() -> bool:
    """Hand the C heap's free pages back to the system (glibc ``malloc_trim``): after a
    job's large temporaries are freed, glibc keeps them mapped in the job thread's arena,
    and the app's resident memory stays at the job's peak (~50 MB on the 10-h file after
    the rules and the stager's read). True when it ran; a no-op elsewhere."""
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim(0)
    return True

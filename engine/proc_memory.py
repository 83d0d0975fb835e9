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

"""Writing outputs safely: never onto an input, and a set of files all or nothing.

``refuse_overwrite(outputs, inputs)`` raises a UserError when an output would replace
one of the command's inputs (the study, a scoring file, a model) — by path or by
identity (hard links, symlinks, ``./x`` vs ``x``).

``output_set()`` groups writes: inside it, ``engine.scoring.exporters``' atomic writes
go to temporary names beside their targets and are renamed into place only when the
whole block succeeds; if anything fails (a full disk, an error), every temporary file is
removed and no target is touched. So ``out.edf`` never appears without its sidecar, nor
``scored.edf`` without its report.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from pathlib import Path

from engine.errors import UserError

_ACTIVE: ContextVar[OutputSet | None] = ContextVar("pedsleep_output_set", default=None)


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.abspath(a) == os.path.abspath(b) or a.resolve() == b.resolve()


def refuse_overwrite(outputs: Iterable[str | os.PathLike | None],
                     inputs: Iterable[tuple[str, str | os.PathLike | None]]) -> None:
    """``inputs``: (role, path) pairs such as ("study", STUDY), ("annotations", FILE)."""
    ins = [(role, Path(p)) for role, p in inputs if p is not None]
    for o in outputs:
        if o is None:
            continue
        op = Path(o)
        for role, ip in ins:
            if _same(op, ip):
                raise UserError(
                    f"refusing to overwrite the {role} {ip.name} (an input) with the output; "
                    "choose another output name"
                )


class OutputSet:
    """Temporary files waiting to be renamed onto their targets together."""

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []

    def add(self, tmp: str | os.PathLike, final: str | os.PathLike) -> None:
        final = Path(final)
        for i, (old_tmp, f) in enumerate(self._pending):
            if f == final:  # written twice: the later one wins
                with contextlib.suppress(OSError):
                    os.unlink(old_tmp)
                del self._pending[i]
                break
        self._pending.append((Path(tmp), final))

    @property
    def targets(self) -> list[Path]:
        return [f for _, f in self._pending]

    def abort(self) -> None:
        for tmp, _ in self._pending:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self._pending.clear()

    def commit(self) -> None:
        """Rename every temporary file onto its target, or none: a target that existed
        before is kept aside (a hard link) until the whole set is in place, and put back
        if a later rename fails."""
        done: list[Path] = []
        previous: dict[Path, Path] = {}
        final = None
        try:
            for _tmp, final in self._pending:
                if final.exists():
                    keep = final.with_name(f".{final.name}.pedsleep-previous-{os.getpid()}")
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(keep)
                    try:
                        os.link(final, keep)
                    except OSError:  # no hard links here: a copy
                        import shutil

                        shutil.copy2(final, keep)
                    previous[final] = keep
            for tmp, final in self._pending:
                os.replace(tmp, final)
                done.append(final)
        except OSError as exc:
            self.abort()
            for f in done:  # an output set is all or nothing: what was there comes back
                with contextlib.suppress(OSError):
                    if f in previous:
                        os.replace(previous.pop(f), f)
                    else:
                        os.unlink(f)
            for keep in previous.values():
                with contextlib.suppress(OSError):
                    os.unlink(keep)
            raise UserError(f"cannot write {final}: {write_error_text(exc)}") from exc
        for keep in previous.values():
            with contextlib.suppress(OSError):
                os.unlink(keep)
        for d in {f.parent for f in done}:
            fsync_dir(d)
        self._pending.clear()


def fsync_dir(d: Path) -> None:
    """Make a rename in ``d`` durable (best effort: some file systems refuse)."""
    with contextlib.suppress(OSError):
        fd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_error_text(exc: OSError) -> str:
    """What a failed write means, in words (a short write is a full disk too)."""
    # a short write (BlockingIOError, numpy's "N requested and M written") is a full disk
    if isinstance(exc, BlockingIOError) or exc.errno in (errno.ENOSPC, errno.EDQUOT, None):
        return "the disk is full (only part of the file could be written); nothing was kept"
    if exc.errno == errno.EFBIG:
        return "the file is too large for this disk or the user's file-size limit; nothing was kept"
    return exc.strerror or str(exc)


def active_output_set() -> OutputSet | None:
    """The output set the current code runs in, if any (used by the atomic writers)."""
    return _ACTIVE.get()


@contextlib.contextmanager
def output_set() -> Iterator[OutputSet]:
    """Group every atomic write inside into one all-or-nothing set (nested uses join
    the outer set)."""
    outer = _ACTIVE.get()
    if outer is not None:
        yield outer
        return
    s = OutputSet()
    token = _ACTIVE.set(s)
    try:
        yield s
    except BaseException:
        s.abort()
        raise
    finally:
        _ACTIVE.reset(token)
    s.commit()


def user_file_mode() -> int:
    """The mode a plain ``open(path, "w")`` would give a new file: 0o666 less the umask
    (mkstemp's temp files are 0o600, readable only by their owner)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # no /proc: read it by setting it back at once
    os.umask(mask)
    return 0o666 & ~mask

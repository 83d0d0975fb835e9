"""Crash-safe journal of a study's scoring: a JSON-lines sidecar next to the study
(``STUDY.edf.pedsleep.jsonl``), or in the user data dir when the study's folder is
read-only. The study file itself is never written.

File layout, one JSON object per line::

    {"kind": "header", "format": "pedsleep-journal", "version": 1, "study": ..., ...}
    {"kind": "snapshot", "scoring": {...Scoring.to_dict()...}}
    {"kind": "do", "label": "Stage N2 at epoch 13", "ops": [...], "undoable": true, "seq": 1}
    {"kind": "undo", "seq": 2}
    ...

Every edit is appended, flushed and fsynced before the document reports it done.
Compaction (a fresh header + snapshot, the snapshot carrying the undo/redo history) is
written to a temporary file and moved into place with ``os.replace``; a long journal is
compacted when it is opened. Replaying re-runs every record through the document, so
even the undo history survives a crash. A torn last line (a crash mid-write) is skipped
with a warning; earlier edits are never lost.

One writer per study: the session holds an OS lock (``flock``) on ``.JOURNAL.lock``
beside the journal (on the journal itself when that folder is read-only), released by
the OS if the program dies. A second opener — another window, another program — gets
the scoring read-only, with a message, never a silent fork. A read-only journal (an
archive) opens read-only with its scoring restored; ``make_editable_copy`` continues it
in the user data folder once the scorer agrees.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import hashlib
import json
import logging
import os
import stat
import tempfile
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import UserError
from engine.io.safe_output import fsync_dir
from engine.scoring.document import Scoring

log = logging.getLogger(__name__)

__all__ = [
    "JOURNAL_SUFFIX",
    "Journal",
    "ScoringSession",
    "journal_path_for",
    "open_scoring",
    "user_journal_dir",
]

JOURNAL_SUFFIX = ".pedsleep.jsonl"
FORMAT = "pedsleep-journal"
VERSION = 1
COMPACT_AFTER_RECORDS = 500  # a journal with more records than this is compacted on open
MAX_EPOCHS = 1_000_000  # a snapshot claiming more (a week is 20,160 30-s epochs) is damaged

try:  # POSIX; elsewhere there is no cross-process lock and a single writer is assumed
    import fcntl

    _HAVE_FLOCK = True
except ImportError:  # pragma: no cover
    _HAVE_FLOCK = False


def user_journal_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    if data_dir is not None:
        return Path(data_dir) / "journals"
    import platformdirs

    return Path(platformdirs.user_data_dir("pedsleep-assist")) / "journals"


def _dir_writable(d: Path) -> bool:
    """True when we may create files in ``d``. A folder without any write permission bit
    counts as read-only even for root (shared data folders are marked that way)."""
    try:
        st = d.stat()
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode) or not (st.st_mode & 0o222):
        return False
    if not os.access(d, os.W_OK):
        return False
    try:
        fd, probe = tempfile.mkstemp(prefix=".pedsleep-probe-", dir=d)
    except OSError:
        return False
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return True


def journal_path_for(
    study_path: str | os.PathLike[str], *, data_dir: str | os.PathLike[str] | None = None
) -> Path:
    """Where the journal of ``study_path`` lives: the sidecar next to it when that exists
    or its folder is writable, else a file in the user data dir named after the study and
    a hash of its absolute path."""
    study = Path(study_path).resolve()
    side = study.with_name(study.name + JOURNAL_SUFFIX)
    digest = hashlib.sha1(str(study).encode("utf-8")).hexdigest()[:12]
    user = user_journal_dir(data_dir) / f"{study.name}-{digest}{JOURNAL_SUFFIX}"
    if side.exists() and _file_writable(side):
        return side
    if user.exists():
        return user
    if side.exists():  # read-only: opened read-only, its scoring restored
        return side
    if _dir_writable(study.parent):
        return side
    return user


def user_journal_path(study_path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The journal of ``study_path`` in the user data folder (a copy of a read-only one)."""
    study = Path(study_path).resolve()
    digest = hashlib.sha1(str(study).encode("utf-8")).hexdigest()[:12]
    return user_journal_dir(data_dir) / f"{study.name}-{digest}{JOURNAL_SUFFIX}"


def _file_writable(p: Path) -> bool:
    """A file we may append to (a file without any write bit is read-only, even for root)."""
    try:
        return os.access(p, os.W_OK) and bool(p.stat().st_mode & 0o222)
    except OSError:
        return False


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@dataclass
class LoadResult:
    doc: Scoring | None
    warnings: list[str] = field(default_factory=list)
    n_records: int = 0
    corrupt_lines: int = 0
    header: dict[str, Any] | None = None


class Journal:
    """Append-only journal file for one study."""

    def __init__(self, path: str | os.PathLike[str], *, study_path: str | os.PathLike[str] | None = None):
        self.path = Path(path)
        self.study_path = Path(study_path) if study_path is not None else None
        self._fh: int | None = None
        self._seq = 0
        self._detach: Callable[[], None] | None = None
        self._lock_fd: int | None = None
        self.n_records_since_snapshot = 0

    @classmethod
    def for_study(
        cls, study_path: str | os.PathLike[str], *, data_dir: str | os.PathLike[str] | None = None
    ) -> Journal:
        return cls(journal_path_for(study_path, data_dir=data_dir), study_path=study_path)

    def exists(self) -> bool:
        return self.path.exists() and self.path.stat().st_size > 0

    # ------------------------------------------------------------------ reading
    def load(self) -> LoadResult:
        """Rebuild the document: last snapshot, then every record after it."""
        res = LoadResult(None)
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return res
        except OSError as exc:
            raise UserError(f"cannot read the scoring journal {self.path}: {exc}") from exc
        lines = raw.split(b"\n")
        trailing_partial = not raw.endswith(b"\n") and lines and lines[-1] != b""
        if not trailing_partial and lines and lines[-1] == b"":
            lines = lines[:-1]
        doc: Scoring | None = None
        last = len(lines) - 1
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                rec = json.loads(line.decode("utf-8"))
                if not isinstance(rec, dict):
                    raise ValueError("not an object")
            except (ValueError, UnicodeDecodeError):
                res.corrupt_lines += 1
                if i == last:
                    res.warnings.append(
                        f"{self.path.name}: the last line is incomplete (the program stopped "
                        "while writing it); that one edit is skipped, all earlier ones restored"
                    )
                else:
                    res.warnings.append(f"{self.path.name}: line {i + 1} is corrupt; skipped")
                continue
            kind = rec.get("kind")
            self._seq = max(self._seq, int(rec.get("seq", 0) or 0))
            if kind == "header":
                res.header = rec
                if rec.get("format") != FORMAT:
                    raise UserError(f"{self.path} is not a PedSleep scoring journal")
                continue
            if kind == "snapshot":
                try:
                    n = rec["scoring"].get("n_epochs") if isinstance(rec.get("scoring"), dict) else None
                    if not isinstance(n, int) or not 0 <= n <= MAX_EPOCHS:
                        raise ValueError(f"{n!r} epochs")  # before anything is allocated
                    doc = Scoring.from_dict(rec["scoring"])
                except Exception as exc:  # noqa: BLE001 - report, keep going
                    res.warnings.append(f"{self.path.name}: bad snapshot on line {i + 1}: {exc}")
                    continue
                if isinstance(rec.get("history"), dict):
                    try:
                        doc.restore_history(rec["history"])
                    except ValueError as exc:
                        res.warnings.append(
                            f"{self.path.name}: the undo history on line {i + 1} is damaged "
                            f"({exc}); the scoring itself is restored"
                        )
                self.n_records_since_snapshot = 0
                continue
            if doc is None:
                res.warnings.append(
                    f"{self.path.name}: line {i + 1} comes before any snapshot; skipped"
                )
                continue
            try:
                doc.apply_record(rec)
                res.n_records += 1
                self.n_records_since_snapshot += 1
            except Exception as exc:  # noqa: BLE001
                res.warnings.append(
                    f"{self.path.name}: could not replay line {i + 1} ({rec.get('label') or kind}): {exc}"
                )
        res.doc = doc
        self._check_header(res)
        return res

    def _check_header(self, res: LoadResult) -> None:
        h = res.header
        if not h or self.study_path is None:
            return
        try:
            size = self.study_path.stat().st_size
        except OSError:
            return
        if h.get("study_size") not in (None, size):
            res.warnings.append(
                f"{self.path.name} was written for a {h.get('study_size')}-byte "
                f"{h.get('study')}, but the study is now {size} bytes; check the scoring"
            )

    # ------------------------------------------------------------------ writing
    def _header(self) -> dict[str, Any]:
        h: dict[str, Any] = {
            "kind": "header",
            "format": FORMAT,
            "version": VERSION,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }
        if self.study_path is not None:
            h["study"] = self.study_path.name
            with contextlib.suppress(OSError):
                h["study_size"] = self.study_path.stat().st_size
        return h

    def compact(self, doc: Scoring) -> None:
        """Rewrite the journal as header + snapshot of ``doc`` with its undo/redo history
        (atomic: temp + os.replace)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        was_open = self._fh is not None
        self._close_fh()
        snapshot = {"kind": "snapshot", "scoring": doc.to_dict(), "history": doc.history_to_dict()}
        try:
            snap_text = _dumps(snapshot)
        except (TypeError, ValueError):  # an op that is not plain JSON: keep the scoring
            log.warning("undo history not JSON-serialisable; compacted without it")
            snap_text = _dumps({"kind": "snapshot", "scoring": doc.to_dict()})
        text = _dumps(self._header()) + "\n" + snap_text + "\n"
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
            )
            from engine.io.safe_output import user_file_mode

            os.fchmod(fd, user_file_mode())  # as readable as any file the user writes
            with os.fdopen(fd, "wb") as fh:
                fh.write(text.encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            tmp = None
            fsync_dir(self.path.parent)
        except OSError as exc:
            raise UserError(f"cannot write the scoring journal {self.path}: {exc}") from exc
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        self.n_records_since_snapshot = 0
        if was_open:
            self._open_fh()

    def backup(self) -> Path | None:
        """Copy the journal aside (``NAME.damaged-YYYYmmddTHHMMSS``) before it is rewritten
        after damage; returns the copy, or None when that failed."""
        import shutil

        stamp = _dt.datetime.now().strftime("%Y%m%dT%H%M%S")
        dst = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        try:
            shutil.copy2(self.path, dst)
        except OSError:
            return None
        return dst

    # ------------------------------------------------------------------ one writer
    @property
    def lock_path(self) -> Path:
        return self.path.with_name(f".{self.path.name}.lock")

    def lock(self) -> str | None:
        """Take the study's writer lock. None when we hold it; otherwise who holds it
        (``"process 1234 on host"``). The OS releases it when this process ends."""
        if self._lock_fd is not None or not _HAVE_FLOCK:
            return None
        fd: int | None = None
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # the lock file; in a read-only folder, the (writable) journal itself
        for target, flags in ((self.lock_path, os.O_RDWR | os.O_CREAT), (self.path, os.O_RDWR)):
            try:
                fd = os.open(target, flags, 0o644)
                break
            except OSError:
                continue
        if fd is None:
            return "nobody (the journal cannot be opened for writing)"
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = ""
            if target == self.lock_path:  # (a locked journal holds JSON, not a name)
                with contextlib.suppress(OSError):
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return holder or "another program"
            return f"nobody (locking failed: {exc.strerror})"
        if os.fstat(fd).st_size < 200 and target == self.lock_path:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"process {os.getpid()} on {_hostname()}\n".encode(), 0)
        self._lock_fd = fd
        # a journal dropped without close() still lets go of the study when collected
        self._lock_release = weakref.finalize(self, _close_quietly, fd)
        return None

    def unlock(self) -> None:
        if self._lock_fd is not None:
            self._lock_release()  # closing the descriptor releases the flock (once)
            self._lock_fd = None

    @property
    def locked(self) -> bool:
        return self._lock_fd is not None

    def _open_fh(self) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            self._fh = fd
            size = os.fstat(fd).st_size
            if size:
                with open(self.path, "rb") as r:
                    r.seek(size - 1)
                    torn = r.read(1) != b"\n"
                if torn:  # a torn last line: start ours on a fresh one
                    os.write(fd, b"\n")

    def _close_fh(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                os.close(self._fh)
            self._fh = None

    def append(self, record: dict[str, Any]) -> None:
        """Append one record, flushed and fsynced. On OSError the file is cut back to
        where it was (no half record left behind) and the OSError re-raised."""
        self._open_fh()
        fd = self._fh
        assert fd is not None
        self._seq += 1
        rec = dict(record, seq=self._seq, t=round(time.time(), 3))
        data = (_dumps(rec) + "\n").encode("utf-8")
        pos = os.fstat(fd).st_size
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        except OSError:
            self._seq -= 1
            with contextlib.suppress(OSError):
                os.ftruncate(fd, pos)
            raise
        self.n_records_since_snapshot += 1

    def attach(self, doc: Scoring) -> None:
        """Journal every future change of ``doc``."""
        self.detach()
        self._open_fh()
        self._detach = doc.add_record_listener(self.append)

    def detach(self) -> None:
        if self._detach is not None:
            self._detach()
            self._detach = None

    def close(self) -> None:
        self.detach()
        self._close_fh()
        self.unlock()


def _close_quietly(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def _hostname() -> str:
    import socket

    try:
        return socket.gethostname()
    except OSError:
        return "this computer"


@dataclass
class ScoringSession:
    """An open study's scoring with its journal attached (or, when ``read_only``, shown
    but not editable: every edit is refused with ``read_only_reason``)."""

    doc: Scoring
    journal: Journal
    warnings: list[str]
    restored: bool  # True when the scoring came from an existing journal
    read_only: bool = False
    read_only_reason: str | None = None
    # True when the journal itself is read-only (an archive): make_editable_copy may
    # continue it in the user data folder; False when another program holds the lock
    can_copy: bool = False
    _guard: Callable[[], None] | None = None

    @property
    def journal_path(self) -> Path:
        return self.journal.path

    def compact(self) -> None:
        """Snapshot the document (and its undo history) into a fresh journal."""
        if self.read_only:
            raise UserError(self.read_only_reason or "the scoring is open read-only")
        self.journal.compact(self.doc)

    def make_editable_copy(self, data_dir: str | os.PathLike[str] | None = None) -> Path:
        """Continue a read-only archive's scoring in the user data folder (only when the
        scorer agreed): the copy gets the scoring and its undo history, and every later
        edit. Returns the copy's path."""
        if not self.read_only:
            return self.journal.path
        if not self.can_copy:
            raise UserError(self.read_only_reason or "the scoring is open read-only")
        study = self.journal.study_path
        if study is None:
            raise UserError("no study to make a copy of the scoring for")
        copy = Journal(user_journal_path(study, data_dir), study_path=study)
        holder = copy.lock()
        if holder is not None:
            raise UserError(f"the copy {copy.path.name} is open in {holder}; close it there first")
        try:
            copy.compact(self.doc)
        except BaseException:
            copy.unlock()
            raise
        if self._guard is not None:
            self._guard()
            self._guard = None
        self.journal.close()
        copy.attach(self.doc)
        self.journal = copy
        self.read_only, self.read_only_reason, self.can_copy = False, None, False
        return copy.path

    def close(self) -> None:
        if self._guard is not None:
            self._guard()
            self._guard = None
        self.journal.close()


def _read_only_session(
    journal: Journal,
    n_epochs: int | None,
    initial: Scoring | Callable[[], Scoring] | None,
    reason: str,
    can_copy: bool,
) -> ScoringSession:
    """The scoring as the journal has it (or as a new one would start), every edit of
    the scorer's refused with ``reason`` (model suggestions still show, unsaved)."""
    warnings: list[str] = []
    doc = None
    if journal.exists():
        res = journal.load()
        warnings += res.warnings
        doc = res.doc
    restored = doc is not None
    if doc is None:
        if initial is not None:
            doc = initial() if callable(initial) else initial
        else:
            doc = Scoring(n_epochs or 0)
    warnings.append(reason)
    log.warning(reason)

    def refuse(record: dict[str, Any]) -> None:
        # the model's suggestions (records that are not undoable) are shown but not saved;
        # every edit of the scorer's, and every undo/redo, is refused
        if record.get("kind") == "do" and not record.get("undoable", True):
            return
        raise OSError(errno.EROFS, reason)

    guard = doc.add_record_listener(refuse)
    doc.notify_loaded()
    return ScoringSession(doc, journal, warnings, restored, True, reason, can_copy, guard)


def open_scoring(
    study_path: str | os.PathLike[str],
    n_epochs: int | None = None,
    *,
    initial: Scoring | Callable[[], Scoring] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    journal_path: str | os.PathLike[str] | None = None,
) -> ScoringSession:
    """Open (or start) the scoring of a study.

    If the study has a journal, the document is rebuilt from it (every edit made before a
    crash included) and ``restored`` is True. Otherwise the document is ``initial`` (a
    Scoring or a callable making one, e.g. importing the study's own EDF+ annotations) or an
    empty ``Scoring(n_epochs)``, and a new journal is started with its snapshot.
    """
    study_path = Path(study_path)
    journal = (
        Journal(journal_path, study_path=study_path)
        if journal_path is not None
        else Journal.for_study(study_path, data_dir=data_dir)
    )
    if journal.exists() and not _file_writable(journal.path):
        return _read_only_session(
            journal, n_epochs, initial,
            f"{journal.path.name} is read-only: its scoring is shown as it was saved and "
            "cannot be changed here",
            can_copy=True,
        )
    holder = journal.lock()
    if holder is not None:
        return _read_only_session(
            journal, n_epochs, initial,
            f"{study_path.name} is already being scored elsewhere ({holder}); opened "
            "read-only — close it there to edit it here",
            can_copy=False,
        )
    try:
        return _open_locked(journal, study_path, n_epochs, initial, data_dir)
    except BaseException:
        journal.close()
        raise


def _open_locked(
    journal: Journal,
    study_path: Path,
    n_epochs: int | None,
    initial: Scoring | Callable[[], Scoring] | None,
    data_dir: str | os.PathLike[str] | None,
) -> ScoringSession:
    warnings: list[str] = []
    side = study_path.resolve().with_name(study_path.resolve().name + JOURNAL_SUFFIX)
    if journal.path.parent == user_journal_dir(data_dir) and side.exists() and not _file_writable(side):
        warnings.append(
            f"editing your copy {journal.path} (the study's own journal {side.name} is read-only)"
        )
    if journal.exists():
        res = journal.load()
        warnings += res.warnings
        for w in res.warnings:
            log.warning(w)
        if res.doc is not None:
            doc = res.doc
            if n_epochs is not None and doc.n_epochs != n_epochs:
                warnings.append(
                    f"the journal has {doc.n_epochs} epochs but the study has {n_epochs}"
                )
            if res.corrupt_lines:
                backup = journal.backup()
                if backup is not None:
                    warnings.append(f"the damaged journal was kept as {backup.name}")
                try:  # rewrite without the corrupt line(s), undo history kept
                    journal.compact(doc)
                except UserError as exc:  # e.g. a read-only folder: append after them
                    warnings.append(f"the journal could not be rewritten ({exc}); its damaged "
                                    "line(s) stay and are skipped")
            elif journal.n_records_since_snapshot > COMPACT_AFTER_RECORDS:
                try:  # a long journal: snapshot it (and its undo history) for a fast reopen
                    journal.compact(doc)
                except UserError as exc:  # e.g. a read-only folder: keep appending
                    log.info("journal not compacted: %s", exc)
            journal.attach(doc)
            doc.notify_loaded()
            return ScoringSession(doc, journal, warnings, True)
        backup = journal.backup()
        warnings.append(
            f"{journal.path.name} holds no usable scoring; starting afresh"
            + (f" (the old file was kept as {backup.name})" if backup else "")
        )
    if initial is None:
        if n_epochs is None:
            raise ValueError("n_epochs or initial is required for a study without a journal")
        doc = Scoring(n_epochs)
    else:
        doc = initial() if callable(initial) else initial
    journal.compact(doc)
    journal.attach(doc)
    return ScoringSession(doc, journal, warnings, False)

"""One writer per study across processes: an OS lock on the journal, a read-only view
for the second opener, the lock released when the writer is killed (issue 14)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.errors import UserError
from engine.scoring import EventType, open_scoring

PROJECT_ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")

CHILD = textwrap.dedent(
    """
    import sys
    from engine.errors import UserError
    from engine.scoring import EventType, open_scoring
    s = open_scoring(sys.argv[1], 200)
    tag = float(sys.argv[2])
    print("ro" if s.read_only else "rw", flush=True)
    sys.stdin.readline()  # go: both processes have opened the study
    n = 0
    for i in range(40):
        try:
            s.doc.add_event(tag * 1000 + i, 1.0, EventType.AROUSAL)
            n += 1
        except UserError:
            pass
    print(n, flush=True)
    sys.stdin.readline()  # hold the session until told to stop
    s.close()
    """
)


def _spawn(study: Path, tag: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(study), str(tag)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)), cwd=str(PROJECT_ROOT), text=True,
    )


@pytest.fixture
def study(tmp_path: Path) -> Path:
    p = tmp_path / "night.edf"
    p.write_bytes(b"0       " + b" " * 248)
    return p


def test_two_processes_opening_a_fresh_study_at_once_never_fork(study: Path):
    """Both start together on a study without a journal: exactly one writes, the other
    sees a read-only view whose edits are refused, and every acknowledged edit survives."""
    procs = [_spawn(study, 1), _spawn(study, 2)]
    try:
        modes = [p.stdout.readline().strip() for p in procs]
        assert sorted(modes) == ["ro", "rw"], modes
        for p in procs:
            p.stdin.write("\n")
            p.stdin.flush()
        counts = [int(p.stdout.readline()) for p in procs]
        writer = modes.index("rw")
        assert counts[writer] == 40 and counts[1 - writer] == 0
        for p in procs:
            p.stdin.write("\n")
            p.stdin.flush()
            assert p.wait(timeout=60) == 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            for f in (p.stdin, p.stdout, p.stderr):
                f.close()
    s = open_scoring(study, 200)
    onsets = sorted(e.onset_s for e in s.doc.events())
    tag = writer + 1
    assert onsets == [tag * 1000.0 + i for i in range(40)]
    s.close()


def test_lock_held_by_another_process_then_released_when_it_is_killed(study: Path):
    p = _spawn(study, 1)
    try:
        assert p.stdout.readline().strip() == "rw"
        p.stdin.write("\n")
        p.stdin.flush()
        assert int(p.stdout.readline()) == 40
        s = open_scoring(study, 200)  # the child still holds the study
        assert s.read_only and f"process {p.pid}" in s.read_only_reason
        assert len(s.doc.events()) == 40  # its edits are visible, read-only
        with pytest.raises(UserError, match="already being scored elsewhere"):
            s.doc.add_event(5.0, 1.0, EventType.AROUSAL)
        s.close()
        os.kill(p.pid, signal.SIGKILL)  # a crash: no chance to unlock
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        for f in (p.stdin, p.stdout, p.stderr):
            f.close()
    s2 = open_scoring(study, 200)
    assert not s2.read_only and len(s2.doc.events()) == 40
    s2.doc.add_event(5.0, 1.0, EventType.AROUSAL)
    s2.close()

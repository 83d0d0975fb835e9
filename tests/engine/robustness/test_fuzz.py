"""Deterministic fuzzing of the open path and the CLI with corrupted variants of the real
recordings in ../shared/data (issue 14): header fields, signal headers, truncation, EDF+
TAL garbage, EDF+D onsets. Every variant must either open or raise one of the project's
errors, quickly, in bounded memory, without changing the file; the CLI must answer every
one with exit 0 or 2, a short stderr, no traceback, and strict JSON from `info --json`."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from engine.errors import UserError
from tests.conftest import SHARED_DATA
from tests.engine.robustness.variants import make_variants

PROJECT_ROOT = Path(__file__).resolve().parents[3]
# bounds far above normal (a variant takes milliseconds, a CLI call ~1 s) and far below the
# pathological cases this guards against (70-90 s): a loaded CI box must not make them flaky
SECONDS_PER_VARIANT = 20.0
CLI_SECONDS = 30.0
MAX_STDERR_LINE = 500


# variants whose damage could make a reader allocate from a number: traced allocation by allocation
TRACED = ("n_records", "record_s", "samples_per_record", "n_signals", "header_bytes", "digits",
          "3e9", "1e10", "EDF+D", "annotation", "nan onset")


def _vm_bytes() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 8 * 1024**3


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real recordings not available: {SHARED_DATA} is absent")
    made = make_variants(SHARED_DATA, tmp_path_factory.mktemp("fuzz"), seed=14)
    assert len(made) >= 300, len(made)
    return [(p, what, _digest(p)) for p, what in made]


def test_variants_are_deterministic(tmp_path):
    if not SHARED_DATA.is_dir():
        pytest.skip("real recordings not available")
    src = ("resmed/20260111_210642_EVE.edf", "sleep-edf/SC4001EC-Hypnogram.edf")
    a = make_variants(SHARED_DATA, tmp_path / "a", seed=14, sources=src)
    b = make_variants(SHARED_DATA, tmp_path / "b", seed=14, sources=src)
    assert [(x.name, w, x.read_bytes()) for x, w in a] == [(y.name, w, y.read_bytes()) for y, w in b]


def test_open_and_import_raise_only_project_errors_fast_and_bounded(variants):
    from engine.assistant.review import ReviewState
    from engine.io import open_study
    from engine.scoring import Scoring
    from engine.scoring.importers import import_scoring

    problems: list[str] = []
    outcomes = {"opened": 0, "refused": 0}
    # no allocation above 1 GiB can succeed during the loop (a MemoryError is reported as
    # a failure), and the variants aimed at sizes and annotations are traced allocation by
    # allocation (tracemalloc slows Python six-fold, so not all of them)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (_vm_bytes() + 1024**3, hard))
    try:
        for path, what, digest in variants:
            size = path.stat().st_size
            traced = any(k in what for k in TRACED)
            if traced:
                tracemalloc.start()
            t0 = time.perf_counter()
            for repair in (False, True):
                try:
                    s = open_study(path, repair=repair)
                except UserError as exc:
                    outcomes["refused"] += 1
                    if not repair and ("truncated" in str(exc) or "lies" in str(exc)):
                        continue  # the GUI then offers to open the complete records
                    break
                except Exception as exc:  # noqa: BLE001 - the failure this test exists for
                    problems.append(f"{what}: open(repair={repair}) raised {type(exc).__name__}: {exc}")
                else:
                    outcomes["opened"] += 1
                    try:
                        if s.signals:
                            s.read(0, 0.0, min(60.0, s.duration_s))
                        assert s.duration_s >= 0 and all(a.duration_s >= 0 for a in s.annotations)
                        doc = Scoring.for_duration(s.duration_s, start_datetime=s.start_datetime)
                        ReviewState.compute(doc)  # the GUI's open path (0-epoch studies)
                    except Exception as exc:  # noqa: BLE001
                        problems.append(f"{what}: after opening: {type(exc).__name__}: {exc}")
                    finally:
                        s.close()
                    break
            try:
                import_scoring(path, format="edf")
            except UserError:
                pass
            except Exception as exc:  # noqa: BLE001
                problems.append(f"{what}: import raised {type(exc).__name__}: {exc}")
            dt = time.perf_counter() - t0
            if traced:
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                if peak > 8 * size + 32e6:
                    problems.append(f"{what}: allocated {peak / 1e6:.0f} MB for a {size / 1e6:.2f} MB file")
            if dt > SECONDS_PER_VARIANT * (4 if traced else 1):
                problems.append(f"{what}: took {dt:.1f} s")
            if _digest(path) != digest:
                problems.append(f"{what}: the file was changed")
    finally:
        tracemalloc.stop()
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    assert not problems, "\n".join(problems[:30])
    assert outcomes["opened"] > 50 and outcomes["refused"] > 50, outcomes  # both paths exercised


def _limit_child():  # runs in the child before exec
    gib = 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (6 * gib, 6 * gib))  # a 16-GB allocation fails
    resource.setrlimit(resource.RLIMIT_CPU, (240, 240))


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX")
def test_cli_answers_every_variant_with_one_short_line(variants, tmp_path):
    listing = tmp_path / "variants.txt"
    variants = variants[::2]  # 200 variants x 2 commands keep this test near 15 s
    listing.write_text("\n".join(str(p) for p, _, _ in variants))
    log = tmp_path / "log.jsonl"
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    hyp_study = SHARED_DATA / "sleep-edf" / "SC4001E0-PSG-first300s.edf"
    proc = subprocess.run(
        [sys.executable, "-m", "tests.engine.robustness.fuzz_cli_child", str(listing), str(log),
         str(out_dir), str(hyp_study)],
        cwd=str(PROJECT_ROOT), env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)),
        capture_output=True, text=True, timeout=300, preexec_fn=_limit_child,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    recs = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(recs) == 2 * len(variants)
    what = {str(p): w for p, w, _ in variants}
    problems = []
    for r in recs:
        tag = f"{r['cmd']} {what[r['path']]}"
        if r["raised"]:
            problems.append(f"{tag}: raised\n{r['raised']}")
            continue
        if r["rc"] not in (0, 2):
            problems.append(f"{tag}: exit {r['rc']}: {r['stderr'].strip()}")
        if "Traceback" in r["stderr"] or "internal error" in r["stderr"]:
            problems.append(f"{tag}: {r['stderr'].strip()[:300]}")
        if any(len(line) > MAX_STDERR_LINE for line in r["stderr"].splitlines()):
            problems.append(f"{tag}: a stderr line of {max(map(len, r['stderr'].splitlines()))} chars")
        if r["rc"] == 2 and len(r["stderr"].strip().splitlines()) < 1:
            problems.append(f"{tag}: exit 2 without a message")
        if r["cmd"] == "info" and r["rc"] == 0:
            try:
                d = json.loads(r["stdout"], parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
            except ValueError as exc:
                problems.append(f"{tag}: invalid JSON ({exc})")
            else:
                if d["duration_s"] < 0 or any(s["sfreq_hz"] is not None and s["sfreq_hz"] <= 0
                                              for s in d["signals"]):
                    problems.append(f"{tag}: negative duration or rate in {d['duration_s']}")
        if r.get("reopen"):
            problems.append(f"{tag}: wrote a file the app cannot open: {r['reopen']}")
        if r["seconds"] > CLI_SECONDS:
            problems.append(f"{tag}: took {r['seconds']:.1f} s")
    for p, w, digest in variants:
        if _digest(p) != digest:
            problems.append(f"{w}: the input file was changed")
    leftovers = [x.name for x in out_dir.iterdir() if x.name.startswith(".")]
    if leftovers:
        problems.append(f"temporary files left behind: {leftovers[:5]}")
    assert not problems, "\n".join(problems[:30])
    assert sum(r["rc"] == 0 for r in recs) > 25  # convert and info do succeed on many


def test_real_cli_process_prints_one_line_for_the_nastiest_variants(variants):
    nasty = [p for p, w, _ in variants
             if "thousands of digits" in w or "decreasing onsets" in w or "record_s='1e9'" in w][:3]
    assert nasty
    for p in nasty:
        proc = subprocess.run([sys.executable, "-m", "engine.cli", "info", "--json", str(p)],
                              cwd=str(PROJECT_ROOT), capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)))
        assert proc.returncode in (0, 2), proc.stderr
        assert "Traceback" not in proc.stderr
        if proc.returncode == 0:
            json.loads(proc.stdout)
        else:
            assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr

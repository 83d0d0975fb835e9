"""DREAMS database hypnograms (Université de Mons – TCTS lab, Devuyst et al.).

``Hypnogram_excerptN.txt``: a ``[Hypnogram]`` header line, then one Rechtschaffen & Kales
code per **5 s**: 5 wake, 4 REM, 3 stage 1, 2 stage 2, 1 stage 3, 0 stage 4, and -1, -2, -3
unknown / movement time / unscorable. Stages 3 and 4 become N3 (AASM); the negative codes
are unscored.

Six 5-s codes make one 30-s epoch, by **majority**. Tie rule (e.g. three N2 and three
N1): among the tied stages, the one whose first 5-s block comes earliest in the epoch wins
(the epoch continues what the previous one ended with); a sleep/wake stage always beats
"unscored" on a tie. A trailing group of fewer than six codes (an excerpt cut mid-epoch)
still makes an epoch when at least three of its codes are known.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.errors import ScoringFormatError
from engine.scoring.importers._common import ImportResult, ScoringBuilder
from engine.scoring.labels import EPOCH_S, Stage

HEADER = "[Hypnogram]"
CODE_S = 5.0  # one code per 5 s
CODES_PER_EPOCH = int(EPOCH_S / CODE_S)

DREAMS_CODES: dict[int, Stage] = {
    5: Stage.W,
    4: Stage.R,
    3: Stage.N1,
    2: Stage.N2,
    1: Stage.N3,  # R&K stage 3
    0: Stage.N3,  # R&K stage 4
    -1: Stage.UNSCORED,  # unknown
    -2: Stage.UNSCORED,  # movement time
    -3: Stage.UNSCORED,  # unscorable
}


def looks_like_dreams(head: bytes, name: str = "") -> bool:
    first = head.lstrip(b"\xef\xbb\xbf \r\n\t").split(b"\n", 1)[0].strip()
    return first.lower() == HEADER.lower().encode() or (
        name.lower().startswith("hypnogram_") and name.lower().endswith(".txt") and first[:1] in b"-012345"
        and first != b""
    )


def epoch_stage(codes: list[Stage]) -> Stage:
    """The 30-s stage of up to six 5-s stages (see the module doc for the tie rule)."""
    known = [c for c in codes if c != Stage.UNSCORED]
    if not known:
        return Stage.UNSCORED
    counts: dict[Stage, int] = {}
    first_at: dict[Stage, int] = {}
    for i, c in enumerate(known):
        counts[c] = counts.get(c, 0) + 1
        first_at.setdefault(c, i)
    best = max(counts, key=lambda s: (counts[s], -first_at[s]))
    n_unknown = len(codes) - len(known)
    if n_unknown > counts[best]:
        return Stage.UNSCORED
    return best


def read_dreams_codes(path: str | os.PathLike[str]) -> list[int]:
    """The raw 5-s codes of a DREAMS hypnogram file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="latin-1")
    except OSError as exc:
        raise ScoringFormatError(f"cannot read {path}: {exc}") from exc
    codes: list[int] = []
    for i, line in enumerate(text.splitlines()):
        s = line.strip()
        if not s or (i == 0 and s.lower() == HEADER.lower()):
            continue
        try:
            code = int(float(s))
        except ValueError:
            raise ScoringFormatError(f"{path.name}: line {i + 1} is not a DREAMS stage code: {s[:40]!r}") from None
        if code not in DREAMS_CODES:
            raise ScoringFormatError(f"{path.name}: line {i + 1}: unknown DREAMS stage code {code}")
        codes.append(code)
    if not codes:
        raise ScoringFormatError(f"{path.name}: no stage codes in this DREAMS hypnogram")
    return codes


def import_dreams_hypnogram(path: str | os.PathLike[str]) -> ImportResult:
    codes = read_dreams_codes(path)
    b = ScoringBuilder(EPOCH_S)
    n_full, rest = divmod(len(codes), CODES_PER_EPOCH)
    for k in range(n_full + (1 if rest else 0)):
        group = [DREAMS_CODES[c] for c in codes[k * CODES_PER_EPOCH:(k + 1) * CODES_PER_EPOCH]]
        if len(group) < CODES_PER_EPOCH and sum(g != Stage.UNSCORED for g in group) < CODES_PER_EPOCH // 2:
            continue
        b.add_stage_epoch(k, epoch_stage(group))
    if rest:
        b.warnings.append(f"{Path(path).name}: {rest} trailing 5-s code(s) do not fill a 30-s epoch")
    return b.result("dreams-hypnogram")

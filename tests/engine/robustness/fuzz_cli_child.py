"""Child process of the CLI fuzz test: runs `pedsleep info --json` and `pedsleep convert`
in-process on every variant listed in argv[1] (one path per line) under the resource
limits the parent set, and writes one JSON line per command to argv[2]."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
import traceback
from pathlib import Path


def main() -> None:
    from engine.cli import main as cli

    paths = Path(sys.argv[1]).read_text().splitlines()
    out_dir = Path(sys.argv[3])
    hyp_study = sys.argv[4]
    with open(sys.argv[2], "w") as log:
        for p in paths:
            study = hyp_study if "Hypnogram" in p else p
            for argv in (["info", "--json", p],
                         ["convert", study, "--annotations", p, "-o", str(out_dir / "out.edf")]):
                out, err = io.StringIO(), io.StringIO()
                t0 = time.perf_counter()
                raised = None
                try:
                    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                        rc = cli(argv)
                except BaseException:  # noqa: BLE001 - exactly what the test looks for
                    rc, raised = None, traceback.format_exc(limit=3)
                rec = {"path": p, "cmd": argv[0], "rc": rc, "raised": raised,
                       "stdout": out.getvalue() if argv[0] == "info" else "",
                       "stderr": err.getvalue(), "seconds": time.perf_counter() - t0}
                log.write(json.dumps(rec) + "\n")
                log.flush()


if __name__ == "__main__":
    main()

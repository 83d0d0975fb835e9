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


def _reopen(path: Path) -> str | None:
    from engine.errors import UserError
    from engine.io import open_study
    from engine.scoring.importers import import_scoring

    try:
        open_study(path).close()
        import_scoring(path, format="edf")
    except UserError as exc:
        return f"refused: {exc}"
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    finally:
        for q in (path, path.with_name(path.name + ".pedsleep.json")):
            q.unlink(missing_ok=True)
    return None


def main() -> None:
    # import what the commands import lazily, so the first variant's time is its own
    import engine.channels.mapping  # noqa: F401
    import engine.channels.profiles  # noqa: F401
    import engine.commands.convert  # noqa: F401
    import engine.commands.info  # noqa: F401
    import engine.scoring.exporters  # noqa: F401
    import engine.scoring.importers  # noqa: F401
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
                if argv[0] == "convert" and rc == 0:  # what convert wrote, the app must open
                    rec["reopen"] = _reopen(out_dir / "out.edf")
                log.write(json.dumps(rec) + "\n")
                log.flush()


if __name__ == "__main__":
    main()

"""`pedsleep` command line. Each sub-command lives in ``engine/commands/<name>.py`` and
exposes ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.

Errors the user can fix (bad file, missing channel, ...) raise ``engine.errors.UserError``;
they are printed as one line on stderr and give exit code 2. Anything else (a bug) is
one "internal error" line and exit code 1, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import engine.commands as commands_pkg
from engine.errors import UserError, shorten


def _command_modules():
    for info in sorted(pkgutil.iter_modules(commands_pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        yield importlib.import_module(f"engine.commands.{info.name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pedsleep", description="PedSleep Assist: polysomnography tools and model."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for mod in _command_modules():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except UserError as exc:
        print(f"pedsleep {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"pedsleep {args.command}: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print(f"pedsleep {args.command}: out of memory", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug: one line here, the traceback in the log file
        import logging

        from engine.logs import setup_logging

        log_path = setup_logging(to_stderr=False)
        logging.getLogger(__name__).error("internal error in pedsleep %s", args.command, exc_info=True)
        where = f"; details in {log_path}" if log_path is not None else ""
        print(f"pedsleep {args.command}: internal error ({type(exc).__name__}: {shorten(str(exc), 200)}); "
              f"please report it{where}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The application's log: a rotating file in the user log folder (docs/architecture.md,
"Tests, checks and logs"). Unexpected exceptions are written here with their traceback
(``log.exception``) while the user sees one short sentence.

``PEDSLEEP_LOG_DIR`` overrides the folder (tests point it at a temporary folder).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

LOG_NAME = "pedsleep.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"


def log_dir() -> Path:
    env = os.environ.get("PEDSLEEP_LOG_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_log_dir("pedsleep-assist"))


def setup_logging(level: int = logging.INFO, *, to_stderr: bool = True) -> Path | None:
    """Send the ``engine`` and ``gui`` loggers to the rotating file (once per process);
    returns its path, or None when no folder could be written (then the log goes to
    stderr, unless ``to_stderr`` is False — logging must never stop the app)."""
    root = logging.getLogger()
    for h in root.handlers:
        if isinstance(h, logging.handlers.RotatingFileHandler):
            return Path(h.baseFilename)
    root.setLevel(min(root.level or level, level))
    try:
        d = log_dir()
        d.mkdir(parents=True, exist_ok=True)
        path = d / LOG_NAME
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError:
        if not to_stderr:
            return None
        path = None
        handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.setLevel(level)
    root.addHandler(handler)
    logging.getLogger("engine").setLevel(level)
    logging.getLogger("gui").setLevel(level)
    return path

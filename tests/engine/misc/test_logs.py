import logging
import logging.handlers

from engine.logs import LOG_NAME, setup_logging


def test_log_file_receives_exceptions_and_rotates(tmp_path, monkeypatch):
    monkeypatch.setenv("PEDSLEEP_LOG_DIR", str(tmp_path / "logs"))
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        path = setup_logging()
        assert path == tmp_path / "logs" / LOG_NAME
        assert setup_logging() == path  # once per process: no second handler
        assert sum(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers) == 1
        try:
            raise ValueError("boom in a slot")
        except ValueError:
            logging.getLogger("gui.test").exception("unexpected error")
        for h in root.handlers:
            h.flush()
        text = path.read_text()
        assert "unexpected error" in text and "ValueError: boom in a slot" in text and "Traceback" in text
    finally:
        for h in list(root.handlers):
            if h not in before:
                root.removeHandler(h)
                h.close()


def test_unwritable_log_folder_does_not_stop_the_app(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("PEDSLEEP_LOG_DIR", str(blocker / "logs"))  # a folder under a file
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        assert setup_logging() is None
    finally:
        for h in list(root.handlers):
            if h not in before:
                root.removeHandler(h)
                h.close()

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


def test_cli_internal_error_is_one_line_and_its_traceback_goes_to_the_log(tmp_path, monkeypatch, capsys):
    import engine.cli as cli

    monkeypatch.setenv("PEDSLEEP_LOG_DIR", str(tmp_path / "logs"))
    parser = cli.build_parser()

    def boom(args):
        raise ZeroDivisionError("division by zero")

    real_parse = parser.parse_args

    def parse(argv=None):
        ns = real_parse(argv)
        ns._run = boom
        return ns

    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    monkeypatch.setattr(parser, "parse_args", parse)
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        rc = cli.main(["info", str(tmp_path / "x.edf")])
        for h in root.handlers:
            h.flush()
    finally:
        for h in list(root.handlers):
            if h not in before:
                root.removeHandler(h)
                h.close()
    err = capsys.readouterr().err
    assert rc == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert "internal error (ZeroDivisionError" in err and str(tmp_path / "logs") in err
    text = (tmp_path / "logs" / LOG_NAME).read_text()
    assert "Traceback" in text and "ZeroDivisionError: division by zero" in text

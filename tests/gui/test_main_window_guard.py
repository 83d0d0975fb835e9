"""MainWindow.guard: Qt's ``checked`` goes only to slots that take an argument (looked up
at the first call since issue 16), and errors become messages, never a dead GUI."""

from engine.api import UserError


def test_guard_passes_checked_only_to_slots_that_take_it(window):
    got = []
    window.guard(lambda: got.append("none"))(True)
    window.guard(lambda checked: got.append(checked))(True)
    window.guard(lambda *a: got.append(a))(False)
    window.guard(lambda checked=False, w=30: got.append((checked, w)))(True)
    run = window.guard(lambda checked: got.append(checked))
    run(True)
    run(False)  # the second call uses what the first looked up
    assert got == ["none", True, (False,), (True, 30), True, False]
    window.guard(print)  # a builtin: no signature needed until it is called


def test_guard_turns_errors_into_messages(window):
    def bad():
        raise UserError("disk full")

    window.guard(bad)()
    assert window.last_error == "disk full"
    window.guard(lambda: 1 / 0)()
    assert "ZeroDivisionError" in window.last_error

"""Names a package or facade exports but loads on first use (PEP 562).

The viewer's first page needs the study reader, the channel mapping, the display signal
path and the scoring document; the rules, the stager, the assistant's logic, importers,
exporters and reports load when they are first used (tests/test_startup_imports.py lists
them). ``from package import name`` still works for a lazy name: it loads then."""

from __future__ import annotations

from importlib import import_module
from typing import Any, Callable


def lazy_exports(namespace: dict[str, Any], table: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``table[name]`` (a module path) on the first
    access to ``name`` and keeps the value in ``namespace`` (the module's globals())."""

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__

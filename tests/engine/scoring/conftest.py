"""Shared fixtures for the scoring tests. Real files come from ../shared/data (relative to
the project root); tests that need them skip with a clear reason when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DATA = (PROJECT_ROOT / ".." / "shared" / "data").resolve()
FIXTURES = Path(__file__).resolve().parent / "fixtures"

needs_data = pytest.mark.skipif(
    not DATA.is_dir(),
    reason=f"real test data not found at {DATA} (../shared/data from the project root)",
)


@pytest.fixture
def data_dir() -> Path:
    if not DATA.is_dir():
        pytest.skip(f"real test data not found at {DATA} (../shared/data from the project root)")
    return DATA

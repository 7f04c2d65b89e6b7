from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import require_or_skip

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    require_or_skip(DATA.is_dir(), "../shared/data", "the development data set, see its README")
    return DATA

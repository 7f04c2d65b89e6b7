from __future__ import annotations

import pytest

from tests.conftest import Org
from tests.metrics.scenario import Clock, Scenario, build


@pytest.fixture
def scenario(org: Org, monkeypatch: pytest.MonkeyPatch) -> Scenario:
    return build(org, Clock(monkeypatch))

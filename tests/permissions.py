"""The permission matrix (style.md): every page and endpoint is requested by anonymous, by a
user of the wrong department, by a role without the right, and by one allowed, and each answer is
compared with the expected status. Tables of rows live in each app's `test_permissions.py`;
`tests/test_permission_coverage.py` checks that every URL and API operation has a row."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.conftest import Org, client_for


@dataclass(frozen=True)
class Row:
    name: str  # a URL name, or "METHOD /api/v1/path" as in the OpenAPI document
    method: str
    url: Callable[[Org], str]
    expect: dict[str, int]
    data: Callable[[Org], dict[str, Any]] = field(default=lambda org: {})
    htmx: bool = False
    json: bool = False  # send `data` as a JSON body (API writes) instead of a form

    def __str__(self) -> str:
        return self.name


def run_row(org: Org, row: Row) -> None:
    """Every persona of the row gets its expected status; all mismatches are reported at once."""
    assert {"anonymous"} < set(row.expect), "a row must cover anonymous and at least one user"
    mismatches = []
    data = urlencode(row.data(org), doseq=True)
    for persona, expected in row.expect.items():
        client = client_for(None if persona == "anonymous" else org[persona])
        headers = {"HX-Request": "true"} if row.htmx else {}
        if row.method == "GET":
            url = row.url(org) + (f"?{data}" if data else "")
            response = client.get(url, headers=headers)
        elif row.json:
            response = client.generic(row.method, row.url(org), json.dumps(row.data(org)),
                                      content_type="application/json", headers=headers)
        else:
            response = client.generic(row.method, row.url(org), data,
                                      content_type="application/x-www-form-urlencoded",
                                      headers=headers)
        if response.status_code != expected:
            mismatches.append(f"{persona}: expected {expected}, got {response.status_code}")
    assert not mismatches, f"{row.name}: " + "; ".join(mismatches)

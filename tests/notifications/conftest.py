"""A real local webhook for the robot tests, and a second review manager, so that a review
manager's own act still leaves someone to tell."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from pingjia.accounts.models import User
from pingjia.accounts.roles import Role
from pingjia.notifications.models import Robot
from tests.conftest import Org
from tests.factories import MembershipFactory, UserFactory


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Webhook:
    """An HTTP server on 127.0.0.1 that records every POST and answers as told."""

    port: int
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    answer: dict[str, Any] = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Unread counts are cached by user id, and ids come back after each test's rollback."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    state: dict[str, Webhook] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hook = state["hook"]
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hook.requests.append(Received(self.path, dict(self.headers.items()),
                                          json.loads(raw or b"{}")))
            payload = json.dumps(hook.answer).encode()
            self.send_response(hook.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["hook"] = Webhook(port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["hook"]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def manager2(org: Org) -> User:
    user = UserFactory(username="manager2", name="manager2名", email="manager2@example.com")
    MembershipFactory(user=user, department=org.review, role=Role.REVIEW_MANAGER)
    org.people["manager2"] = user
    return user


def make_robot(webhook_url: str, *, kind: str = Robot.Kind.WECOM, secret: str = "",
               department: Any = None, kinds: list[str] | None = None,
               per_minute: int = 20) -> Robot:
    return Robot.objects.create(name=f"{kind} robot", kind=kind, webhook_url=webhook_url,
                                secret=secret, department=department,
                                kinds=kinds if kinds is not None else
                                ["task", "at_risk", "overdue", "escalated", "finding",
                                 "closed"], per_minute=per_minute)

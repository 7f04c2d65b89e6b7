"""A real `pingjia worker` process, with the embedded SQLite queue and with Redis, answers a
task sent by `pingjia check --queue` and reaches the same database as the test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from pingjia.core.models import Heartbeat
from pingjia.core.services import heartbeat_record
from pingjia.core.tasks import SCHEDULER_HEARTBEAT, heartbeat
from tests.conftest import require_or_skip

REDIS = ("127.0.0.1", 6379)


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}")


def process_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The production settings module, pointed at the test database."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE",
                                                             "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="pingjia.settings", DATABASE_URL=database_url(),
               PINGJIA_DATA_DIR=str(data_dir), PINGJIA_QUEUE_NAME=f"test-{uuid.uuid4().hex}",
               **extra)
    return env


def round_trip(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    worker = subprocess.Popen([sys.executable, "-m", "pingjia.cli", "worker", "--no-periodic"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        return subprocess.run([sys.executable, "-m", "pingjia.cli", "check", "--queue",
                               "--queue-timeout", "30"], env=env, capture_output=True,
                              text=True, timeout=90)
    finally:
        worker.terminate()
        worker.wait(timeout=15)


def redis_is_up() -> bool:
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.django_db(transaction=True)
def test_worker_with_the_sqlite_queue_answers(tmp_path: Path) -> None:
    result = round_trip(process_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "worker" in result.stdout and "answered from" in result.stdout
    assert f"pid {os.getpid()}" not in result.stdout


@pytest.mark.django_db(transaction=True)
def test_worker_with_redis_answers(tmp_path: Path) -> None:
    require_or_skip(redis_is_up(), "Redis at 127.0.0.1:6379", "start redis-server")
    result = round_trip(process_env(tmp_path, REDIS_URL="redis://127.0.0.1:6379/0"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Redis redis://127.0.0.1:6379/0" in result.stdout
    assert "answered from" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_check_without_a_worker_fails_clearly(tmp_path: Path) -> None:
    env = process_env(tmp_path)
    result = subprocess.run([sys.executable, "-m", "pingjia.cli", "check", "--queue",
                             "--queue-timeout", "2"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "is a worker running" in result.stdout


def test_heartbeat_task_records_the_scheduler(db: None) -> None:
    heartbeat.call_local()
    beat = Heartbeat.objects.get(name=SCHEDULER_HEARTBEAT)
    assert beat.pid == os.getpid() and beat.host == socket.gethostname()
    before = beat.beat_at
    heartbeat_record(name=SCHEDULER_HEARTBEAT)
    assert Heartbeat.objects.get(name=SCHEDULER_HEARTBEAT).beat_at > before
    assert Heartbeat.objects.count() == 1

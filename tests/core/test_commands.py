from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pingjia.accounts.models import ApiToken, AuditEntry, Department, Membership, User
from pingjia.accounts.roles import Role
from pingjia.analysis.text.heldout import MIN_EXAMPLES
from pingjia.core.demo import CORRECTIONS, DEMO_PASSWORD, demo_logins, demo_review_files
from tests.factories import DepartmentFactory


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_pingjia_help_lists_its_commands() -> None:
    result = subprocess.run([sys.executable, "-m", "pingjia.cli", "--help"],
                            capture_output=True, text=True, check=True)
    for command in ("serve", "worker", "demo", "createuser", "token", "check"):
        assert f"  {command} " in result.stdout


def test_demo_loads_once_with_a_login_per_role_and_real_reviews(db: None) -> None:
    from pingjia.reviews.models import ImportRun, Review

    first = run("demo", "--reviews", "200")
    assert "loaded" in first and DEMO_PASSWORD in first
    assert Review.objects.count() == 203  # 200 imported, 3 registered by phone
    assert ImportRun.objects.filter(status=ImportRun.Status.DONE, rejected=0).count() == 5
    assert Review.objects.filter(rating__lte=2).exists()
    assert Review.objects.filter(registered_by__username="agent").count() == 3
    _assert_demo_cases()
    counts = (User.objects.count(), Department.objects.count(), AuditEntry.objects.count(),
              Review.objects.count())
    second = run("demo", "--reviews", "200")
    assert "already" in second
    assert (User.objects.count(), Department.objects.count(), AuditEntry.objects.count(),
            Review.objects.count()) == counts
    names = {d.name for d in Department.objects.all()}
    assert {"差评管理部", "客服部", "物流部", "售后部", "门店运营部", "产品部", "餐饮部"} <= names
    for person in demo_logins():
        user = User.objects.get(username=person.username)
        assert user.check_password(DEMO_PASSWORD)
        assert Membership.objects.filter(user=user, role=person.role).exists()
        assert person.username in second
    assert {p.role for p in demo_logins()} == set(Role)


def test_the_demo_has_enough_category_corrections_to_train_on(db: None) -> None:
    """Each correction names one of the complaints that `make demo` loads (3,000 reviews)."""
    complaints = [row["评价内容"] for data in demo_review_files(3000).values()
                  for row in csv.DictReader(io.StringIO(data.decode())) if int(row["评分"]) <= 3]
    found = {start: sum(text.startswith(start) for text in complaints) for start, _ in CORRECTIONS}
    assert [start for start, n in found.items() if n == 0] == []
    assert sum(found.values()) >= MIN_EXAMPLES + 10


def _assert_demo_cases() -> None:
    """The demo shows the whole loop: a closed case, a rejection, a second round, a case
    waiting for the customer, a supervision finding and overdue stages."""
    from pingjia.cases.models import Case, CaseRound, Finding
    from pingjia.cases.workflow import StageStatus, State

    states = set(Case.objects.values_list("state", flat=True))
    assert {State.REGISTERED, State.ASSIGNED, State.IN_PROGRESS, State.CLOSED} <= states
    assert CaseRound.objects.filter(rejections__gt=0).exists()
    assert Case.objects.filter(round=2).exists()
    assert Case.objects.filter(stage_status=StageStatus.PAUSED).exists()
    assert Case.objects.filter(stage_status=StageStatus.OVERDUE, escalation_level=1).exists()
    assert Finding.objects.filter(answered_at__isnull=True).exists()


def test_createuser_with_roles(db: None) -> None:
    DepartmentFactory(code="logistics")
    out = run("createuser", "zhangqiang", "--name", "张强", "--phone", "13812341234",
              "--password", "a-long-passphrase", "--role", "logistics:dept_head")
    assert "logistics:dept_head" in out
    user = User.objects.get(username="zhangqiang")
    assert user.check_password("a-long-passphrase") and user.phone == "13812341234"
    assert user.memberships.get().role == Role.DEPARTMENT_HEAD


@pytest.mark.parametrize(("role", "message"), [("nowhere:handler", "no department"),
                                               ("logistics:boss", "must be one of")])
def test_createuser_refuses_bad_roles_and_creates_nothing(db: None, role: str,
                                                          message: str) -> None:
    DepartmentFactory(code="logistics")
    with pytest.raises(CommandError, match=message):
        run("createuser", "li", "--name", "李四", "--password", "a-long-passphrase",
            "--role", role)
    assert not User.objects.filter(username="li").exists()


def test_token_create_list_revoke(db: None) -> None:
    run("createuser", "robot", "--name", "同步机器人", "--password", "a-long-passphrase")
    created = run("token", "create", "robot", "--name", "美团同步", "--scope", "org:read",
                  "--expires-days", "30")
    secret = created.strip().splitlines()[-1]
    token = ApiToken.objects.get()
    assert secret.startswith("pjt_") and token.expires_at is not None
    listing = run("token", "list")
    assert "美团同步" in listing and "active" in listing and secret not in listing
    run("token", "revoke", str(token.pk))
    assert "revoked" in run("token", "list", "robot")
    with pytest.raises(CommandError):
        run("token", "create", "nobody", "--name", "x", "--scope", "org:read")


def test_check_reports_every_part(db: None) -> None:
    out = run("check")
    for part in ("settings", "database", "queue", "cache", "personal-data keys", "scheduler"):
        assert part in out
    assert "no heartbeat yet" in out


def test_check_with_queue_round_trip_in_process(db: None) -> None:
    # Tests run tasks immediately, so the answer comes from this very process.
    out = run("check", "--queue")
    assert f"pid {os.getpid()}" in out


def test_server_settings_without_keys_fail_with_a_clear_message(tmp_path: object) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINGJIA_")}
    env.update(DATABASE_URL="postgres://postgres@127.0.0.1:5432/x",
               DJANGO_SETTINGS_MODULE="pingjia.settings", PINGJIA_DATA_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"],
                            capture_output=True, text=True, env=env)
    assert result.returncode != 0
    assert "PINGJIA_SECRET_KEY, PINGJIA_FIELD_KEYS, PINGJIA_LOOKUP_KEY" in result.stderr


def test_embedded_processes_starting_together_share_one_set_of_keys(tmp_path: object) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINGJIA_")}
    env.pop("DATABASE_URL", None)
    env.update(DJANGO_SETTINGS_MODULE="pingjia.settings", PINGJIA_DATA_DIR=str(tmp_path))
    show = "from django.conf import settings; print(settings.PINGJIA_FIELD_KEYS[0])"
    processes = [subprocess.Popen([sys.executable, "-c", f"import django; django.setup(); {show}"],
                                  env=env, stdout=subprocess.PIPE, text=True) for _ in range(4)]
    keys = {process.communicate(timeout=60)[0].strip() for process in processes}
    assert len(keys) == 1 and all(keys)


def test_server_settings_without_redis_create_the_data_folder_for_the_queue(
        tmp_path: object) -> None:
    from pathlib import Path

    data = Path(str(tmp_path)) / "not-yet"
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(DATABASE_URL="postgres://postgres@127.0.0.1:5432/x", PINGJIA_DATA_DIR=str(data),
               DJANGO_SETTINGS_MODULE="pingjia.settings", PINGJIA_SECRET_KEY="k",
               PINGJIA_FIELD_KEYS="dGVzdC1maWVsZC1rZXktMDEyMzQ1Njc4OWFiY2RlZjA=",
               PINGJIA_LOOKUP_KEY="l")
    code = "import django; django.setup(); from pingjia.core.health import queue_finding; " \
           "print(queue_finding().status)"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True)
    assert result.stdout.strip() == "ok", result.stderr

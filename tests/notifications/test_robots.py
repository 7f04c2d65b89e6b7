"""Group robots against a real HTTP server on 127.0.0.1: each platform's signed request, the
throttle, the deadline digest and failures that are logged and retried, never raised."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from pingjia.cases.models import Case
from pingjia.cases.services import case_act, case_sweep
from pingjia.cases.workflow import State
from pingjia.notifications import robots, services
from pingjia.notifications.models import Robot, RobotMessage
from tests.cases.factories import case_in, open_case
from tests.conftest import Org
from tests.notifications.conftest import Webhook, make_robot

NOW = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
DINGTALK_SECRET = "SECdemo0123456789"
FEISHU_SECRET = "feishu-demo-secret"
TEXT = robots.RobotText("逾期: ZG2025000001", (("状态：整改中", ""),
                                               ("打开整改单", "https://pj.example/cases/1/")))


def _message(robot: Robot, *, at: datetime = NOW, title: str = TEXT.title) -> RobotMessage:
    return RobotMessage.objects.create(robot=robot, kind="overdue", title=title,
                                       lines=[list(line) for line in TEXT.lines],
                                       created_at=at, next_attempt_at=at)


def test_dingtalk_signs_the_url_with_the_millisecond_timestamp(org: Org,
                                                               webhook: Webhook) -> None:
    robot = make_robot(webhook.url("/robot/send?access_token=tok123"),
                       kind=Robot.Kind.DINGTALK, secret=DINGTALK_SECRET)
    _message(robot)
    assert services.robot_deliver(robot_id=robot.pk, now=NOW).sent == 1
    [received] = webhook.requests
    assert received.path == ("/robot/send?access_token=tok123&timestamp=1741944413000"
                             "&sign=0UYHhOLTxSvHUG1mivHrwaaYWmXDgeF0UN1fUa6dbuE%3D")
    # What DingTalk checks: HMAC-SHA256 keyed with the secret over "{timestamp}\n{secret}".
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(received.path).query)
    expected = base64.b64encode(hmac.new(
        DINGTALK_SECRET.encode(), f"{query['timestamp'][0]}\n{DINGTALK_SECRET}".encode(),
        hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected]
    assert received.body == {"msgtype": "markdown", "markdown": {
        "title": "逾期: ZG2025000001",
        "text": "**逾期: ZG2025000001**\n状态：整改中\n[打开整改单](https://pj.example/cases/1/)"}}
    assert received.headers["Content-Type"].startswith("application/json")


def test_feishu_signs_the_body_with_the_second_timestamp(org: Org, webhook: Webhook) -> None:
    robot = make_robot(webhook.url("/open-apis/bot/v2/hook/abc-123"), kind=Robot.Kind.FEISHU,
                       secret=FEISHU_SECRET)
    webhook.answer = {"code": 0, "msg": "success", "data": {}}
    _message(robot)
    assert services.robot_deliver(robot_id=robot.pk, now=NOW).sent == 1
    [received] = webhook.requests
    assert received.path == "/open-apis/bot/v2/hook/abc-123"
    assert received.body == {
        "timestamp": "1741944413", "sign": "E5u48gFmzrKNPNSsdFLir5G2K+RZBg4BGqQAGsR11VA=",
        "msg_type": "text",
        "content": {"text": "逾期: ZG2025000001\n状态：整改中\n"
                            "打开整改单 https://pj.example/cases/1/"}}
    # What Feishu checks: the key is "{timestamp}\n{secret}", the message empty.
    expected = base64.b64encode(hmac.new(f"1741944413\n{FEISHU_SECRET}".encode(), b"",
                                         hashlib.sha256).digest()).decode()
    assert received.body["sign"] == expected


def test_wecom_posts_markdown_to_the_keyed_address_unsigned(org: Org,
                                                            webhook: Webhook) -> None:
    robot = make_robot(webhook.url("/cgi-bin/webhook/send?key=k-693a91f6"))
    _message(robot)
    assert services.robot_deliver(robot_id=robot.pk, now=NOW).sent == 1
    [received] = webhook.requests
    assert received.path == "/cgi-bin/webhook/send?key=k-693a91f6"
    assert received.body == {"msgtype": "markdown", "markdown": {
        "content": "**逾期: ZG2025000001**\n状态：整改中\n"
                   "[打开整改单](https://pj.example/cases/1/)"}}


def test_wecom_content_is_cut_to_4096_bytes_on_a_character() -> None:
    long = robots.RobotText("标题", tuple(("整改" * 50, "") for _ in range(40)))
    content = robots.wecom_request("https://x", long).body["markdown"]
    assert isinstance(content, dict)
    assert len(content["content"].encode()) <= 4096
    content["content"].encode().decode()  # whole characters only


def test_more_messages_than_the_limit_wait_for_the_next_minute(org: Org,
                                                               webhook: Webhook) -> None:
    robot = make_robot(webhook.url("/cgi-bin/webhook/send?key=k"), per_minute=3)
    for number in range(4):
        _message(robot, title=f"message {number}")
    first = services.robot_deliver(robot_id=robot.pk, now=NOW)
    assert (first.sent, first.waiting) == (3, 1)
    assert services.robot_deliver(robot_id=robot.pk, now=NOW + timedelta(seconds=30)).sent == 0
    assert robot.pk in services.robots_waiting(now=NOW + timedelta(seconds=61))
    later = services.robot_deliver(robot_id=robot.pk, now=NOW + timedelta(seconds=61))
    assert (later.sent, later.waiting) == (1, 0)
    titles = [r.body["markdown"]["content"].splitlines()[0] for r in webhook.requests]
    assert titles == [f"**message {n}**" for n in range(4)]


@override_settings(PINGJIA_PUBLIC_URL="https://pingjia.example.com")
def test_the_sweep_posts_one_digest_per_robot_for_many_late_cases(
        org: Org, webhook: Webhook, django_capture_on_commit_callbacks: Any) -> None:
    robot = make_robot(webhook.url("/cgi-bin/webhook/send?key=k"), department=org.dept_a,
                       kinds=["at_risk", "overdue"])
    other = make_robot(webhook.url("/cgi-bin/webhook/send?key=other"), department=org.dept_b)
    cases = [case_in(org, State.ASSIGNED) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        counts = case_sweep(now=timezone.now() + timedelta(days=30))
    assert counts["overdue"] == 3
    assert webhook.requests == []  # the alerts wait for the rest of the sweep
    later = timezone.now() + services.DIGEST_WAIT + timedelta(seconds=1)
    assert services.robots_waiting(now=later) == [robot.pk]
    services.robot_deliver(robot_id=robot.pk, now=later)
    services.robot_deliver(robot_id=other.pk, now=later)
    [digest] = webhook.requests
    content = digest.body["markdown"]["content"]
    for case in cases:
        assert content.count(Case.objects.get(pk=case.pk).number) == 2  # at risk, overdue
        assert f"https://pingjia.example.com/cases/{case.pk}/" in content
    assert "物流部" in content
    assert RobotMessage.objects.filter(robot=robot, status=RobotMessage.Status.MERGED
                                       ).count() == 6
    assert RobotMessage.objects.get(robot=robot, digest_item=False).status == "sent"


def test_robot_payloads_carry_no_customer_data(org: Org, webhook: Webhook,
                                               django_capture_on_commit_callbacks: Any) -> None:
    from pingjia.reviews.models import Customer

    make_robot(webhook.url("/cgi-bin/webhook/send?key=k"))
    customer = Customer.objects.create(name="王小明", phone="13812345678")
    case = open_case(org, customer=customer, text="请打 13812345678 找王小明")
    with django_capture_on_commit_callbacks(execute=True):
        case_act(case_id=case.pk, actor=org["manager"], action="assign",
                 data={"lead_department": org.dept_a.pk})
    [received] = webhook.requests
    content = received.body["markdown"]["content"]
    assert case.number in content and "物流部" in content
    assert "13812345678" not in content and "王小明" not in content


@pytest.mark.parametrize("failure", ["http_500", "refused", "errcode"])
def test_a_failing_webhook_is_logged_and_retried_and_the_case_action_succeeds(
        org: Org, webhook: Webhook, closed_port: int, failure: str,
        django_capture_on_commit_callbacks: Any) -> None:
    url = webhook.url("/cgi-bin/webhook/send?key=k")
    if failure == "http_500":
        webhook.status = 500
    elif failure == "errcode":
        webhook.answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
    else:
        url = f"http://127.0.0.1:{closed_port}/cgi-bin/webhook/send?key=k"
    robot = make_robot(url)
    case = open_case(org)
    with django_capture_on_commit_callbacks(execute=True):
        assigned = case_act(case_id=case.pk, actor=org["manager"], action="assign",
                            data={"lead_department": org.dept_a.pk})
    assert assigned.state == State.ASSIGNED
    assert Case.objects.get(pk=case.pk).state == State.ASSIGNED
    message = RobotMessage.objects.get(robot=robot)
    assert message.status == RobotMessage.Status.PENDING and message.attempts == 1
    assert {"http_500": "HTTP 500", "refused": "unreachable",
            "errcode": "93000"}[failure] in message.error
    assert message.next_attempt_at > timezone.now()  # backing off

    # Tried again once the backoff has passed; given up after the last attempt.
    for attempt in range(2, services.MAX_ATTEMPTS + 1):
        message.refresh_from_db()
        services.robot_deliver(robot_id=robot.pk, now=message.next_attempt_at)
        message.refresh_from_db()
        assert message.attempts == attempt
    assert message.status == RobotMessage.Status.FAILED


def test_a_message_that_fails_then_succeeds_is_sent(org: Org, webhook: Webhook) -> None:
    robot = make_robot(webhook.url("/cgi-bin/webhook/send?key=k"))
    message = _message(robot)
    webhook.status = 500
    services.robot_deliver(robot_id=robot.pk, now=NOW)
    webhook.status = 200
    assert services.robot_deliver(robot_id=robot.pk, now=NOW + timedelta(seconds=30)).sent == 0
    assert services.robot_deliver(robot_id=robot.pk, now=NOW + timedelta(minutes=2)).sent == 1
    message.refresh_from_db()
    assert message.status == RobotMessage.Status.SENT and message.error == ""


def test_robots_post_only_their_kinds_about_their_department(
        org: Org, webhook: Webhook, django_capture_on_commit_callbacks: Any) -> None:
    own = make_robot(webhook.url("/own"), department=org.dept_a, kinds=["task"])
    make_robot(webhook.url("/other"), department=org.dept_b, kinds=["task"])
    make_robot(webhook.url("/quiet"), department=org.dept_a, kinds=["finding"])
    everyone = make_robot(webhook.url("/all"), kinds=["task"])
    case = open_case(org)
    with django_capture_on_commit_callbacks(execute=True):
        case_act(case_id=case.pk, actor=org["manager"], action="assign",
                 data={"lead_department": org.dept_a.pk})
    assert sorted(r.path for r in webhook.requests) == ["/all", "/own"]
    assert RobotMessage.objects.filter(robot=everyone).count() == 1
    assert RobotMessage.objects.filter(robot=own).count() == 1


def test_the_test_message_reports_what_happened(org: Org, webhook: Webhook,
                                                closed_port: int) -> None:
    good = make_robot(webhook.url("/cgi-bin/webhook/send?key=k"))
    bad = make_robot(f"http://127.0.0.1:{closed_port}/x")
    assert services.robot_send_test(robot_id=good.pk).status == RobotMessage.Status.SENT
    failed = services.robot_send_test(robot_id=bad.pk)
    assert failed.status == RobotMessage.Status.PENDING and "unreachable" in failed.error
    assert len(webhook.requests) == 1


def test_credentials_are_stored_encrypted(org: Org) -> None:
    from django.db import connection

    robot = make_robot("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=s3cr3t-key",
                       kind=Robot.Kind.DINGTALK, secret="SECtopsecret")
    with connection.cursor() as cursor:
        cursor.execute("SELECT webhook_url, secret FROM notifications_robot WHERE id = %s",
                       [robot.pk])
        stored = " ".join(cursor.fetchone())
    assert "s3cr3t-key" not in stored and "SECtopsecret" not in stored
    assert Robot.objects.get(pk=robot.pk).secret == "SECtopsecret"

"""Recurring issues stored: complaints grouped across wording, counted per week, kept current
as reviews arrive; staff decisions that survive a recompute; spikes told once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from pingjia.accounts.models import AuditAction, AuditEntry
from pingjia.analysis.issues import (
    issue_dismiss,
    issue_merge,
    issue_rename,
    issue_split,
    issues_assign_new,
    issues_check_spikes,
    issues_recompute,
    week_of,
)
from pingjia.analysis.models import Category, IssueMember, RecurringIssue, ReviewAnalysis
from pingjia.analysis.selectors import Trend
from pingjia.analysis.services import reviews_analyse
from pingjia.notifications.models import Notification, NotificationKind
from pingjia.reviews.models import Review
from tests.analysis.test_grouping import MIRROR, OTHERS
from tests.conftest import Org, client_for
from tests.reviews.factories import make_review

SLOW = OTHERS[:3]


def reviews(org: Org, texts: list[str], *, at: datetime | None = None,
            store: str = "a") -> list[Review]:
    made = [make_review(org.store_a if store == "a" else org.store_b, rating=1, text=text,
                        reviewed_at=at or timezone.now()) for text in texts]
    reviews_analyse(review_ids=[r.pk for r in made])
    return made


def issue_of(review: Review) -> RecurringIssue:
    return IssueMember.objects.select_related("issue").get(review=review).issue


def test_wording_variants_of_the_mirror_complaint_become_one_issue_counted_per_week(
        org: Org) -> None:
    last_week = timezone.now() - timedelta(days=7)
    mirror = reviews(org, MIRROR[:2], at=last_week) + reviews(org, MIRROR[2:])
    others = reviews(org, OTHERS)
    issues_recompute()
    issue = issue_of(mirror[0])
    assert {issue_of(r).pk for r in mirror} == {issue.pk}
    assert issue_of(others[0]).pk != issue.pk
    assert issue.member_count == len(MIRROR)
    assert issue.display_name in {"镜子暗", "灯光暗", "镜子看不清"}
    weeks = dict(IssueMember.objects.filter(issue=issue).values("week").annotate(
        n=Count("pk")).values_list("week", "n"))
    assert weeks == {week_of(last_week): 2, week_of(timezone.now()): len(MIRROR) - 2}


def test_an_issue_takes_the_category_its_phrases_name_else_its_members_but_never_praise(
        org: Org) -> None:
    mirror = reviews(org, MIRROR[:3])
    price = reviews(org, ["价格太贵了，不值", "这价格太贵了", "太贵了，价格不值这么多"])
    # The reviews' own categories say otherwise: service, and most of the mirror ones praise.
    service = Category.objects.get(code="service_attitude")
    praise = Category.objects.get(code="not_a_complaint")
    ReviewAnalysis.objects.filter(review__in=price + mirror).update(category=service)
    ReviewAnalysis.objects.filter(review__in=mirror[:2]).update(category=praise)
    issues_recompute()
    price_issue, mirror_issue = issue_of(price[0]), issue_of(mirror[0])
    assert price_issue.category is not None and price_issue.category.code == "other"
    # 镜子暗 is in no category's example phrases: the members decide, and praise has no vote.
    assert mirror_issue.category is not None and mirror_issue.category.code == "service_attitude"


@pytest.fixture
def grouped(org: Org) -> dict[str, list[Review]]:
    made = {"mirror": reviews(org, MIRROR), "slow": reviews(org, SLOW),
            "others": reviews(org, OTHERS[3:])}
    issues_recompute()
    return made


def test_a_rename_a_dismissal_and_a_merge_survive_a_recompute_and_are_audited(
        org: Org, grouped: dict[str, list[Review]]) -> None:
    manager = org["manager"]
    mirror, slow = issue_of(grouped["mirror"][0]), issue_of(grouped["slow"][0])
    issue_rename(actor=manager, issue_id=mirror.pk, name="试衣间镜子太暗")
    issue_dismiss(actor=manager, issue_id=slow.pk)
    delivery = issue_of(grouped["others"][0])  # 快递太慢
    into = issue_merge(actor=manager, issue_id=delivery.pk, into_id=slow.pk)
    assert into.pk == slow.pk and issue_of(grouped["others"][0]).pk == slow.pk

    issues_recompute()
    mirror.refresh_from_db()
    slow.refresh_from_db()
    delivery.refresh_from_db()
    assert mirror.display_name == "试衣间镜子太暗" and not mirror.dismissed
    assert slow.dismissed and delivery.merged_into_id == slow.pk
    assert issue_of(grouped["others"][0]).pk == slow.pk
    assert slow.member_count == len(SLOW) + 3 and delivery.member_count == 0
    assert {e.action for e in AuditEntry.objects.all()} >= {
        AuditAction.ISSUE_RENAMED, AuditAction.ISSUE_DISMISSED, AuditAction.ISSUE_MERGED}


def test_reviews_split_off_stay_in_their_new_issue_after_a_recompute(
        org: Org, grouped: dict[str, list[Review]]) -> None:
    mirror = issue_of(grouped["mirror"][0])
    lamp = [r for r in grouped["mirror"] if "灯光" in r.text]
    new = issue_split(actor=org["manager"], issue_id=mirror.pk,
                      review_ids=[r.pk for r in lamp], name="试衣间灯光暗")
    issues_recompute()
    new.refresh_from_db()
    mirror.refresh_from_db()
    assert {issue_of(r).pk for r in lamp} == {new.pk}
    assert new.display_name == "试衣间灯光暗" and new.member_count == len(lamp)
    assert mirror.member_count == len(MIRROR) - len(lamp)
    entry = AuditEntry.objects.get(action=AuditAction.ISSUE_SPLIT)
    assert entry.changes["split_off"][1]["reviews"] == sorted(r.pk for r in lamp)


def test_only_an_organisation_wide_review_manager_decides(
        org: Org, grouped: dict[str, list[Review]]) -> None:
    from django.core.exceptions import PermissionDenied

    mirror = issue_of(grouped["mirror"][0])
    with pytest.raises(PermissionDenied):
        issue_rename(actor=org["executive"], issue_id=mirror.pk, name="x")
    mirror.refresh_from_db()
    assert mirror.name_override == ""


def test_a_new_review_joins_its_existing_issue_incrementally(
        org: Org, grouped: dict[str, list[Review]]) -> None:
    mirror = issue_of(grouped["mirror"][0])
    (late,) = reviews(org, ["试衣间的镜子太暗，看不清楚"], store="b")
    outcome = issues_assign_new()
    assert outcome.complaints == 1 and outcome.added == 1
    assert issue_of(late).pk == mirror.pk
    mirror.refresh_from_db()
    assert mirror.member_count == len(MIRROR) + 1
    assert issues_assign_new().complaints == 0  # each review is placed once


def test_a_spike_tells_the_review_managers_once(
        org: Org, django_capture_on_commit_callbacks: pytest.FixtureRequest) -> None:
    org["manager"].email = "manager@example.cn"
    org["manager"].save(update_fields=["email"])
    now = timezone.now()
    for weeks_ago in range(1, 7):  # one complaint a week: the usual level
        reviews(org, [MIRROR[weeks_ago % len(MIRROR)]], at=now - timedelta(weeks=weeks_ago))
    reviews(org, MIRROR + MIRROR[:2])  # eight this week
    issues_recompute()
    issue = issue_of(Review.objects.order_by("-pk")[0])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert issues_check_spikes(now=now) == [issue.pk]
        assert issues_check_spikes(now=now) == []
    told = Notification.objects.filter(kind=NotificationKind.SPIKE)
    assert list(told.values_list("user__username", flat=True)) == ["manager"]
    notification = told.get()
    assert notification.url == reverse("issue_detail", args=[issue.pk])
    assert notification.case_id is None
    assert [m.to for m in mail.outbox] == [["manager@example.cn"]]
    issue.refresh_from_db()
    assert issue.spike_week == week_of(now)


def test_steady_complaints_are_not_a_spike(org: Org) -> None:
    now = timezone.now()
    for weeks_ago in range(0, 7):
        reviews(org, MIRROR[:2], at=now - timedelta(weeks=weeks_ago))
    issues_recompute()
    assert issues_check_spikes(now=now) == []
    assert not Notification.objects.exists()


def test_the_issue_list_shows_issues_by_volume_with_counts_and_a_sparkline(
        org: Org, grouped: dict[str, list[Review]],
        django_assert_max_num_queries: pytest.FixtureRequest) -> None:
    client = client_for(org["manager"])
    with django_assert_max_num_queries(11):  # type: ignore[operator]
        response = client.get(reverse("issue_list"))
    assert response.status_code == 200
    page = response.content.decode()
    mirror = issue_of(grouped["mirror"][0])
    assert mirror.display_name in page and "<polyline" in page and org.store_a.name in page
    rows = response.context["rows"]
    assert rows[0].issue.pk == mirror.pk and rows[0].trend.weekly[-1] == len(MIRROR)


def test_growth_compares_complete_weeks_and_the_running_week_is_drawn_apart() -> None:
    # Eight steady weeks of 3, then a Monday: this week has 0 so far. Counting it would show a
    # fall of a quarter; the four complete weeks against the four before show none.
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    weeks = tuple(monday - timedelta(weeks=11 - i) for i in range(12))
    steady = Trend(weeks, (0, 0, 0, 3, 3, 3, 3, 3, 3, 3, 3, 0), (), ())
    assert steady.last_four_weeks == 9 and steady.four_complete_weeks == 12
    assert steady.growth == 0
    rising = Trend(weeks, (0, 0, 0, 1, 1, 1, 1, 3, 3, 3, 3, 9), (), ())
    assert rising.growth_percent == 200
    complete, running = steady.sparkline.split(), steady.sparkline_running.split()
    assert len(complete) == 11 and running == [complete[-1], "120.0,26.0"]


def test_a_department_sees_only_its_stores_share_of_an_issue(
        org: Org, grouped: dict[str, list[Review]]) -> None:
    mirror = issue_of(grouped["mirror"][0])
    reviews(org, [MIRROR[0]], store="b")
    issues_assign_new()
    response = client_for(org["head_b"]).get(reverse("issue_list"))
    (row,) = [r for r in response.context["rows"] if r.issue.pk == mirror.pk]
    assert row.trend.last_four_weeks == 1
    detail = client_for(org["head_b"]).get(reverse("issue_detail", args=[mirror.pk]))
    assert detail.status_code == 200 and len(detail.context["reviews"]) == 1
    slow = issue_of(grouped["slow"][0])
    assert client_for(org["head_b"]).get(
        reverse("issue_detail", args=[slow.pk])).status_code == 404


def test_the_issue_page_drills_down_to_its_reviews(
        org: Org, grouped: dict[str, list[Review]],
        django_assert_max_num_queries: pytest.FixtureRequest) -> None:
    mirror = issue_of(grouped["mirror"][0])
    client = client_for(org["manager"])
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get(reverse("issue_detail", args=[mirror.pk]))
    page = response.content.decode()
    for review in grouped["mirror"]:
        assert reverse("review_detail", args=[review.pk]) in page
    assert 'id="issue-rename"' in page and 'id="issue-merge"' in page
    # Each review shows where it says what the issue's phrases say.
    assert "试衣间的<mark>镜子</mark>太<mark>暗</mark>了" in page


def test_splitting_through_the_page_leads_to_the_new_issue(
        org: Org, grouped: dict[str, list[Review]]) -> None:
    mirror = issue_of(grouped["mirror"][0])
    response = client_for(org["manager"]).post(
        reverse("issue_split", args=[mirror.pk]),
        {"reviews": [grouped["mirror"][0].pk], "name": "镜子"}, headers={"HX-Request": "true"})
    new = RecurringIssue.objects.get(name_override="镜子")
    assert response.headers["HX-Redirect"] == reverse("issue_detail", args=[new.pk])

"""The workbench's counts: each one equals what its link lists, within the user's scope."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from pingjia.analysis.issues import week_of
from pingjia.analysis.models import IssueMember, RecurringIssue
from pingjia.cases.models import Case
from pingjia.cases.workflow import StageStatus
from pingjia.metrics.workbench import Tile
from tests.cases.factories import open_case
from tests.conftest import Org, client_for
from tests.factories import UserFactory
from tests.reviews.factories import analysed, make_review

LIST_OF = {"review_list": "reviews", "case_list": "cases", "issue_list": "rows"}


def tiles(client: object) -> list[Tile]:
    response = client.get(reverse("home"))  # type: ignore[attr-defined]
    assert response.status_code == 200
    return list(response.context["tiles"])


def listed(client: object, tile: Tile) -> int:
    """How many rows the tile's link lists (every list here fits one page)."""
    response = client.get(tile.url)  # type: ignore[attr-defined]
    assert response.status_code == 200
    name = next(name for name in LIST_OF if tile.url.startswith(reverse(name)))
    return len(response.context[LIST_OF[name]])


def test_each_count_is_what_its_link_lists(org: Org) -> None:
    now = timezone.now()
    make_review(org.store_a, rating=1, reviewed_at=now)
    make_review(org.store_b, rating=2, reviewed_at=now)
    make_review(org.store_a, rating=1, reviewed_at=now - timedelta(days=1))  # not today
    analysed(make_review(org.store_a, rating=5, reviewed_at=now), "negative", None, hidden=True)
    make_review(org.store_a, rating=4, reviewed_at=now)
    open_case(org)
    overdue = open_case(org)
    Case.objects.filter(pk=overdue.pk).update(stage_status=StageStatus.OVERDUE)
    issue = RecurringIssue.objects.create(key="k", name="出餐慢", member_count=2,
                                          spike_week=week_of(now), created_at=now,
                                          updated_at=now)
    for review in make_review(org.store_a), make_review(org.store_a):
        IssueMember.objects.create(issue=issue, review=review, week=week_of(now),
                                   store=org.store_a)
    client = client_for(org["manager"])
    counts = [tile.count for tile in tiles(client)]
    # The two cases' reviews and the issue's two are today's too.
    assert counts == [8, 6, 1, 2, 1, 1]
    for tile in tiles(client):
        assert listed(client, tile) == tile.count, tile.label
    assert [t.alert for t in tiles(client)] == [False, True, True, False, True, True]


def test_a_department_counts_only_its_stores_and_no_role_sees_no_counts(org: Org) -> None:
    now = timezone.now()
    make_review(org.store_a, rating=1, reviewed_at=now)
    make_review(org.store_b, rating=1, reviewed_at=now)
    make_review(org.store_b, rating=5, reviewed_at=now)
    head_b = client_for(org["head_b"])
    reviews, negative = tiles(head_b)[:2]
    assert (reviews.count, negative.count) == (2, 1)
    assert listed(head_b, negative) == 1
    # Someone without a role yet may see no reviews or cases: no counts at all.
    response = client_for(UserFactory(username="new")).get(reverse("home"))
    assert response.context["tiles"] == [] and 'id="workbench-tiles"' not in response.text

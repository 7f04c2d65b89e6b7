"""What needs attention now, on the workbench: each count comes with a link to the list it
counts, opened with the same filters, so the number and the list always agree. A user sees
the counts their permissions and scope allow, and no others."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pingjia.accounts.models import User
from pingjia.analysis.issues import week_of
from pingjia.analysis.selectors import IssueFilter, issue_list
from pingjia.cases.selectors import CaseFilter, Queue, case_list
from pingjia.reviews.forms import HIDDEN_COMPLAINT
from pingjia.reviews.selectors import ReviewFilter, review_list


@dataclass(frozen=True)
class Tile:
    label: str
    count: int
    url: str
    alert: bool = False  # shown in red when the count is not zero


def workbench_tiles(user: User) -> list[Tile]:
    """Today's reviews, and the negative ones and hidden complaints among them (today's, not
    the week's: those two counts look up each review, and a week is some twenty thousand at a
    million reviews a year); the cases waiting for the user and the overdue ones; the recurring
    issues spiking (the issue list's own selector, so the tile and the list agree)."""
    tiles: list[Tile] = []
    today = timezone.localdate()
    if user.has_perm("reviews.view_review"):
        since = datetime.combine(today, time.min, timezone.get_current_timezone())
        reviews = reverse("review_list")
        for label, filters, query, alert in (
                (_("Reviews today"), ReviewFilter(since=since), {}, False),
                (_("Negative reviews today"), ReviewFilter(since=since, rating_max=2),
                 {"rating": "negative"}, True),
                (_("Hidden complaints today"),
                 ReviewFilter(since=since, hidden_complaint=True),
                 {"sentiment": HIDDEN_COMPLAINT}, True)):
            # The ids alone: a department's reviews are a DISTINCT query, and counting its
            # whole rows made SQLite build a temporary table of them.
            count = review_list(user=user, filters=filters).values("pk").count()
            url = f"{reviews}?{urlencode({**query, 'since': today.isoformat()})}"
            tiles.append(Tile(label, count, url, alert and count > 0))
    if user.has_perm("cases.view_case"):
        cases = reverse("case_list")
        for label, queue, alert in ((_("Cases waiting for me"), Queue.MINE, False),
                                    (_("Overdue cases"), Queue.OVERDUE, True)):
            count = case_list(user=user, filters=CaseFilter(queue=queue)).count()
            tiles.append(Tile(label, count, f"{cases}?queue={queue}", alert and count > 0))
    if user.has_perm("reviews.view_review"):
        # The issue list's own rows with "spikes only": the same issues it will show.
        count = len(issue_list(user=user, filters=IssueFilter(spikes_only=True),
                               this_week=week_of(timezone.now())))
        tiles.append(Tile(_("Recurring issues spiking"), count,
                          f"{reverse('issue_list')}?spikes=on", count > 0))
    return tiles

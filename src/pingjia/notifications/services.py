"""Telling people of case events: in-app notifications, e-mail and the departments' robots.

`case_events_notify` runs in a task after the case's transaction committed, so a failure here
never undoes or refuses a case action. It is idempotent: a notification is unique per event and
person, a robot message per event and robot, and an e-mail is claimed before it is sent.
Nothing sent out of the system (e-mail, robots) carries customer data: case numbers, states,
departments, stores and links only, because case titles and notes may quote what a customer
typed, phone numbers included.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Min
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pingjia.accounts.models import Membership, User
from pingjia.accounts.roles import ORGANISATION_WIDE, Role
from pingjia.cases.models import Case, CaseEvent
from pingjia.cases.workflow import State
from pingjia.notifications import robots
from pingjia.notifications.models import (
    DEFAULT_WAYS,
    DIGEST_KINDS,
    Notification,
    NotificationKind,
    NotificationPreference,
    Robot,
    RobotMessage,
    Way,
)
from pingjia.notifications.rules import CasePeople, Routing, route
from pingjia.notifications.selectors import unread_counts_refresh

log = logging.getLogger(__name__)

# A robot message is tried this many times, waiting after each failure as long as BACKOFF says.
MAX_ATTEMPTS = 5
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
           timedelta(hours=2))
THROTTLE_WINDOW = timedelta(minutes=1)
# Deadline alerts wait this long for the rest of the sweep before they go out as one digest.
DIGEST_WAIT = timedelta(minutes=1)
DIGEST_MAX_CASES = 30
# A message left `sending` this long belongs to a worker that died: it is tried again.
STALE_SENDING = timedelta(minutes=10)


def absolute_url(path: str) -> str:
    """A link for e-mail and robots, which have no request to take the address from."""
    return settings.PINGJIA_PUBLIC_URL + path


# --- who -------------------------------------------------------------------------------------


def review_manager_ids() -> frozenset[int]:
    """Active users who hold `cases.assign_case` organisation-wide (whichever roles grant it:
    an administrator may give it to another role in the admin)."""
    roles = Group.objects.filter(
        name__in=ORGANISATION_WIDE, permissions__content_type__app_label="cases",
        permissions__codename="assign_case").values_list("name", flat=True)
    return frozenset(Membership.objects.filter(role__in=roles, user__is_active=True)
                     .values_list("user_id", flat=True))


def case_people(cases: Iterable[Case]) -> dict[int, CasePeople]:
    """The people around each case, in two queries for any number of cases."""
    cases = list(cases)
    managers = review_manager_ids()
    heads: dict[int, set[int]] = defaultdict(set)
    for department_id, user_id in Membership.objects.filter(
            department__in={c.lead_department_id for c in cases if c.lead_department_id},
            role=Role.DEPARTMENT_HEAD, user__is_active=True).values_list(
            "department_id", "user_id"):
        heads[department_id].add(user_id)
    return {case.pk: CasePeople(
        managers=managers,
        heads=frozenset(heads.get(case.lead_department_id or 0, ())),
        handler=case.handler_id if case.handler is not None and case.handler.is_active
        else None) for case in cases}


# --- what they are told ----------------------------------------------------------------------


def _state_label(event: CaseEvent, case: Case) -> str:
    """The state the event left the case in, which the case may have left since."""
    return str(State(event.state_after).label) if event.state_after else case.get_state_display()


def _facts(case: Case, state: str) -> list[str]:
    """The lines every notification of a case carries: nothing about the customer."""
    lines = [_("State: %(state)s") % {"state": state}]
    if case.lead_department is not None:
        lines.append(_("Lead department: %(department)s") % {
            "department": case.lead_department.name})
    if case.store is not None:
        lines.append(_("Store: %(store)s") % {"store": case.store.name})
    if case.stage_due_at is not None and case.is_open:
        lines.append(_("Stage due: %(due)s") % {
            "due": timezone.localtime(case.stage_due_at).strftime("%Y-%m-%d %H:%M")})
    return lines


def _title(kind: str, case: Case, state: str) -> str:
    titles = {
        NotificationKind.TASK: _("%(number)s waits for you: %(state)s"),
        NotificationKind.AT_RISK: _("%(number)s: deadline near (%(state)s)"),
        NotificationKind.OVERDUE: _("%(number)s is overdue (%(state)s)"),
        NotificationKind.ESCALATED: _("%(number)s was escalated to you (%(state)s)"),
        NotificationKind.FINDING: _("%(number)s: a supervision finding to answer"),
        NotificationKind.CLOSED: _("%(number)s: %(state)s"),
    }
    return titles[NotificationKind(kind)] % {"number": case.number, "state": state}


def _body(case: Case, event: CaseEvent, state: str) -> str:
    # The step, not who took it: e-mail leaves the system, and names are personal data too.
    return "\n".join([*_facts(case, state),
                      _("Last step: %(action)s") % {"action": event.label}])


def _language(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def _ways(preferences: Mapping[tuple[int, str], NotificationPreference], user_id: int,
          kind: str) -> frozenset[str]:
    chosen = preferences.get((user_id, kind))
    if chosen is None:
        return DEFAULT_WAYS[kind]
    return frozenset(way for way, on in ((Way.IN_APP, chosen.in_app), (Way.EMAIL, chosen.email))
                     if on)


@dataclass(frozen=True)
class _Routed:
    event: CaseEvent
    case: Case
    routing: Routing


def _routed(events: list[CaseEvent]) -> list[_Routed]:
    people = case_people({e.case_id: e.case for e in events}.values())
    routed = []
    for event in events:
        case = event.case
        deadline = event.kind in (CaseEvent.Kind.AT_RISK, CaseEvent.Kind.OVERDUE)
        if deadline and (case.stage_entered_at > event.at or not case.is_open):
            continue  # the stage the alert was about is over: nobody needs to hurry now
        escalation = event.changes.get("escalation_level")
        level = escalation[1] if isinstance(escalation, list) else case.escalation_level
        routing = route(event=event.kind, state=event.state_after or case.state,
                        escalation_level=level, people=people[case.pk],
                        actor_id=event.actor_id)
        if routing is not None:
            routed.append(_Routed(event, case, routing))
    return routed


def case_events_notify(*, event_ids: Sequence[int]) -> int:
    """Tell whoever must act next of each event, the way each of them chose, and queue the
    robots' messages. Returns the number of notifications made."""
    events = list(CaseEvent.objects.filter(pk__in=event_ids).select_related(
        "case__lead_department", "case__store", "case__handler").order_by("pk"))
    routed = _routed(events)
    if not routed:
        return 0
    user_ids = set().union(*(r.routing.user_ids for r in routed))
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids, is_active=True)}
    preferences = {(p.user_id, p.kind): p for p in
                   NotificationPreference.objects.filter(user__in=users)}
    notifications = []
    for item in routed:
        kind = item.routing.kind
        for user_id in sorted(item.routing.user_ids & users.keys()):
            ways = _ways(preferences, user_id, kind)
            if not ways:
                continue
            with translation.override(_language(users[user_id])):
                state = _state_label(item.event, item.case)
                notifications.append(Notification(
                    user_id=user_id, case=item.case, event=item.event, kind=kind,
                    title=_title(kind, item.case, state),
                    body=_body(item.case, item.event, state),
                    url=reverse("case_detail", args=[item.case.pk]),
                    created_at=item.event.at, in_app=Way.IN_APP in ways,
                    by_email=Way.EMAIL in ways and bool(users[user_id].email)))
    with transaction.atomic():
        Notification.objects.bulk_create(notifications, ignore_conflicts=True)
        to_email = list(Notification.objects.filter(
            event__in=[r.event for r in routed], by_email=True, emailed_at__isnull=True,
        ).values_list("pk", flat=True))
        robot_ids = _queue_robot_messages(routed)
        told = {n.user_id for n in notifications}
        transaction.on_commit(lambda: _after_notifying(told, to_email, robot_ids),
                              robust=True)
    return len(notifications)


def _after_notifying(user_ids: set[int], notification_ids: list[int],
                     robot_ids: list[int]) -> None:
    from pingjia.notifications import tasks  # the tasks module imports this one

    unread_counts_refresh(user_ids)
    if notification_ids:
        tasks.email_notifications(notification_ids)
    for robot_id in robot_ids:
        tasks.deliver_robot_messages(robot_id)


# --- e-mail ----------------------------------------------------------------------------------


class EmailFailed(Exception):
    """Some e-mails could not be handed to the mail server; the task tries them again."""


def _email(notification: Notification) -> tuple[str, str]:
    with translation.override(_language(notification.user)):
        subject = f"[{_('Pingjia')}] {notification.title}"
        text = "\n\n".join([
            notification.title,
            notification.body,
            (_("Open the case: %(url)s") if notification.case_id is not None
             else _("Open: %(url)s")) % {"url": absolute_url(notification.url)},
            _("Choose which notifications you receive and how: %(url)s") % {
                "url": absolute_url(reverse("notification_settings"))},
        ])
    return subject, text


def notification_emails_send(*, notification_ids: Sequence[int]) -> int:
    """E-mail the notifications that were chosen to go by e-mail and have not gone yet. Each
    is claimed before sending, so two workers do not both send it; a failed one is released
    for the retry. Returns how many were sent."""
    sent, failed = 0, []
    for notification in Notification.objects.filter(
            pk__in=notification_ids, by_email=True, emailed_at__isnull=True,
            user__is_active=True).exclude(user__email="").select_related("user"):
        if not Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
                emailed_at=timezone.now()):
            continue
        subject, text = _email(notification)
        try:
            send_mail(subject, text, None, [notification.user.email])
        except Exception as error:  # any mail backend's failure: release it for the retry
            Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
            failed.append(f"{notification.pk}: {error}")
        else:
            sent += 1
    if failed:
        raise EmailFailed("; ".join(failed))
    return sent


# --- recurring issues ------------------------------------------------------------------------


def issue_spike_notify(*, issue_name: str, url: str, week_count: int, baseline: float) -> int:
    """Tell the review managers that a recurring issue spikes this week, each the way they
    chose (in-app, e-mail). The caller marks the spike as told in the same transaction, so
    that each spike is told once. Returns the number of notifications made. Only the issue's
    name and its counts go out: no review text."""
    managers = list(User.objects.filter(pk__in=review_manager_ids(), is_active=True))
    preferences = {(p.user_id, p.kind): p for p in NotificationPreference.objects.filter(
        user__in=managers, kind=NotificationKind.SPIKE)}
    now = timezone.now()
    notifications = []
    for user in managers:
        ways = _ways(preferences, user.pk, NotificationKind.SPIKE)
        if not ways:
            continue
        with translation.override(_language(user)):
            notifications.append(Notification(
                user=user, kind=NotificationKind.SPIKE,
                title=_("Recurring issue spiking: %(name)s") % {"name": issue_name},
                body=_("%(count)d complaints this week; usually about %(usual)s a week.") % {
                    "count": week_count, "usual": f"{baseline:g}"},
                url=url, created_at=now, in_app=Way.IN_APP in ways,
                by_email=Way.EMAIL in ways and bool(user.email)))
    with transaction.atomic():
        Notification.objects.bulk_create(notifications)
        to_email = [n.pk for n in notifications if n.by_email and n.pk is not None]
        told = {n.user_id for n in notifications}
        transaction.on_commit(lambda: _after_notifying(told, to_email, []), robust=True)
    return len(notifications)


# --- robots ----------------------------------------------------------------------------------


def _robot_case_line(case: Case, state: str) -> str:
    department = case.lead_department.name if case.lead_department else _("not assigned")
    return f"{case.number} · {state} · {department}"


def _queue_robot_messages(routed: list[_Routed]) -> list[int]:
    """One message per event for each robot that posts its kind about the case's department;
    deadline alerts as digest items. Returns the robots to deliver to now."""
    robots_ = list(Robot.objects.filter(is_active=True))
    if not robots_:
        return []
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for item in routed:
            kind, case = item.routing.kind, item.case
            for robot in robots_:
                if not robot.posts(kind) or robot.department_id not in (
                        None, case.lead_department_id):
                    continue
                link = absolute_url(reverse("case_detail", args=[case.pk]))
                state = _state_label(item.event, case)
                if kind in DIGEST_KINDS:
                    messages.append(RobotMessage(
                        robot=robot, kind=kind, case=case, event=item.event, digest_item=True,
                        title=str(NotificationKind(kind).label),
                        lines=[[_robot_case_line(case, state), link]]))
                    continue
                facts = [_("State: %(state)s") % {"state": state}]
                if case.lead_department is not None:
                    facts.append(_("Lead department: %(department)s") % {
                        "department": case.lead_department.name})
                messages.append(RobotMessage(
                    robot=robot, kind=kind, case=case, event=item.event,
                    title=f"{NotificationKind(kind).label}: {case.number}",
                    lines=[*[[fact, ""] for fact in facts], [_("Open the case"), link]]))
    RobotMessage.objects.bulk_create(messages, ignore_conflicts=True)
    return sorted({m.robot.pk for m in messages if not m.digest_item})


def _fold_digest(robot: Robot, now: datetime) -> None:
    """Fold the robot's waiting deadline alerts into one message once the oldest has waited
    DIGEST_WAIT, so a sweep that finds many late cases posts once, not once per case."""
    items = list(robot.messages.filter(status=RobotMessage.Status.PENDING, digest_item=True)
                 .order_by("created_at", "pk"))
    if not items or items[0].created_at > now - DIGEST_WAIT:
        return
    by_kind: dict[str, list[RobotMessage]] = defaultdict(list)
    for item in items:
        by_kind[item.kind].append(item)
    with translation.override(settings.LANGUAGE_CODE):
        lines: list[list[str]] = []
        shown = 0
        for kind in (NotificationKind.OVERDUE, NotificationKind.AT_RISK):
            if kind not in by_kind:
                continue
            lines.append([f"{kind.label} ({len(by_kind[kind])})", ""])
            for item in by_kind[kind]:
                if shown < DIGEST_MAX_CASES:
                    lines.extend(item.lines)
                shown += 1
        if shown > DIGEST_MAX_CASES:
            lines.append([_("… and %(count)d more") % {"count": shown - DIGEST_MAX_CASES},
                          absolute_url(reverse("case_list") + "?queue=overdue")])
        digest = RobotMessage.objects.create(
            robot=robot, title=_("Deadline alerts: %(count)d cases") % {"count": len(items)},
            kind=NotificationKind.OVERDUE if NotificationKind.OVERDUE in by_kind
            else NotificationKind.AT_RISK, lines=lines, created_at=now, next_attempt_at=now)
    RobotMessage.objects.filter(pk__in=[i.pk for i in items]).update(
        status=RobotMessage.Status.MERGED, digest=digest)


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int
    waiting: int  # left for a later run: throttled, backing off, or digest items


def robot_deliver(*, robot_id: int, now: datetime | None = None) -> Delivery:
    """Post the robot's due messages, at most `per_minute` in any minute; the rest wait for a
    later run. The claim is made under the robot's row lock and the posting outside any
    transaction, so a slow webhook holds no lock. A failure is logged on the message and
    tried again after BACKOFF, up to MAX_ATTEMPTS."""
    now = now or timezone.now()
    with transaction.atomic():
        robot = Robot.objects.select_for_update(of=("self",)).filter(pk=robot_id).first()
        if robot is None or not robot.is_active:
            return Delivery(0, 0, 0)
        _fold_digest(robot, now)
        used = robot.messages.filter(digest_item=False,
                                     attempted_at__gt=now - THROTTLE_WINDOW).count()
        claimed = list(robot.messages.filter(
            status=RobotMessage.Status.PENDING, digest_item=False, next_attempt_at__lte=now,
        ).order_by("next_attempt_at", "pk")[:max(robot.per_minute - used, 0)])
        RobotMessage.objects.filter(pk__in=[m.pk for m in claimed]).update(
            status=RobotMessage.Status.SENDING, attempted_at=now, attempts=F("attempts") + 1)
    sent = failed = 0
    for message in claimed:
        message.attempts += 1
        text = robots.RobotText(message.title, tuple((t, u) for t, u in message.lines))
        try:
            robots.post(robots.build_request(robot.kind, webhook=robot.webhook_url,
                                             secret=robot.secret, text=text, now=now))
        except (robots.DeliveryError, ValueError) as error:
            _record_failure(message, str(error), now)
            failed += 1
        else:
            RobotMessage.objects.filter(pk=message.pk).update(
                status=RobotMessage.Status.SENT, sent_at=now, error="")
            sent += 1
    waiting = robot.messages.filter(status=RobotMessage.Status.PENDING).count()
    return Delivery(sent, failed, waiting)


def _record_failure(message: RobotMessage, error: str, now: datetime) -> None:
    log.warning("robot %s message %s failed (attempt %s): %s", message.robot_id, message.pk,
                message.attempts, error)
    if message.attempts >= MAX_ATTEMPTS:
        RobotMessage.objects.filter(pk=message.pk).update(
            status=RobotMessage.Status.FAILED, error=error[:2000])
        return
    RobotMessage.objects.filter(pk=message.pk).update(
        status=RobotMessage.Status.PENDING, error=error[:2000],
        next_attempt_at=now + BACKOFF[min(message.attempts, len(BACKOFF)) - 1])


def robots_waiting(*, now: datetime | None = None) -> list[int]:
    """Robots with messages to post: throttled ones, retries that are due, digests that have
    waited. Messages left `sending` by a worker that died are released first."""
    now = now or timezone.now()
    RobotMessage.objects.filter(status=RobotMessage.Status.SENDING,
                                attempted_at__lt=now - STALE_SENDING).update(
        status=RobotMessage.Status.PENDING)
    due = RobotMessage.objects.filter(status=RobotMessage.Status.PENDING,
                                      robot__is_active=True)
    regular = due.filter(digest_item=False, next_attempt_at__lte=now)
    digests = due.filter(digest_item=True).values("robot").annotate(
        oldest=Min("created_at")).filter(oldest__lte=now - DIGEST_WAIT)
    return sorted(set(regular.values_list("robot", flat=True))
                  | {row["robot"] for row in digests})


def robot_send_test(*, robot_id: int) -> RobotMessage:
    """Post a test message now, through the log and the throttle like any other."""
    robot = Robot.objects.get(pk=robot_id)
    with translation.override(settings.LANGUAGE_CODE):
        message = RobotMessage.objects.create(
            robot=robot, kind=RobotMessage.TEST, title=_("Pingjia test message"),
            lines=[[_("This robot is set up: %(name)s") % {"name": robot.name}, ""],
                   [_("Open Pingjia"), absolute_url(reverse("home"))]])
    robot_deliver(robot_id=robot.pk)
    message.refresh_from_db()
    return message


# --- the in-app list and the choices ---------------------------------------------------------


def notification_open(*, user: User, notification_id: int) -> Notification:
    """The user's own notification, marked read; 404 for anyone else's."""
    notification = Notification.objects.for_user(user).filter(pk=notification_id).first()
    if notification is None:
        raise Http404(_("Not found."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at)
        _recount_unread(user)
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    marked = Notification.objects.for_user(user).unread().update(read_at=timezone.now())
    _recount_unread(user)
    return marked


def _recount_unread(user: User) -> None:
    # Now, for this person's next page; and after commit, in case another request cached
    # the old count in between.
    unread_counts_refresh([user.pk])
    transaction.on_commit(lambda: unread_counts_refresh([user.pk]))


def notification_preferences_save(*, user: User, ways: Mapping[str, Iterable[str]]) -> None:
    """`ways` maps each kind to the ways chosen for it; a kind left out keeps its choice."""
    with transaction.atomic():
        for kind, chosen in ways.items():
            chosen = set(chosen)
            NotificationPreference.objects.update_or_create(
                user=user, kind=NotificationKind(kind),
                defaults={"in_app": Way.IN_APP in chosen, "email": Way.EMAIL in chosen})


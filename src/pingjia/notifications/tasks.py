"""Notification work off the request: telling people of case events, e-mail, robot delivery.
Tasks take ids, call a service, and may run twice without telling anyone twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from pingjia.notifications import services


@db_task(retries=3, retry_delay=60)
def notify_case_events(event_ids: list[int]) -> None:
    services.case_events_notify(event_ids=event_ids)


@db_task(retries=5, retry_delay=300)
def email_notifications(notification_ids: list[int]) -> None:
    services.notification_emails_send(notification_ids=notification_ids)


@db_task()
def deliver_robot_messages(robot_id: int) -> None:
    services.robot_deliver(robot_id=robot_id)


# Every minute: what the throttle held back, failed posts whose backoff has passed, and the
# deadline digests once the sweep's alerts have gathered.
@db_periodic_task(crontab(minute="*"))
@lock_task("notifications-robots-waiting")
def deliver_waiting_robot_messages() -> None:
    for robot_id in services.robots_waiting():
        deliver_robot_messages(robot_id)

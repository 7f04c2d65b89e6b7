"""Background analysis: every new review is analysed, then the negative ones open their cases;
the models retrain from the organisation's labels every week."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from pingjia.analysis.engine import engine_key
from pingjia.analysis.issues import issues_assign_new, issues_check_spikes, issues_recompute
from pingjia.analysis.services import models_train, reviews_analyse_new, reviews_reanalyse


def _process_new_reviews() -> None:
    from pingjia.cases.services import cases_open_automatically

    reviews_analyse_new()
    issues_assign_new()
    cases_open_automatically()


@db_periodic_task(crontab(minute="*"))
@lock_task("new-reviews")
def new_reviews_periodically() -> None:
    _process_new_reviews()


@db_task()
@lock_task("new-reviews")
def new_reviews() -> None:
    """Enqueued when reviews arrive, so that they are analysed within seconds."""
    _process_new_reviews()


@db_periodic_task(crontab(day_of_week="0", hour="3", minute="30"))
@lock_task("models-train")
def retrain_weekly() -> None:
    models_train(actor=None, activate="if_better")


@db_task()
@lock_task("models-train")
def retrain_now(actor_id: int) -> None:
    """Enqueued from the models page: the same training as every week, by that person."""
    from pingjia.accounts.models import User

    models_train(actor=User.objects.filter(pk=actor_id).first(), activate="if_better")


# A second change while a run goes on finds the lock taken: it retries after the run, which has
# itself started over for that change where it saw it in time.
@db_task(retries=3, retry_delay=60)
@lock_task("reanalyse")
def reanalyse_all() -> None:
    """Enqueued when the models in use or the taxonomy change: every review is analysed again,
    and again where they changed once more during the run."""
    while True:
        key = engine_key()
        reviews_reanalyse()
        if engine_key() == key:
            return


@db_periodic_task(crontab(hour="2", minute="15"))
@lock_task("issues-recompute")
def issues_recompute_nightly() -> None:
    """Regroup every complaint: what the incremental passes placed one by one is weighed
    again together, and groups that grew alike come together."""
    issues_recompute()


@db_periodic_task(crontab(minute="5"))
@lock_task("issues-spikes")
def issues_spikes_hourly() -> None:
    issues_check_spikes()

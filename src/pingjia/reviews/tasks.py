from __future__ import annotations

from huey.contrib.djhuey import db_task

from pingjia.reviews.services import review_import_process


@db_task()
def import_process(run_id: int) -> None:
    review_import_process(run_id=run_id)

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status

import pingjia
from pingjia.core.health import database_finding

router = Router(tags=["system"])


class HealthOut(Schema):
    status: str
    database: str
    version: str


@router.get("/health", auth=None, response={200: HealthOut, 503: HealthOut},
            summary="Liveness for load balancers; no log-in needed")
def health(request: HttpRequest) -> Status[HealthOut]:
    database = database_finding(migrations=False).status
    healthy = database == "ok"
    return Status(200 if healthy else 503, HealthOut(status="ok" if healthy else "error",
                                                     database=database,
                                                     version=pingjia.__version__))

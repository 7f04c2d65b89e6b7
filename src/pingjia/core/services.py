from __future__ import annotations

import os
import socket

from django.utils import timezone

from pingjia.core.models import Heartbeat


def heartbeat_record(*, name: str) -> Heartbeat:
    heartbeat, _created = Heartbeat.objects.update_or_create(
        name=name,
        defaults={"beat_at": timezone.now(), "host": socket.gethostname(), "pid": os.getpid()},
    )
    return heartbeat

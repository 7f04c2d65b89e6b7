from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from pingjia.accounts.services import personal_data_reencrypt


class Command(BaseCommand):
    help = ("Re-encrypt all personal data under the first key of PINGJIA_FIELD_KEYS. To rotate: "
            "put a new key first (keep the old ones after it), restart, run this, then remove "
            "the old keys.")

    def handle(self, *args: Any, **options: Any) -> None:
        for label, count in personal_data_reencrypt(actor=None).items():
            self.stdout.write(f"{label}: {count} rows re-encrypted")

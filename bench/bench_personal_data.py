"""Cost of personal data at rest: Fernet encryption, decryption, keyed hash, and saving rows."""

from __future__ import annotations

import itertools

from harness import measure, setup_django

N = 5_000


def main() -> None:
    setup_django()
    from django.db import transaction

    from pingjia.accounts.models import User
    from pingjia.core import crypto

    phones = [f"139{i:08d}" for i in range(N)]
    tokens = [crypto.encrypt(p) for p in phones]
    counter = itertools.count()

    def encrypt() -> int:
        for phone in phones:
            crypto.encrypt(phone)
        return N

    def decrypt() -> int:
        for token in tokens:
            crypto.decrypt(token)
        return N

    def lookup_hash() -> int:
        for phone in phones:
            crypto.lookup_hash(phone, "phone")
        return N

    def save_users() -> int:
        run = next(counter)
        with transaction.atomic():
            User.objects.bulk_create(
                [User(username=f"b{run}-{i}", name="测试", phone=p,
                      phone_hash=crypto.lookup_hash(p, "phone"))
                 for i, p in enumerate(phones[:1000])])
        return 1000

    measure("encrypt a phone number", encrypt, unit="values")
    measure("decrypt a phone number", decrypt, unit="values")
    measure("keyed hash of a phone number", lookup_hash, unit="values")
    measure("bulk-create users with encrypted phone", save_users, unit="rows")


if __name__ == "__main__":
    main()

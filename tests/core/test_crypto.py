from __future__ import annotations

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import connection
from django.test import override_settings

from pingjia.accounts.models import User
from pingjia.accounts.services import personal_data_reencrypt
from pingjia.core import crypto
from tests.factories import UserFactory

OLD_KEY = "dGVzdC1maWVsZC1rZXktMDEyMzQ1Njc4OWFiY2RlZjA="
NEW_KEY = "bmV3LWZpZWxkLWtleS0wMTIzNDU2Nzg5YWJjZGVmMDE="


def raw_phone(user: User) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM accounts_user WHERE id = %s", [user.pk])
        value: str = cursor.fetchone()[0]
    return value


def test_phone_is_encrypted_at_rest_and_read_back(db: None) -> None:
    user = UserFactory(phone="13812341234")
    stored = raw_phone(user)
    assert "1234" not in stored and stored.startswith("gAAAAA")  # a Fernet token
    assert User.objects.get(pk=user.pk).phone == "13812341234"


def test_equal_phones_encrypt_differently_but_share_the_lookup_hash(db: None) -> None:
    a, b = UserFactory(phone="13812341234"), UserFactory(phone="+86 138 1234 1234")
    assert raw_phone(a) != raw_phone(b)
    assert a.phone_hash == b.phone_hash == crypto.lookup_hash("13812341234", "phone")
    assert set(User.objects.filter(phone_hash=crypto.lookup_hash("138-1234-1234", "phone"))) \
        == {a, b}


def test_empty_phone_has_no_hash(db: None) -> None:
    assert UserFactory(phone="").phone_hash == ""


def test_lookups_on_encrypted_field_are_refused(db: None) -> None:
    with pytest.raises(FieldError, match="keyed hash"):
        list(User.objects.filter(phone="13812341234"))
    assert not User.objects.filter(phone__isnull=True).exists()


def test_lookup_hash_separates_kinds() -> None:
    assert crypto.lookup_hash("13812341234", "phone") != crypto.lookup_hash("13812341234", "text")


def test_key_rotation_keeps_old_values_readable_and_reencrypt_moves_them(db: None) -> None:
    user = UserFactory(phone="13812341234")
    before = raw_phone(user)
    with override_settings(PINGJIA_FIELD_KEYS=[NEW_KEY, OLD_KEY]):
        assert User.objects.get(pk=user.pk).phone == "13812341234"
        counts = personal_data_reencrypt(actor=None)
        assert counts["accounts.User"] >= 1
        assert raw_phone(user) != before
    with override_settings(PINGJIA_FIELD_KEYS=[NEW_KEY]):
        assert User.objects.get(pk=user.pk).phone == "13812341234"
        assert User.objects.get(pk=user.pk).phone_hash == user.phone_hash


def test_value_under_a_removed_key_fails_with_a_clear_message(db: None) -> None:
    user = UserFactory(phone="13812341234")
    with override_settings(PINGJIA_FIELD_KEYS=[NEW_KEY]), \
            pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        User.objects.get(pk=user.pk)


def test_malformed_key_is_reported() -> None:
    with override_settings(PINGJIA_FIELD_KEYS=["not-a-key"]), \
            pytest.raises(ImproperlyConfigured, match="32 bytes"):
        crypto.encrypt("x")


def test_lookup_hash_is_the_hmac_of_kind_and_normalised_value() -> None:
    # Stored hashes must keep matching: the formula is fixed, however it is computed.
    import hashlib
    import hmac

    from django.conf import settings

    for value, kind, normalised in [("+86 138-1234-1234", "phone", "13812341234"),
                                    (" A@B.cn ", "email", "a@b.cn"), ("小  王", "text", "小 王")]:
        expected = hmac.new(settings.PINGJIA_LOOKUP_KEY.encode(), f"{kind}:{normalised}".encode(),
                            hashlib.sha256).hexdigest()
        assert crypto.lookup_hash(value, kind) == expected

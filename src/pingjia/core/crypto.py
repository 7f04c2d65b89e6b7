"""Encryption at rest of personal data, and the keyed hash that finds it again.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under the first of
`settings.PINGJIA_FIELD_KEYS`; older keys still decrypt, so keys can be rotated and the data
re-encrypted (`pingjia reencrypt`). Ciphertext is randomised, so equal values
never look equal in the database: exact look-ups go through `lookup_hash`, an HMAC-SHA256 of the
normalised value under `settings.PINGJIA_LOOKUP_KEY`, stored beside the ciphertext.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "PINGJIA_FIELD_KEYS must be comma-separated url-safe base64 keys of 32 bytes."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.PINGJIA_FIELD_KEYS))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A personal-data value cannot be decrypted with any key in PINGJIA_FIELD_KEYS: "
            "a key that encrypted it has been removed."
        ) from None


# --- normalisation before hashing: equal in the customer's eyes means equal hash -------------

def normalize_phone(value: str) -> str:
    """Digits only; a mainland country code (+86, 0086, 86 before a mobile number) dropped."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix):]
    return digits


def normalize_email(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lower()


def normalize_text(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).split())


NORMALIZERS: dict[str, Callable[[str], str]] = {
    "phone": normalize_phone,
    "email": normalize_email,
    "text": normalize_text,
}


def lookup_hash(value: str, kind: str) -> str:
    """Keyed hash of `value` normalised as `kind`; the kind separates domains, so a phone number
    and an identical platform id never share a hash."""
    normalized = NORMALIZERS[kind](value)
    keyed = _keyed_hmac(settings.PINGJIA_LOOKUP_KEY).copy()
    keyed.update(f"{kind}:{normalized}".encode())
    return keyed.hexdigest()


@lru_cache(maxsize=4)
def _keyed_hmac(key: str) -> hmac.HMAC:
    """An HMAC with the key already absorbed: copying it costs half of keying a new one, and
    an import hashes a phone and a nickname per row."""
    return hmac.new(key.encode(), digestmod=hashlib.sha256)

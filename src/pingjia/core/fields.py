"""Model fields for personal data: encrypted at rest, found again by a keyed hash."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError
from django.db import models

from pingjia.core import crypto


class EncryptedTextField(models.TextField):
    """Text stored encrypted. Comparisons in SQL are meaningless on it, so every look-up but
    `isnull` is refused: filter on its `BlindIndexField` instead."""

    description = "Encrypted text"
    personal_data = True

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise FieldError(
                f"{self.name} is encrypted: look it up through its keyed hash, not '{lookup_name}'."
            )
        return super().get_lookup(lookup_name)


class BlindIndexField(models.CharField):
    """Keyed hash of another field of the same model, computed whenever the model is saved.

    `kind` names the normalisation (`phone`, `email`, `text`; see `crypto.NORMALIZERS`). An
    empty source gives an empty hash."""

    def __init__(self, *args: Any, source: str, kind: str, **kwargs: Any) -> None:
        self.source = source
        self.kind = kind
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["kind"] = self.kind
        for key, default in (("max_length", 64), ("editable", False), ("db_index", True),
                             ("blank", True), ("default", "")):
            if kwargs.get(key) == default:
                kwargs.pop(key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        source = getattr(model_instance, self.source)
        value = crypto.lookup_hash(source, self.kind) if source else ""
        setattr(model_instance, self.attname, value)
        return value

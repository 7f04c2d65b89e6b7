from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction

from pingjia.accounts.models import AuditAction, AuditEntry
from pingjia.accounts.services import audit_record
from tests.factories import UserFactory


def test_entries_cannot_be_changed_or_deleted_through_the_orm(db: None) -> None:
    entry = audit_record(actor=None, action=AuditAction.CHANGED, note="x")
    entry.note = "rewritten"
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        entry.delete()
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.filter(pk=entry.pk).update(note="rewritten")
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).note == "x"


def test_the_database_refuses_an_update_behind_the_orms_back(db: None) -> None:
    entry = audit_record(actor=None, action=AuditAction.CHANGED, note="x")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_auditentry SET note = 'rewritten' WHERE id = %s",
                       [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).note == "x"


def test_a_person_with_a_history_cannot_be_deleted(db: None) -> None:
    from django.db.models import ProtectedError

    user = UserFactory()
    audit_record(actor=user, action=AuditAction.LOGIN, target=user)
    with pytest.raises(ProtectedError):
        user.delete()

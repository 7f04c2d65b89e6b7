from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.utils import timezone

from pingjia.accounts import services
from pingjia.accounts.models import ApiToken, AuditAction, AuditEntry, Membership, TokenScope
from pingjia.accounts.roles import Role
from pingjia.core.errors import ApplicationError
from tests.conftest import Org
from tests.factories import PASSWORD, UserFactory


def actions_on(obj: object) -> list[str]:
    return list(AuditEntry.objects.filter(target_id=str(obj.pk))  # type: ignore[attr-defined]
                .order_by("pk").values_list("action", flat=True))


# --- log-in --------------------------------------------------------------------------------------

def test_login_with_right_password_is_audited(db: None) -> None:
    user = UserFactory()
    assert services.login_attempt(username=user.username, password=PASSWORD,
                                  ip="10.0.0.1") == user
    entry = AuditEntry.objects.get(action=AuditAction.LOGIN)
    assert (entry.actor, entry.ip) == (user, "10.0.0.1")


def test_wrong_password_counts_and_is_audited(db: None) -> None:
    user = UserFactory()
    with pytest.raises(ApplicationError) as error:
        services.login_attempt(username=user.username, password="wrong")
    assert error.value.code == "invalid_credentials"
    user.refresh_from_db()
    assert user.failed_logins == 1
    assert actions_on(user) == [AuditAction.LOGIN_FAILED]


def test_unknown_user_gets_the_same_message_as_a_wrong_password(db: None) -> None:
    user = UserFactory()
    with pytest.raises(ApplicationError) as unknown:
        services.login_attempt(username="nobody", password="wrong")
    with pytest.raises(ApplicationError) as wrong:
        services.login_attempt(username=user.username, password="wrong")
    assert unknown.value.message == wrong.value.message


@override_settings(PINGJIA_LOGIN_MAX_FAILURES=3, PINGJIA_LOGIN_LOCK_MINUTES=15)
def test_repeated_failures_lock_the_account_even_for_the_right_password(db: None) -> None:
    user = UserFactory()
    for _ in range(3):
        with pytest.raises(ApplicationError):
            services.login_attempt(username=user.username, password="wrong")
    user.refresh_from_db()
    assert user.is_locked(timezone.now())
    with pytest.raises(ApplicationError) as error:
        services.login_attempt(username=user.username, password=PASSWORD)
    assert error.value.code == "account_locked"
    assert AuditAction.LOGIN_LOCKED in actions_on(user)


@override_settings(PINGJIA_LOGIN_MAX_FAILURES=2)
def test_lock_expires_and_unlock_clears_it(db: None) -> None:
    user = UserFactory()
    for _ in range(2):
        with pytest.raises(ApplicationError):
            services.login_attempt(username=user.username, password="wrong")
    user.refresh_from_db()
    user.locked_until = timezone.now() - timedelta(seconds=1)
    user.save(update_fields=["locked_until"])
    assert services.login_attempt(username=user.username, password=PASSWORD) == user
    user.refresh_from_db()
    assert (user.failed_logins, user.locked_until) == (0, None)

    user.locked_until = timezone.now() + timedelta(hours=1)
    user.save(update_fields=["locked_until"])
    services.user_unlock(actor=None, user=user)
    assert services.login_attempt(username=user.username, password=PASSWORD) == user


def test_inactive_user_cannot_log_in(db: None) -> None:
    user = UserFactory(is_active=False)
    with pytest.raises(ApplicationError) as error:
        services.login_attempt(username=user.username, password=PASSWORD)
    assert error.value.code == "invalid_credentials"


# --- people, roles, audit ------------------------------------------------------------------------

def test_user_create_refuses_taken_username_and_weak_password(db: None) -> None:
    UserFactory(username="zhang")
    with pytest.raises(ApplicationError) as taken:
        services.user_create(actor=None, username="zhang", name="张三")
    assert taken.value.code == "username_taken"
    with pytest.raises(ApplicationError) as weak:
        services.user_create(actor=None, username="li", name="李四", password="123")
    assert weak.value.code == "weak_password"


def test_user_create_audits_without_secrets(db: None) -> None:
    user = services.user_create(actor=None, username="wang", name="王五",
                                password="long-enough-passphrase", phone="13812341234")
    entry = AuditEntry.objects.get(action=AuditAction.CREATED, target_id=str(user.pk))
    assert entry.actor is None and entry.actor_name
    assert entry.changes["username"] == [None, "wang"]
    assert entry.changes["phone"] == ["", "•••"]
    assert "password" not in entry.changes and "phone_hash" not in entry.changes


def test_membership_grant_is_idempotent_and_revoke_is_audited(org: Org) -> None:
    user = UserFactory()
    first = services.membership_grant(actor=org["admin"], user=user, department=org.dept_a,
                                      role=Role.HANDLER)
    again = services.membership_grant(actor=org["admin"], user=user, department=org.dept_a,
                                      role=Role.HANDLER)
    assert first == again and Membership.objects.filter(user=user).count() == 1
    services.membership_revoke(actor=org["admin"], membership=first)
    assert actions_on(user) == [AuditAction.ROLE_GRANTED, AuditAction.ROLE_REVOKED]


def test_membership_grant_refuses_unknown_role(org: Org) -> None:
    with pytest.raises(ApplicationError):
        services.membership_grant(actor=None, user=org["handler_a"], department=org.dept_a,
                                  role="boss")


def test_granting_a_role_changes_permissions_at_once(org: Org) -> None:
    user = org["handler_a"]
    assert not user.has_perm("accounts.view_auditentry")
    services.membership_grant(actor=None, user=user, department=org.review,
                              role=Role.SUPERVISOR)
    assert user.has_perm("accounts.view_auditentry")


# --- personal data -------------------------------------------------------------------------------

def test_reveal_returns_the_phone_and_audits_the_reason(org: Org) -> None:
    handler = org["handler_a"]
    value = services.personal_data_reveal(actor=org["head_a"], obj=handler, field="phone",
                                          reason="安排回访")
    assert value == handler.phone
    entry = AuditEntry.objects.get(action=AuditAction.PERSONAL_DATA_VIEWED)
    assert (entry.actor, entry.target_id, entry.note) == (org["head_a"], str(handler.pk),
                                                           "安排回访")
    assert handler.phone not in str(entry.changes)


@pytest.mark.parametrize("persona", ["head_b", "executive", "supervisor"])
def test_reveal_is_refused_outside_scope_or_without_permission(org: Org, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        services.personal_data_reveal(actor=org[persona], obj=org["handler_a"], field="phone")
    assert not AuditEntry.objects.filter(action=AuditAction.PERSONAL_DATA_VIEWED).exists()


def test_reveal_refuses_fields_that_are_not_personal_data(org: Org) -> None:
    with pytest.raises(ApplicationError):
        services.personal_data_reveal(actor=org["manager"], obj=org["handler_a"],
                                      field="username")


# --- API tokens ----------------------------------------------------------------------------------

def test_token_is_stored_hashed_and_authenticates(org: Org) -> None:
    token, secret = services.api_token_create(actor=org["manager"], user=org["manager"],
                                              name="美团同步", scopes=[TokenScope.ORG_READ])
    assert secret.startswith("pjt_") and secret not in {token.digest, token.prefix}
    assert not ApiToken.objects.filter(digest__contains=secret).exists()
    assert services.api_token_authenticate(secret) == token
    assert services.api_token_authenticate(secret + "x") is None
    assert services.api_token_authenticate("Bearer nonsense") is None


def test_token_last_used_is_written_at_most_once_a_minute(org: Org) -> None:
    token, secret = services.api_token_create(actor=None, user=org["manager"], name="t",
                                              scopes=[TokenScope.ORG_READ])
    services.api_token_authenticate(secret)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    services.api_token_authenticate(secret)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    services.api_token_authenticate(secret)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


def test_revoked_and_expired_tokens_do_not_authenticate(org: Org) -> None:
    token, secret = services.api_token_create(actor=None, user=org["manager"], name="t",
                                              scopes=[TokenScope.ORG_READ])
    services.api_token_revoke(actor=org["manager"], token=token)
    assert services.api_token_authenticate(secret) is None
    token, secret = services.api_token_create(
        actor=None, user=org["manager"], name="t2", scopes=[TokenScope.ORG_READ],
        expires_at=timezone.now() + timedelta(days=1))
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert services.api_token_authenticate(secret) is None
    assert actions_on(token) == [AuditAction.TOKEN_CREATED]


def test_token_of_a_deactivated_user_stops_working(org: Org) -> None:
    _token, secret = services.api_token_create(actor=None, user=org["manager"], name="t",
                                               scopes=[TokenScope.ORG_READ])
    org["manager"].is_active = False
    org["manager"].save()
    assert services.api_token_authenticate(secret) is None


@pytest.mark.parametrize(("scopes", "name"), [([], "n"), (["everything"], "n"),
                                              ([TokenScope.ORG_READ], " ")])
def test_token_create_validates_its_input(org: Org, scopes: list[str], name: str) -> None:
    with pytest.raises(ApplicationError):
        services.api_token_create(actor=None, user=org["manager"], name=name, scopes=scopes)


def test_token_create_needs_the_permission(org: Org) -> None:
    with pytest.raises(PermissionDenied):
        services.api_token_create(actor=org["handler_a"], user=org["handler_a"], name="t",
                                  scopes=[TokenScope.ORG_READ])
    with pytest.raises(PermissionDenied):
        services.api_token_create(actor=org["manager"], user=org["handler_a"], name="t",
                                  scopes=[TokenScope.ORG_READ])
    token, _secret = services.api_token_create(actor=org["admin"], user=org["handler_a"],
                                               name="t", scopes=[TokenScope.ORG_READ])
    assert token.user == org["handler_a"]

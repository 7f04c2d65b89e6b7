from __future__ import annotations

from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from pingjia.accounts.models import ApiToken, AuditAction, AuditEntry
from pingjia.accounts.services import audit_record
from tests.conftest import Org, client_for
from tests.factories import PASSWORD


def test_login_then_lands_on_next_and_sets_language(org: Org) -> None:
    user = org["head_a"]
    user.language = "en"
    user.save()
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD,
                                              "next": reverse("account")})
    assert response.status_code == 302 and response["Location"] == reverse("account")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert client.get(reverse("account")).status_code == 200


def test_login_refuses_an_outside_next(org: Org) -> None:
    response = Client().post(reverse("login"), {"username": "head_a", "password": PASSWORD,
                                                "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_wrong_password_shows_the_reason_and_keeps_the_user_out(org: Org) -> None:
    client = Client()
    response = client.post(reverse("login"), {"username": "head_a", "password": "nope"})
    assert response.status_code == 400
    assert "用户名或密码错误" in response.content.decode() or "Wrong" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


@override_settings(PINGJIA_LOGIN_MAX_FAILURES=2)
def test_lockout_message_names_the_time(org: Org) -> None:
    client = Client(headers={"Accept-Language": "en"})
    for _ in range(2):
        response = client.post(reverse("login"), {"username": "head_a", "password": "nope"})
    assert response.status_code == 400
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_LOCKED).exists()


def test_logout_is_a_post_and_is_audited(org: Org) -> None:
    client = client_for(org["agent"])
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert AuditEntry.objects.filter(action=AuditAction.LOGOUT, actor=org["agent"]).exists()
    assert client.get(reverse("home")).status_code == 302


def test_password_change_checks_the_old_password_and_audits(org: Org) -> None:
    client = client_for(org["agent"])
    bad = client.post(reverse("password_change"), {"old_password": "x",
                                                   "new_password1": "a-new-long-passphrase",
                                                   "new_password2": "a-new-long-passphrase"})
    assert bad.status_code == 400
    good = client.post(reverse("password_change"), {"old_password": PASSWORD,
                                                    "new_password1": "a-new-long-passphrase",
                                                    "new_password2": "a-new-long-passphrase"})
    assert good.status_code == 302
    org["agent"].refresh_from_db()
    assert org["agent"].check_password("a-new-long-passphrase")
    assert AuditEntry.objects.filter(action=AuditAction.PASSWORD_CHANGED).count() == 1
    assert client.get(reverse("account")).status_code == 200  # still logged in


def test_token_page_shows_the_secret_once(org: Org) -> None:
    client = client_for(org["manager"])
    response = client.post(reverse("token_list"), {"name": "京东同步", "scopes": ["org:read"]},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=org["manager"])
    html = response.content.decode()
    assert 'id="token-panel"' in html and "<html" not in html  # the partial only
    secret = html.split('class="token-secret">')[1].split("<")[0]
    assert secret.startswith("pjt_") and token.prefix in secret
    assert secret not in client.get(reverse("token_list")).content.decode()


def test_token_page_reports_invalid_input(org: Org) -> None:
    response = client_for(org["manager"]).post(reverse("token_list"), {"name": "x"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoking_someone_elses_token_is_not_found(org: Org) -> None:
    from pingjia.accounts.services import api_token_create

    token, _secret = api_token_create(actor=None, user=org["admin"], name="t",
                                      scopes=["org:read"])
    response = client_for(org["manager"]).post(reverse("token_revoke", args=[token.pk]))
    assert response.status_code == 404
    assert client_for(org["admin"]).post(reverse("token_revoke", args=[token.pk])).status_code \
        == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_department_page_masks_phones(org: Org) -> None:
    html = client_for(org["executive"]).get(
        reverse("department_detail", args=[org.dept_a.pk])).content.decode()
    phone = org["handler_a"].phone
    assert phone not in html and f"{phone[:3]}****{phone[-4:]}" in html
    assert "hx-post" not in html  # the executive may not unmask


def test_reveal_shows_the_number_and_needs_a_reason(org: Org) -> None:
    client = client_for(org["head_a"])
    url = reverse("phone_reveal", args=[org["handler_a"].pk])
    refused = client.post(url, {"reason": ""}, headers={"HX-Request": "true"})
    assert refused.status_code == 400 and org["handler_a"].phone not in refused.content.decode()
    shown = client.post(url, {"reason": "通知排班"}, headers={"HX-Request": "true"})
    assert org["handler_a"].phone in shown.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.PERSONAL_DATA_VIEWED).count() == 1


def test_department_list_uses_a_fixed_number_of_queries(org: Org,
                                                        django_assert_max_num_queries: object
                                                        ) -> None:
    client = client_for(org["executive"])
    client.get(reverse("department_list"))  # warm the session
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        response = client.get(reverse("department_list"))
    assert response.status_code == 200
    for department in ("物流部", "餐饮部"):
        assert department in response.content.decode()


def test_audit_page_filters_and_answers_htmx_with_the_table_only(org: Org) -> None:
    audit_record(actor=org["manager"], action=AuditAction.LOGIN, target=org["manager"])
    audit_record(actor=org["agent"], action=AuditAction.LOGOUT, target=org["agent"])
    client = client_for(org["supervisor"])
    full = client.get(reverse("audit_list"), {"action": AuditAction.LOGIN})
    assert "<html" in full.content.decode() and "manager名" in full.content.decode()
    partial = client.get(reverse("audit_list"), {"action": AuditAction.LOGIN},
                         headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert "<html" not in html and 'id="results"' in html
    assert "manager名" in html and "agent名" not in html


def test_audit_page_pages_backwards(org: Org) -> None:
    for index in range(55):
        audit_record(actor=None, action=AuditAction.CHANGED, note=f"note-{index}")
    client = client_for(org["admin"])
    first = client.get(reverse("audit_list")).content.decode()
    assert "note-54" in first and "note-0<" not in first and "before=" in first
    older = first.split("before=")[1].split('"')[0]
    second = client.get(reverse("audit_list"), {"before": older}).content.decode()
    assert "note-0<" in second and "note-54" not in second


def test_language_switch_is_remembered_for_the_user(org: Org) -> None:
    client = client_for(org["agent"])
    response = client.post(reverse("language_switch"), {"language": "zh-hant", "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hant"
    org["agent"].refresh_from_db()
    assert org["agent"].language == "zh-hant"


def test_language_switch_ignores_unknown_languages_and_outside_next(org: Org) -> None:
    response = client_for(org["agent"]).post(reverse("language_switch"),
                                             {"language": "xx", "next": "https://evil.example"})
    assert response["Location"] == "/" and settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_pages_are_in_simplified_chinese_by_default(org: Org) -> None:
    html = client_for(org["admin"]).get(reverse("home")).content.decode()
    assert 'lang="zh-hans"' in html and "工作台" in html


def test_navigation_follows_permissions(org: Org) -> None:
    admin_html = client_for(org["admin"]).get(reverse("home")).content.decode()
    handler_html = client_for(org["handler_a"]).get(reverse("home")).content.decode()
    assert reverse("audit_list") in admin_html and reverse("admin:index") in admin_html
    assert reverse("audit_list") not in handler_html
    assert reverse("admin:index") not in handler_html


def test_pages_ignore_the_browsers_language_but_keep_the_users_choice(org: Org) -> None:
    client = client_for(org["admin"])
    english_browser = {"Accept-Language": "en-US,en;q=0.9"}
    assert "工作台" in client.get(reverse("home"), headers=english_browser).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Workbench" in client.get(reverse("home")).content.decode()


def test_api_messages_follow_accept_language(db: None) -> None:
    english = Client().get("/api/v1/me", headers={"Accept-Language": "en"}).json()
    chinese = Client().get("/api/v1/me").json()
    assert english["error"]["message"].startswith("Log in")
    assert chinese["error"]["message"] != english["error"]["message"]

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pingjia.accounts.models import AuditAction, TokenScope
from pingjia.accounts.services import api_token_create, api_token_revoke, audit_record
from tests.conftest import Org, client_for


def bearer(secret: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {secret}"})


def token_for(org: Org, persona: str, *scopes: str) -> str:
    _token, secret = api_token_create(actor=None, user=org[persona], name="integration",
                                      scopes=list(scopes))
    return secret


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def test_health_needs_no_login(db: None) -> None:
    body = Client().get("/api/v1/health").json()
    assert body["status"] == "ok" and body["database"] == "ok"


def test_me_with_a_token_reports_roles_and_the_token(org: Org) -> None:
    secret = token_for(org, "head_a", TokenScope.ORG_READ)
    body = bearer(secret).get("/api/v1/me").json()
    assert body["username"] == "head_a"
    assert [(r["department_code"], r["role"]) for r in body["roles"]] == [("a", "dept_head")]
    assert "accounts.view_personal_data" in body["permissions"]
    assert body["token"] == {"name": "integration", "scopes": ["org:read"]}


def test_token_without_the_scope_is_refused_with_the_reason(org: Org) -> None:
    secret = token_for(org, "supervisor", TokenScope.ORG_READ)
    error = assert_error(bearer(secret).get("/api/v1/audit"), 403, "permission_denied")
    assert "audit:read" in error["message"]
    allowed = bearer(token_for(org, "supervisor", TokenScope.AUDIT_READ)).get("/api/v1/audit")
    assert allowed.status_code == 200


def test_token_cannot_exceed_its_users_roles(org: Org) -> None:
    secret = token_for(org, "manager", TokenScope.AUDIT_READ)
    assert_error(bearer(secret).get("/api/v1/audit"), 403, "permission_denied")


@pytest.mark.parametrize("header", ["Bearer pjt_unknown", "Bearer ", "Basic abc", "pjt_x"])
def test_bad_credentials_get_401_in_the_error_shape(db: None, header: str) -> None:
    response = Client(headers={"Authorization": header}).get("/api/v1/me")
    assert_error(response, 401, "authentication_required")


def test_revoked_token_gets_401(org: Org) -> None:
    token, secret = api_token_create(actor=None, user=org["manager"], name="t",
                                     scopes=[TokenScope.ORG_READ])
    assert bearer(secret).get("/api/v1/me").status_code == 200
    api_token_revoke(actor=None, token=token)
    assert_error(bearer(secret).get("/api/v1/me"), 401, "authentication_required")


def test_out_of_scope_object_is_404_not_403(org: Org) -> None:
    secret = token_for(org, "head_b", TokenScope.ORG_READ)
    assert_error(bearer(secret).get(f"/api/v1/departments/{org.dept_a.pk}"), 404, "not_found")


def test_department_detail_masks_phones(org: Org) -> None:
    body = client_for(org["manager"]).get(f"/api/v1/departments/{org.dept_a.pk}").json()
    phones = {m["username"]: m["phone"] for m in body["members"]}
    real = org["handler_a"].phone
    assert phones["handler_a"] == f"{real[:3]}****{real[-4:]}"
    assert [h["username"] for h in body["heads"]] == ["head_a"]


def test_unknown_path_and_wrong_method_use_the_error_shape(org: Org) -> None:
    assert_error(Client().get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(Client().get("/api/v2/me"), 404, "not_found")
    assert_error(client_for(org["admin"]).delete("/api/v1/me"), 405, "method_not_allowed")


def test_validation_errors_name_the_field(org: Org) -> None:
    response = client_for(org["admin"]).get("/api/v1/audit", {"since": "yesterday"})
    error = assert_error(response, 422, "validation_error")
    assert any("since" in detail["loc"] for detail in error["details"])


def test_audit_pages_with_a_cursor_and_filters(org: Org) -> None:
    for index in range(5):
        audit_record(actor=org["manager"], action=AuditAction.CHANGED, note=f"n{index}")
    audit_record(actor=org["agent"], action=AuditAction.LOGIN)
    client = client_for(org["supervisor"])
    first = client.get("/api/v1/audit", {"limit": 3, "action": "changed"}).json()
    assert [e["note"] for e in first["items"]] == ["n4", "n3", "n2"]
    second = client.get("/api/v1/audit", {"limit": 3, "action": "changed",
                                          "cursor": first["next_cursor"]}).json()
    assert [e["note"] for e in second["items"]] == ["n1", "n0"]
    assert second["next_cursor"] is None
    assert_error(client.get("/api/v1/audit", {"cursor": "%%%"}), 400, "invalid_cursor")
    assert_error(client.get("/api/v1/audit", {"limit": 0}), 400, "invalid_limit")


def test_openapi_document_and_docs_are_served_without_a_cdn(db: None) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/departments" in schema["paths"]
    assert {"BearerToken", "SessionAuth"} <= set(schema["components"]["securitySchemes"])
    docs = Client().get("/api/v1/docs").content.decode()
    assert "cdn." not in docs and "/static/ninja/" in docs

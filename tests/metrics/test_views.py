"""The KPI page, the API endpoint and `pingjia kpi` over the hand-computed month."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from pingjia.accounts.models import TokenScope
from pingjia.accounts.services import api_token_create
from tests.conftest import client_for
from tests.metrics.scenario import Scenario


def test_the_page_shows_each_department_against_its_targets(scenario: Scenario) -> None:
    response = client_for(scenario.org["manager"]).get(reverse("kpi_month"),
                                                       {"month": "2025-03"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "物流部" in page and "餐饮部" in page
    # A's on-time rate 1/2 misses the 90% target: shown in red, with its counts.
    assert 'text-red fw-bold" title="1 / 2' in page
    assert 'text-green" title="1 / 1' in page  # B's satisfaction meets 85%
    assert f"?queue=all&amp;department={scenario.org.dept_a.pk}" in page
    assert 'value="2025-03"' in page


def test_a_head_sees_only_the_own_department_on_the_page(scenario: Scenario) -> None:
    page = client_for(scenario.org["head_b"]).get(
        reverse("kpi_month"), {"month": "2025-03"}).content.decode()
    assert "餐饮部" in page and "物流部" not in page


def test_the_page_answers_htmx_with_the_report_alone(scenario: Scenario) -> None:
    response = client_for(scenario.org["manager"]).get(
        reverse("kpi_month"), {"month": "2025-03"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="report">') and "<html" not in page


def test_a_bad_month_on_the_page_says_so_and_shows_this_month(scenario: Scenario) -> None:
    response = client_for(scenario.org["manager"]).get(reverse("kpi_month"),
                                                       {"month": "2025-13"})
    assert response.status_code == 200
    assert "YYYY-MM" in response.content.decode()


def test_the_api_gives_numerators_denominators_and_targets(scenario: Scenario) -> None:
    response = client_for(scenario.org["executive"]).get("/api/v1/metrics/departments",
                                                         {"month": "2025-03"})
    assert response.status_code == 200
    body = response.json()
    assert body["month"] == "2025-03"
    a = body["departments"][0]
    assert a["department"] == {"id": scenario.org.dept_a.pk, "name": "物流部"}
    assert a["on_time_rectification"] == {
        "numerator": 1, "denominator": 2, "rate": 0.5, "target": 0.9,
        "target_is_ceiling": False, "meets_target": False}
    assert a["repeat_negative"]["target_is_ceiling"] is True
    assert body["total"]["department"] is None and body["total"]["negative_reviews"] == 4
    assert [t["state"] for t in a["stage_times"]][:2] == ["registered", "assigned"]


def test_the_api_refuses_a_bad_month_in_the_error_shape(scenario: Scenario) -> None:
    response = client_for(scenario.org["manager"]).get("/api/v1/metrics/departments",
                                                       {"month": "March"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_month"


def test_a_token_needs_the_metrics_scope(scenario: Scenario) -> None:
    from django.test import Client

    _token, secret = api_token_create(actor=None, user=scenario.org["manager"], name="bi",
                                      scopes=[TokenScope.CASES_READ.value])
    headers = {"Authorization": f"Bearer {secret}"}
    url = "/api/v1/metrics/departments?month=2025-03"
    assert Client().get(url, headers=headers).status_code == 403
    _token, secret = api_token_create(actor=None, user=scenario.org["manager"], name="bi2",
                                      scopes=[TokenScope.METRICS_READ.value])
    assert Client().get(url, headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_the_command_prints_a_table_for_people(scenario: Scenario) -> None:
    out = StringIO()
    call_command("kpi", "--month", "2025-03", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("KPIs 2025-03")
    row_a = next(line for line in lines if line.startswith("物流部"))
    assert "50.0% (1/2) ✗" in row_a and "18.2% (2/11)" in row_a
    assert any(line.startswith("total") and "25.0% (1/4)" not in line and "(2/4)" in line
               for line in lines)


def test_the_command_prints_the_api_document_as_json(scenario: Scenario) -> None:
    out = StringIO()
    call_command("kpi", "--month", "2025-03", "--json", stdout=out)
    body = json.loads(out.getvalue())
    assert [d["department"]["name"] for d in body["departments"]] == ["物流部", "餐饮部"]
    assert body["total"]["customer_satisfaction"]["numerator"] == 2
    assert body["total"]["customer_satisfaction"]["denominator"] == 3


def test_the_command_limits_the_report_to_a_user(scenario: Scenario) -> None:
    out = StringIO()
    call_command("kpi", "--month", "2025-03", "--json", "--user", "head_a", stdout=out)
    assert [d["department"]["name"] for d in json.loads(out.getvalue())["departments"]] == [
        "物流部"]


@pytest.mark.parametrize("month", ["2025-13", "25-03", "2025/03", "x"])
def test_the_command_refuses_a_bad_month(db: None, month: str) -> None:
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("kpi", "--month", month)

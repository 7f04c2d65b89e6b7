from __future__ import annotations

from typing import Any

import pytest

from pingjia.accounts.models import AuditAction, AuditEntry
from tests.conftest import Org
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_log_in_switch_language_and_log_out(live_server: Any, page: Any, org: Org) -> None:
    base = live_server.url
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/login/")
    assert page.locator("h2").inner_text() == "登录"

    page.fill("input[name=username]", "head_a")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.locator(".alert-danger").inner_text()

    log_in(page, base, "head_a")
    page.wait_for_url(f"{base}/")
    assert "工作台" in page.locator("header").inner_text()
    assert "物流部" in page.locator("#my-roles").inner_text()

    page.click("#language-menu .dropdown-toggle")
    page.click("#language-menu button[value=en]")
    page.wait_for_load_state()
    assert "Workbench" in page.locator("header").inner_text()
    assert page.locator("html").get_attribute("lang") == "en"

    page.click("#language-menu .dropdown-toggle")
    page.click("#language-menu button[value=zh-hant]")
    page.wait_for_load_state()
    assert "工作臺" in page.locator("header").inner_text()

    page.click("#user-menu")
    page.click("#logout-button")
    page.wait_for_url(f"{base}/login/")
    page.goto(f"{base}/org/departments/")
    assert page.url.startswith(f"{base}/login/")
    assert AuditEntry.objects.filter(action=AuditAction.LOGOUT, actor=org["head_a"]).exists()


def test_head_reveals_a_phone_with_a_reason(live_server: Any, page: Any, org: Org) -> None:
    base = live_server.url
    log_in(page, base, "head_a")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/org/departments/{org.dept_a.pk}/")
    handler = org["handler_a"]
    cell = page.locator(f"#phone-{handler.pk}")
    assert handler.phone not in cell.inner_text()
    cell.locator("input[name=reason]").fill("安排整改回访")
    cell.locator("button").click()
    page.locator(f"#phone-{handler.pk}", has_text=handler.phone).wait_for()
    entry = AuditEntry.objects.get(action=AuditAction.PERSONAL_DATA_VIEWED)
    assert (entry.actor, entry.note) == (org["head_a"], "安排整改回访")


def test_manager_imports_a_file_and_sees_the_result(live_server: Any, page: Any, org: Org,
                                                    tmp_path: Any) -> None:
    from pingjia.reviews.models import Review

    export = tmp_path / "大众点评导出.csv"
    export.write_bytes(("评价ID,评价时间,评分,评价内容\n"
                        "D1,2025-01-02 12:00,1,上菜太慢，服务员也不理人\n"
                        "D2,2025年1月3日,9,评分写错了\n").encode("gbk"))
    base = live_server.url
    log_in(page, base, "manager")
    page.wait_for_url(f"{base}/")
    page.click("#main-nav a[href='/reviews/import/']")
    page.set_input_files("input[name=file]", str(export))
    page.select_option("select[name=channel]", label="大众点评")
    page.click("#import-submit")
    page.wait_for_url("**/reviews/imports/*/")
    page.locator("#import-counts").wait_for()
    assert "已完成" in page.locator("#import-status").inner_text()
    assert "评分写错了" not in page.locator("#rejected-rows").inner_text()
    assert "3" in page.locator("#rejected-rows").inner_text()  # the row number
    assert Review.objects.get().external_id == "D1"
    page.click("#main-nav a[href='/reviews/']")
    assert "上菜太慢" in page.locator("#review-table").inner_text()
    page.fill("input[name=q]", "服務員")  # Traditional query, Simplified text
    page.press("input[name=q]", "Enter")
    assert page.locator("#review-table mark").inner_text() == "服务员"
    # The search's results, as a workbook; building it may take a while on a loaded machine.
    with page.expect_download(timeout=30_000) as download:
        page.click("#review-export")
    assert download.value.suggested_filename.endswith(".xlsx")
    assert "q=" in download.value.url


def test_manager_corrects_a_category_retrains_and_rolls_back(live_server: Any, page: Any,
                                                             org: Org) -> None:
    from pingjia.analysis.models import ReviewAnalysis, TextModel
    from pingjia.analysis.services import reviews_analyse
    from tests.analysis.conftest import labelled
    from tests.reviews.factories import make_review

    labelled(org)  # corrections enough to train a category model, but one
    review = make_review(org.store_a, rating=1, text="快递员把包裹扔在门口就走了")
    other = make_review(org.store_a, rating=2, text="物流太慢，包装也破了")
    reviews_analyse(review_ids=[review.pk, other.pk])
    base = live_server.url
    log_in(page, base, "manager")
    page.goto(f"{base}/reviews/{review.pk}/")
    assert ReviewAnalysis.objects.get(review=review).category.code != "after_sales"
    page.select_option(f"#labels-{review.pk} select[name=category]", "after_sales")
    page.click(f"#correct-{review.pk}")
    page.wait_for_selector(f"#labels-{review.pk} .category >> text=售后问题")
    assert ReviewAnalysis.objects.get(review=review).category_source == "person"

    page.click("a:has-text('分析模型')")
    page.click("#model-train")
    trained = page.get_attribute("#models-category", "data-in-use")
    assert trained == TextModel.objects.get(kind="category", is_active=True).version
    assert page.locator(f"#models-category tr:has-text('{trained}') >> text=使用中").count() == 1
    # Every review was analysed again with it, but for the corrected ones.
    assert ReviewAnalysis.objects.get(review=other).category_source == f"model:{trained}"
    assert ReviewAnalysis.objects.get(review=review).category.code == "after_sales"
    # Back to the built-in model: the trained one stays listed, to return to.
    page.click("#models-category tr:has-text('内置模型') >> text=改用此模型")
    assert page.get_attribute("#models-category", "data-in-use") == "built-in"
    assert page.locator(f"#models-category >> text={trained}").count() == 1

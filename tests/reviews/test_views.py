from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pingjia.reviews.models import Channel, ImportRun, Review
from tests.conftest import Org, client_for
from tests.reviews.factories import analysed, make_review, make_run

CSV = ("评价ID,评价时间,评分,评价内容,手机号\n"
       "R1,2025-01-02,1,出餐太慢,13812341234\nR2,bad date,2,坏行,\n").encode("gbk")


def upload(client: object, data: bytes, **fields: object) -> object:
    form = {"file": SimpleUploadedFile("meituan.csv", data), "format": "auto",
            "channel": Channel.objects.get(code="meituan").pk, **fields}
    return client.post(reverse("import_upload"), form)  # type: ignore[attr-defined]


def test_upload_imports_in_the_background_and_shows_the_result(org: Org,
                                                               django_capture_on_commit_callbacks:
                                                               object) -> None:
    client = client_for(org["manager"])
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = upload(client, CSV)
    run = ImportRun.objects.get()
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == reverse("import_detail", args=[run.pk])  # type: ignore[index]
    assert (run.status, run.created, run.rejected, run.rows_total) == ("done", 1, 1, 2)
    html = client.get(reverse("import_detail", args=[run.pk])).content.decode()
    assert "hx-trigger" not in html  # finished: no more polling
    assert "bad date" in html and reverse("import_rejected_rows", args=[run.pk]) in html
    assert run.created_by == org["manager"]


def test_progress_partial_polls_while_the_import_runs(org: Org) -> None:
    run = make_run(status=ImportRun.Status.RUNNING, rows_total=1000, rows_read=250)
    html = client_for(org["manager"]).get(reverse("import_detail", args=[run.pk]),
                                          headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in html and 'hx-trigger="every 1s"' in html
    assert "width: 25%" in html


def test_upload_of_a_non_review_file_says_why(org: Org,
                                              django_capture_on_commit_callbacks: object) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        upload(client_for(org["manager"]), b"\x89PNG\r\n\x1a\n" + bytes(40))
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.REJECTED and not Review.objects.exists()
    html = client_for(org["manager"]).get(reverse("import_detail", args=[run.pk])).content
    assert "PNG" in html.decode()


def test_upload_form_reports_missing_fields(org: Org) -> None:
    response = client_for(org["manager"]).post(reverse("import_upload"), {"format": "auto"})
    assert response.status_code == 400 and not ImportRun.objects.exists()


def test_rejected_rows_download_escapes_formulas_for_excel(org: Org) -> None:
    run = make_run()
    response = client_for(org["manager"]).get(reverse("import_rejected_rows", args=[run.pk]))
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff") and "attachment" in response["Content-Disposition"]
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[1].startswith("3,unreadable date: x,'=1+1")


def test_list_filters_negative_reviews_and_text(org: Org) -> None:
    make_review(org.store_a, rating=1, text="出餐太慢")
    make_review(org.store_a, rating=5, text="很好吃")
    html = client_for(org["manager"]).get(reverse("review_list"),
                                          {"rating": "negative"}).content.decode()
    assert "出餐太慢" in html and "很好吃" not in html
    html = client_for(org["manager"]).get(reverse("review_list"), {"q": "好吃"},
                                          headers={"HX-Request": "true"}).content.decode()
    assert "很<mark>好吃</mark>" in html and "出餐太慢" not in html and "<html" not in html
    assert 'id="review-export"' in html
    html = client_for(org["manager"]).get(reverse("review_list"), {"q": "镜子"},
                                          headers={"HX-Request": "true"}).content.decode()
    assert 'id="review-table"' in html and 'id="review-export"' not in html  # nothing to export


def test_list_shows_only_reviews_in_scope(org: Org) -> None:
    make_review(org.store_a, text="仓库的评价")
    make_review(org.store_b, text="餐厅的评价")
    html = client_for(org["head_a"]).get(reverse("review_list")).content.decode()
    assert "仓库的评价" in html and "餐厅的评价" not in html


def test_list_pages_by_keyset(org: Org) -> None:
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    for minute in range(55):
        make_review(org.store_a, text=f"第{minute}条", reviewed_at=now - timedelta(minutes=minute))
    client = client_for(org["manager"])
    first = client.get(reverse("review_list")).content.decode()
    assert "第0条" in first and "第54条" not in first
    after = first.split("after=")[1].split('"')[0]
    second = client.get(f"{reverse('review_list')}?after={after}").content.decode()
    assert "第54条" in second and "第0条<" not in second
    oldest = client.get(reverse("review_list"), {"order": "oldest"}).content.decode()
    assert oldest.index("第54条") < oldest.index("第53条") and "第0条<" not in oldest
    assert "更新的评价" in oldest  # the next page holds later reviews
    after = oldest.split("after=")[1].split('"')[0]
    later = client.get(f"{reverse('review_list')}?order=oldest&after={after}").content.decode()
    assert "第0条<" in later and "第54条" not in later


def test_detail_masks_the_customer_and_lists_their_other_reviews(org: Org) -> None:
    from pingjia.reviews.models import Customer

    customer = Customer.objects.create(name="王小明", phone="13812341234")
    first = make_review(org.store_a, customer=customer, text="第一次差评")
    make_review(org.store_a, customer=customer, text="第二次差评")
    html = client_for(org["manager"]).get(reverse("review_detail", args=[first.pk])).content
    text = html.decode()
    assert "13812341234" not in text and "138****1234" in text and "王**" in text
    assert "第二次差评" in text


def test_detail_names_the_sub_scores_in_the_reader_s_language(org: Org) -> None:
    review = make_review(org.store_a, text="汤洒了",
                         sub_scores={"taste": 4, "packing": 1, "温度": 2})
    text = client_for(org["manager"]).get(reverse("review_detail", args=[review.pk])
                                          ).content.decode()
    assert "口味 4 ★" in text and "包装 1 ★" in text and "温度 2 ★" in text
    assert "taste" not in text and "packing" not in text


def test_the_upload_waits_in_the_database_until_processed(org: Org) -> None:
    from pingjia.reviews.services import review_import_process, review_import_start

    run = review_import_start(actor=org["manager"], data=CSV, file_name="x.csv",
                              channel=Channel.objects.get(code="meituan"))
    assert bytes(ImportRun.objects.get(pk=run.pk).upload) == CSV  # not yet committed: queued
    review_import_process(run_id=run.pk)
    stored = ImportRun.objects.get(pk=run.pk)
    assert stored.status == ImportRun.Status.DONE and stored.upload is None
    assert review_import_process(run_id=run.pk).created == 1  # a second delivery does nothing
    assert Review.objects.count() == 1


def test_agent_registers_a_phone_complaint_matched_to_the_online_reviewer(org: Org) -> None:
    from pingjia.accounts.models import AuditAction, AuditEntry
    from pingjia.reviews.models import Customer

    online = make_review(org.store_a, customer=Customer.objects.create(phone="13812341234"))
    response = client_for(org["agent"]).post(reverse("review_register"), {
        "channel": Channel.objects.get(code="phone").pk, "reviewed_at": "2025-01-02T10:30",
        "store": org.store_a.pk, "rating": "1", "text": "电话投诉：外卖洒了，客服不理",
        "customer_name": "张三", "customer_phone": "138 1234 1234"})
    assert response.status_code == 302
    review = Review.objects.get(channel__code="phone")
    assert review.registered_by == org["agent"] and review.rating == 1
    assert review.customer == online.customer  # the same person, recognised by phone
    assert review.customer.name == "张三"  # the name they gave fills what was missing
    assert response["Location"] == reverse("review_detail", args=[review.pk])
    html = client_for(org["agent"]).get(response["Location"]).content.decode()
    assert "agent名" in html and "13812341234" not in html
    assert AuditEntry.objects.filter(action=AuditAction.CREATED, actor=org["agent"],
                                     target_id=str(review.pk)).exists()


def test_registration_needs_the_text_and_an_offline_channel(org: Org) -> None:
    client = client_for(org["agent"])
    empty = client.post(reverse("review_register"), {
        "channel": Channel.objects.get(code="phone").pk, "reviewed_at": "2025-01-02T10:30",
        "text": ""})
    platform = client.post(reverse("review_register"), {
        "channel": Channel.objects.get(code="meituan").pk, "reviewed_at": "2025-01-02T10:30",
        "text": "x"})
    assert (empty.status_code, platform.status_code) == (400, 400)
    assert not Review.objects.exists()


def test_a_customer_known_by_nickname_only_is_shown_by_it_masked(org: Org) -> None:
    from pingjia.reviews.models import Customer, CustomerIdentity

    customer = Customer.objects.create()
    CustomerIdentity.objects.create(customer=customer, channel=Channel.objects.get(code="jd"),
                                    value="jd_user_8848")
    review = make_review(org.store_a, customer=customer)
    html = client_for(org["manager"]).get(reverse("review_detail", args=[review.pk])).content
    assert "j***********" in html.decode() and "jd_user_8848" not in html.decode()


def test_list_filters_by_a_store_in_scope_only(org: Org) -> None:
    make_review(org.store_a, text="仓库的评价")
    make_review(org.store_b, text="餐厅的评价")
    html = client_for(org["manager"]).get(reverse("review_list"),
                                          {"store": org.store_b.pk}).content.decode()
    assert "餐厅的评价" in html and "仓库的评价" not in html
    # A store outside the user's scope is not a valid choice: the filter is ignored.
    html = client_for(org["head_a"]).get(reverse("review_list"),
                                         {"store": org.store_b.pk}).content.decode()
    assert "仓库的评价" in html and "餐厅的评价" not in html


def test_progress_saves_do_not_rewrite_the_uploaded_file(org: Org) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pingjia.reviews.services import review_import_process, review_import_start

    run = review_import_start(actor=org["manager"], data=CSV, file_name="x.csv",
                              channel=Channel.objects.get(code="meituan"))
    with CaptureQueriesContext(connection) as queries:
        review_import_process(run_id=run.pk)
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].startswith("UPDATE") and '"upload" = ' in q["sql"]]
    assert len(writes) == 1 and '"upload" = NULL' in writes[0]  # only to clear it at the end


def test_a_run_claimed_by_another_worker_is_left_alone(org: Org) -> None:
    from pingjia.reviews.services import review_import_process, review_import_start

    run = review_import_start(actor=org["manager"], data=CSV, file_name="x.csv",
                              channel=Channel.objects.get(code="meituan"))
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.RUNNING)
    assert review_import_process(run_id=run.pk).created == 0
    assert not Review.objects.exists()


def test_list_shows_and_filters_the_analysis(org: Org) -> None:
    slow = make_review(org.store_a, rating=1, text="出餐太慢")
    rude = make_review(org.store_a, rating=2, text="服务员态度差")
    hidden = make_review(org.store_a, rating=5, text="五星是手滑，菜是凉的")
    make_review(org.store_a, rating=5, text="还没分析的评价")
    analysed(slow, "negative", "delivery_logistics")
    analysed(rude, "negative", "service_attitude")
    analysed(hidden, "negative", "product_quality", hidden=True)
    client = client_for(org["manager"])

    def results(**params: str) -> str:  # the table alone, without the filter form
        return client.get(reverse("review_list"), params,
                          headers={"HX-Request": "true"}).content.decode()

    def shown(**params: str) -> set[str]:
        html = results(**params).replace("<mark>", "").replace("</mark>", "")
        return {text for text in ("出餐太慢", "服务员态度差", "五星是手滑", "还没分析的评价")
                if text in html}

    table = results()
    assert "服务态度" in table and "负面" in table and "隐性投诉" in table  # the analysis column
    assert shown(category="service_attitude") == {"服务员态度差"}
    assert shown(sentiment="negative") == {"出餐太慢", "服务员态度差", "五星是手滑"}
    assert shown(sentiment="positive") == set()
    assert shown(sentiment="hidden") == {"五星是手滑"}
    assert shown(sentiment="negative", category="delivery_logistics") == {"出餐太慢"}
    # Within a text search too.
    assert shown(q="出餐", sentiment="negative") == {"出餐太慢"}
    assert shown(q="菜", sentiment="hidden") == {"五星是手滑"}
    assert shown(q="出餐", category="service_attitude") == set()


def test_detail_shows_where_the_category_came_from(org: Org) -> None:
    from pingjia.analysis.models import SOURCE_STARS, ReviewAnalysis
    from pingjia.analysis.services import Correction, review_labels_correct, reviews_analyse

    rude = make_review(org.store_a, rating=1, text="服务员态度很差，爱理不理的")
    praise = make_review(org.store_a, rating=5, text="菜很好吃，服务也周到")
    reviews_analyse(review_ids=[rude.pk, praise.pk])
    client = client_for(org["manager"])
    analysis = ReviewAnalysis.objects.get(review=rude)
    html = client.get(reverse("review_detail", args=[rude.pk])).content.decode()
    assert (f'title="{analysis.category_source}" '
            f'data-confidence="{analysis.category_confidence}"') in html
    assert ReviewAnalysis.objects.get(review=praise).category_source == SOURCE_STARS
    html = client.get(reverse("review_detail", args=[praise.pk])).content.decode()
    assert "category-confidence" not in html and "按星级" in html
    review_labels_correct(actor=org["manager"], review=rude,
                          correction=Correction(category="product_quality"))
    html = client.get(reverse("review_detail", args=[rude.pk])).content.decode()
    assert "category-confidence" not in html and "已人工更正" in html

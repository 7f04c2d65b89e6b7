from __future__ import annotations

import io
import json
import re
from io import StringIO

import pytest
import xlsxwriter
from django.core.management import CommandError, call_command
from django.db import connection

from pingjia.accounts.models import AuditAction, AuditEntry, Store
from pingjia.reviews.models import Channel, Customer, ImportRun, Review, ReviewRevision
from pingjia.reviews.services import review_import
from tests.factories import StoreFactory

HEADER = "评价ID,评价时间,评分,评价内容,用户昵称,手机号,订单号,门店名称"


def csv(*rows: str, encoding: str = "utf-8") -> bytes:
    return "\r\n".join([HEADER, *rows]).encode(encoding)


def run_import(data: bytes, channel: str = "dianping", **options: object) -> ImportRun:
    return review_import(actor=None, data=data, file_name="export.csv",
                         channel=Channel.objects.get(code=channel), **options)  # type: ignore[arg-type]


def counts() -> tuple[int, int, int]:
    return Review.objects.count(), Customer.objects.count(), Store.objects.count()


def test_default_channels_exist_after_migrate(db: None) -> None:
    codes = set(Channel.objects.values_list("code", flat=True))
    assert codes == {"taobao", "tmall", "jd", "meituan", "dianping", "eleme", "douyin",
                     "pinduoduo", "app", "web", "qr", "invite", "phone", "email", "letter",
                     "onsite", "service"}


def test_gbk_file_keeps_good_rows_and_reports_bad_ones_by_row(db: None) -> None:
    run = run_import(csv(
        "R1,2025-01-02 12:00,1,出餐太慢了，等了四十分钟,小王,13812341234,"
        "202501020001234567,徐家汇店",
        "R2,2025/1/3,9,评分超出范围,,,,",
        "R3,not a date,2,日期错误,,,,",
        "R4,2025年1月4日 18:30:00,5,服务员很热情,,,,",
        "R5,2025-01-05,,,,,,",
        encoding="gbk"))
    assert (run.status, run.encoding) == (ImportRun.Status.DONE, "gb18030")
    assert (run.rows_read, run.created, run.rejected) == (5, 2, 3)
    reasons = {e["row"]: e["reason"] for e in run.errors}
    assert set(reasons) == {3, 4, 6}
    assert "1–5" in reasons[3] and "日期" in reasons[4] and reasons[6] == "既没有评价内容也没有评分"
    assert run.errors[0]["values"]["评价内容"] == "评分超出范围"
    review = Review.objects.get(external_id="R1")
    assert review.text == "出餐太慢了，等了四十分钟" and review.rating == 1
    assert review.order_id == "202501020001234567"
    assert review.reviewed_at.isoformat() == "2025-01-02T04:00:00+00:00"  # 12:00 in Shanghai
    assert review.store is not None and review.store.name == "徐家汇店"
    assert run.stores_created == [{"code": review.store.code, "name": "徐家汇店"}]


def test_reimport_creates_nothing(db: None) -> None:
    data = csv("R1,2025-01-02,1,太慢,,,,", "R2,2025-01-03,5,很好,,,,")
    run_import(data)
    before = counts()
    again = run_import(data)
    assert (again.created, again.updated, again.duplicates) == (0, 0, 2)
    assert counts() == before


def test_later_export_with_append_review_updates_and_keeps_history(db: None) -> None:
    header = "评价ID,评价时间,评分,评价内容,追评内容,追评时间"
    run_import(f"{header}\nR1,2025-01-02,2,耳机有杂音,,".encode())
    later = run_import(f"{header}\nR1,2025-01-02,2,耳机有杂音,换货后还是有杂音,2025-01-09 10:00\n"
                       "R2,2025-01-10,5,不错,,".encode())
    assert (later.created, later.updated) == (1, 1)
    review = Review.objects.get(external_id="R1")
    assert review.append_text == "换货后还是有杂音" and review.appended_at is not None
    revision = ReviewRevision.objects.get(review=review)
    assert revision.changes["append_text"] == ["", "换货后还是有杂音"]
    assert revision.import_run == later


def test_rows_without_ids_are_identified_by_content(db: None) -> None:
    data = "评价时间,评分,评价内容,用户昵称\n2025-01-02 10:00,1,菜是凉的,小李\n" \
           "2025-01-02 10:00,1,菜是凉的,小张\n".encode()
    first = run_import(data)
    assert first.created == 2
    assert all(r.identity.startswith("fp:") for r in Review.objects.all())
    assert run_import(data).duplicates == 2 and Review.objects.count() == 2


def test_same_customer_is_matched_across_channels_by_phone(db: None) -> None:
    run_import(csv("R1,2025-01-02,1,太慢,小王,13812341234,,"))
    douyin = ("评价ID,评价时间,评分,评价内容,手机号\n"
              "D1,2025-01-03,2,还是慢,+86 138-1234-1234\n").encode()
    run_import(douyin, channel="douyin", format_code="generic")
    assert Customer.objects.count() == 1
    customer = Customer.objects.get()
    assert customer.reviews.count() == 2 and customer.phone == "13812341234"
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM reviews_customer")
        assert "1234" not in cursor.fetchone()[0]


def test_same_nick_on_one_channel_is_one_customer(db: None) -> None:
    run_import(csv("R1,2025-01-02,1,太慢,小王,,,", "R2,2025-01-05,4,好多了,小王,,,"))
    assert Customer.objects.count() == 1


def test_store_column_matches_existing_stores_by_code_or_name(db: None) -> None:
    store = StoreFactory(code="1001", name="南京西路店")
    data = ("评价ID,评价时间,评分,评价内容,门店ID,门店名称\n"
            "R1,2025-01-02,1,慢,1001,南京西路店\nR2,2025-01-02,1,慢,,南京西路店\n").encode()
    run = run_import(data)
    assert run.stores_created == []
    assert set(Review.objects.values_list("store", flat=True)) == {store.pk}


def test_default_store_applies_to_rows_without_one(db: None) -> None:
    store = StoreFactory()
    run_import(csv("R1,2025-01-02,1,慢,,,,"), default_store=store)
    assert Review.objects.get().store == store


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "image"),
    ("姓名,部门,入职日期\n张三,物流部,2024-01-01\n".encode(), "not a review export"),
])
def test_a_file_that_is_not_a_review_export_changes_nothing(db: None, data: bytes,
                                                            message: str) -> None:
    before = counts()
    run = run_import(data)
    assert run.status == ImportRun.Status.REJECTED and message in run.message
    assert counts() == before
    assert ImportRun.objects.get().status == ImportRun.Status.REJECTED  # the attempt is kept
    assert not AuditEntry.objects.filter(action=AuditAction.IMPORTED).exists()


def test_over_long_field_is_rejected_with_its_name(db: None) -> None:
    run = run_import(csv(f"R1,2025-01-02,1,{'慢' * 10_001},,,,"))
    assert run.rejected == 1 and "text" in run.errors[0]["reason"]


def test_dry_run_reports_and_changes_nothing(db: None) -> None:
    before = counts()
    run = run_import(csv("R1,2025-01-02,1,太慢,小王,,,新门店", "R2,bad,1,x,,,,"), dry_run=True)
    assert (run.created, run.rejected, len(run.stores_created)) == (1, 1, 1)
    assert counts() == before
    stored = ImportRun.objects.get()
    assert stored.dry_run and (stored.created, stored.rejected) == (1, 1)
    assert stored.errors[0]["row"] == 3


def test_douyin_export_is_recognised_from_its_headers(db: None) -> None:
    data = ("评价日期,订单ID,商品ID,商品名称,商品规格,商品评价得分,评价内容,用户昵称,评价等级,"
            "追评内容,追评时间,商家是否回复,回复内容,门店ID,门店名称\n"
            "2025年01月02日 10:00:00,6912345678901234567,3456789012345,蓝牙耳机,黑色,2,"
            "降噪没效果,抖音用户A,中评,,,已回复,抱歉给您带来不便,,\n").encode("utf-8-sig")
    run = run_import(data, channel="douyin")
    assert (run.format, run.created) == ("douyin", 1)
    review = Review.objects.get()
    assert review.order_id == "6912345678901234567" and review.product_code == "3456789012345"
    assert review.platform_reply == "抱歉给您带来不便" and review.rating == 2


def test_taobao_good_neutral_bad_becomes_stars(db: None) -> None:
    data = "tid,oid,nick,result,created,content\n1,11,a,bad,2025-01-02 10:00:00,差\n" \
           "2,22,b,neutral,2025-01-02 11:00:00,一般\n3,33,c,good,2025-01-02 12:00:00,好\n"
    run = run_import(data.encode(), channel="taobao")
    assert run.format == "taobao"
    assert dict(Review.objects.values_list("external_id", "rating")) == {"11": 1, "22": 3,
                                                                          "33": 5}


def test_pinduoduo_records_are_recognised_with_unix_times_and_shop_ratings(db: None) -> None:
    data = ("reviewId,orderSn,goodsId,score,descScore,logisticsScore,serviceScore,comment,reply,"
            "pictures,createTime\n"
            "733912345678901234,250102-123456789012345,456789012,2,3,1,4,快递一周才到,"
            "已催快递,https://img.example/1.jpg,1735783200\n")
    run = run_import(data.encode(), channel="pinduoduo")
    assert (run.format, run.created, run.rejected) == ("pinduoduo", 1, 0), run.errors
    review = Review.objects.get()
    assert (review.external_id, review.order_id) == ("733912345678901234",
                                                     "250102-123456789012345")
    assert review.rating == 2 and review.platform_reply == "已催快递"
    assert review.sub_scores == {"description": 3, "logistics": 1, "service": 4}
    assert review.images == ["https://img.example/1.jpg"]
    assert review.reviewed_at.isoformat() == "2025-01-02T02:00:00+00:00"


def test_xlsx_with_numbers_dates_and_long_ids(db: None) -> None:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for col, header in enumerate(["评价ID", "评价时间", "评分", "评价内容", "订单号"]):
        sheet.write(0, col, header)
    sheet.write_number(1, 0, 123456789012)
    sheet.write_number(1, 1, 45659.5, date_format)  # 2025-01-02 12:00
    sheet.write_number(1, 2, 1)
    sheet.write_string(1, 3, "包装破损")
    sheet.write_string(1, 4, "202501020001234567")
    sheet.write_string(2, 0, "X2")
    sheet.write_number(2, 1, 45660)  # a serial in a plain numeric cell
    sheet.write_number(2, 2, 5)
    sheet.write_string(2, 3, "很好")
    workbook.close()
    run = run_import(buffer.getvalue())
    assert (run.created, run.rejected, run.encoding) == (2, 0, "xlsx"), run.errors
    first = Review.objects.get(external_id="123456789012")
    assert first.order_id == "202501020001234567"
    assert first.reviewed_at.isoformat() == "2025-01-02T04:00:00+00:00"
    assert Review.objects.get(external_id="X2").reviewed_at.isoformat() == \
        "2025-01-02T16:00:00+00:00"


def test_import_is_audited(db: None) -> None:
    run = run_import(csv("R1,2025-01-02,1,太慢,,,,"))
    entry = AuditEntry.objects.get(action=AuditAction.IMPORTED)
    assert entry.target_id == str(run.pk) and entry.changes["created"] == [None, 1]


def test_import_command_prints_and_exits_non_zero_for_a_rejected_file(db: None,
                                                                      tmp_path: object) -> None:
    from pathlib import Path

    good = Path(str(tmp_path)) / "good.csv"
    good.write_bytes(csv("R1,2025-01-02,1,太慢,,,,", "R2,x,1,坏日期,,,,"))
    out = StringIO()
    call_command("import", str(good), "--channel", "dianping", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert (result["created"], result["rejected"]) == (1, 1)
    assert result["errors"][0]["row"] == 3
    bad = Path(str(tmp_path)) / "photo.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + bytes(64))
    with pytest.raises(CommandError, match="image"):
        call_command("import", str(bad), "--channel", "dianping", stdout=StringIO())
    with pytest.raises(CommandError, match="No channel"):
        call_command("import", str(good), "--channel", "nowhere", stdout=StringIO())


def test_reimport_after_a_row_changed_reads_that_row_and_skips_the_others(db: None) -> None:
    header = "评价ID,评价时间,评分,评价内容,追评内容"
    run_import(f"{header}\nR1,2025-01-02,2,耳机有杂音,\nR2,2025-01-03,5,很好,\n".encode())
    hashes = dict(Review.objects.values_list("external_id", "source_hash"))
    assert all(len(h) == 32 for h in hashes.values())
    changed = f"{header}\nR1,2025-01-02,2,耳机有杂音,换货后还是有杂音\nR2,2025-01-03,5,很好,\n"
    later = run_import(changed.encode())
    assert (later.created, later.updated, later.duplicates) == (0, 1, 1)
    review = Review.objects.get(external_id="R1")
    assert review.append_text == "换货后还是有杂音" and review.source_hash != hashes["R1"]
    assert Review.objects.get(external_id="R2").source_hash == hashes["R2"]
    again = run_import(changed.encode())
    assert (again.created, again.updated, again.duplicates) == (0, 0, 2)
    assert ReviewRevision.objects.filter(review=review).count() == 1


def test_a_row_read_before_is_applied_again_after_a_changed_row_of_the_same_review(
        db: None) -> None:
    # Without the source hash, each row of R1 is applied in turn, the later one last; the
    # unchanged second row must not be skipped once the first has changed the review.
    data = csv("R1,2025-01-02,1,先写的,,,,", "R1,2025-01-02,1,后写的,,,,")
    first = run_import(data)
    assert (first.created, first.duplicates) == (1, 1)
    assert Review.objects.get().text == "后写的"
    again = run_import(data)
    assert (again.created, again.updated, again.duplicates) == (0, 2, 0)
    assert Review.objects.get().text == "后写的"


def test_a_row_is_read_again_when_the_headers_differ(db: None) -> None:
    run_import(csv("R1,2025-01-02,1,太慢,,,,"))
    renamed = HEADER.replace("评价内容", "评论内容")
    again = run_import(f"{renamed}\nR1,2025-01-02,1,太慢,,,,".encode())
    assert (again.created, again.updated, again.duplicates) == (0, 0, 1)
    assert Review.objects.get().source_hash  # the row as this file wrote it


def test_a_review_pushed_again_through_the_api_is_read_again_by_the_next_import(
        db: None) -> None:
    from pingjia.reviews.services import review_push
    from tests.factories import UserFactory

    data = csv("R1,2025-01-02,1,太慢,,,,")
    run_import(data)
    review_push(actor=UserFactory(), items=[{"channel": "dianping", "external_id": "R1",
                                             "reviewed_at": "2025-01-02", "rating": 2,
                                             "text": "改过了"}])
    assert Review.objects.get().source_hash == ""
    again = run_import(data)
    assert again.updated == 1 and Review.objects.get().text == "太慢"


def test_a_failure_in_a_chunk_leaves_none_of_its_rows(db: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from pingjia.reviews import services

    monkeypatch.setattr(services, "CHUNK", 2)
    calls = 0
    write = services._write_chunk

    def failing_second_chunk(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        result = write(*args, **kwargs)  # type: ignore[arg-type]
        if calls == 2:
            raise RuntimeError("disk full")
        return result

    monkeypatch.setattr(services, "_write_chunk", failing_second_chunk)
    with pytest.raises(RuntimeError):
        run_import(csv(*(f"R{n},2025-01-02,1,第{n}条,小{n},1381234000{n},,店{n}"
                         for n in range(1, 5))))
    assert set(Review.objects.values_list("external_id", flat=True)) == {"R1", "R2"}
    assert Customer.objects.count() == 2 and Store.objects.count() == 2
    assert ImportRun.objects.get().status == ImportRun.Status.FAILED
    from pingjia.reviews.search import matching

    assert matching(Review.objects.all(), "第").count() == 2
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM reviews_review_fts_pause")
            assert cursor.fetchone()[0] == 0


def test_the_import_looks_reviews_up_by_key_without_ordering_them(db: None) -> None:
    # Ordered newest first (the model's order), SQLite walks the time index and reads every
    # review for each chunk of the file: an import would slow down as the table grows.
    from django.test.utils import CaptureQueriesContext

    data = csv("R1,2025-01-02,1,太慢,小王,13812341234,,店1", "R2,2025-01-03,5,很好,,,,")
    with CaptureQueriesContext(connection) as first:
        run_import(data)
    with CaptureQueriesContext(connection) as again:
        run_import(data)
    reads = [q["sql"] for q in [*first.captured_queries, *again.captured_queries]
             if q["sql"].startswith("SELECT") and re.search(r"\breviews_review\b", q["sql"])]
    assert len(reads) >= 3
    assert not [sql for sql in reads if "ORDER BY" in sql]


def test_the_fingerprint_of_a_row_is_the_same_for_text_and_typed_cells(db: None) -> None:
    # Rows read before keep being recognised: the hash of a CSV row (all text, joined at once)
    # is the one every row has had, the salt and the cells as one string.
    import hashlib

    from pingjia.reviews.services import _source_hash

    salted = hashlib.blake2b(b"salt\x1d", digest_size=16)

    def expected(raw: str) -> str:
        return hashlib.blake2b(f"salt\x1d{raw}".encode(), digest_size=16).hexdigest()

    assert _source_hash(salted, ["R1", "5", "太慢"]) == expected("R1\x1f5\x1f太慢")
    assert _source_hash(salted, ["R1", 5.0, "太慢"]) == expected("R1\x1f5.0\x1f太慢")
    assert _source_hash(salted, ["R1", "5", "太慢"]) == expected("R1\x1f5\x1f太慢")  # salt kept


def test_reviews_with_and_without_tags_keep_their_own_values(db: None) -> None:
    header = "评价ID,评价时间,评分,评价内容,标签"
    run_import(f"{header}\nR1,2025-01-02 08:00,2,慢,\"太慢,不热\"\nR2,2025-01-03 09:30,5,好,\n"
               .encode())
    first, second = Review.objects.get(external_id="R1"), Review.objects.get(external_id="R2")
    assert (first.tags, second.tags, second.images, second.sub_scores) == (["太慢", "不热"], [],
                                                                           [], {})
    assert first.received_at == second.received_at
    assert (first.reviewed_at.isoformat(), second.reviewed_at.isoformat()) == (
        "2025-01-02T00:00:00+00:00", "2025-01-03T01:30:00+00:00")


def test_channel_and_store_are_indexed_only_as_the_first_column_of_wider_indexes(
        db: None) -> None:
    # Every index costs each imported row; these two columns need none of their own.
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "reviews_review")
    indexed = [c["columns"] for c in constraints.values() if c["index"] or c["unique"]]
    for column in ("channel_id", "store_id"):
        assert [column] not in indexed
        assert any(columns[:1] == [column] and len(columns) > 1 for columns in indexed)

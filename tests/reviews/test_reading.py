"""read_table: formats, encodings, row numbers and refusals, all built in memory."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from xlsxwriter.worksheet import Worksheet

from pingjia.reviews.importing import cells
from pingjia.reviews.importing.reading import Cell, Table, UnreadableFile, read_table

CHINESE_CSV = "订单号,评价内容,评分\n1001,菜很好吃，服务也好,5\n1002,等了一个小时,1\n"


def rows_of(table: Table) -> list[tuple[int, list[Cell]]]:
    return list(table.rows)


def refusal(data: bytes, filename: str = "") -> str:
    with pytest.raises(UnreadableFile) as caught:
        rows_of(read_table(data, filename))
    return str(caught.value)  # str() is the message, see UnreadableFile


# --- encodings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CHINESE_CSV.encode("utf-8"), "utf-8"),
        (CHINESE_CSV.encode("utf-8-sig"), "utf-8-sig"),
        (CHINESE_CSV.encode("gbk"), "gb18030"),
        (CHINESE_CSV.encode("gb18030"), "gb18030"),
    ],
    ids=["utf-8", "utf-8-bom", "gbk", "gb18030"],
)
def test_chinese_csv_in_each_encoding(data: bytes, encoding: str) -> None:
    table = read_table(data, "reviews.csv")
    assert table.encoding == encoding
    assert table.headers == ["订单号", "评价内容", "评分"]
    assert rows_of(table) == [
        (2, ["1001", "菜很好吃，服务也好", "5"]),
        (3, ["1002", "等了一个小时", "1"]),
    ]


def test_gbk_bytes_are_not_valid_utf8() -> None:
    """Guards the test above: the GBK case must really exercise the fallback."""
    with pytest.raises(UnicodeDecodeError):
        CHINESE_CSV.encode("gbk").decode("utf-8")


def test_gb18030_only_character() -> None:
    # 𠮷 (U+20BB7) is outside GBK: only GB18030's four-byte form can hold it.
    data = "姓名,评价内容\n吉田,𠮷野家不错\n".encode("gb18030")
    with pytest.raises(UnicodeEncodeError):
        "𠮷".encode("gbk")
    table = read_table(data)
    assert table.encoding == "gb18030"
    assert rows_of(table) == [(2, ["吉田", "𠮷野家不错"])]


def test_undecodable_text_names_the_encodings_tried() -> None:
    data = b"id,text\n1,\xff\xfe\xfa\x80\xff\n"
    for encoding in ("utf-8", "gb18030"):
        with pytest.raises(UnicodeDecodeError):
            data.decode(encoding)
    message = refusal(data)
    assert "UTF-8" in message
    assert "GB18030" in message


def test_bytes_from_the_brief_fail_both_encodings() -> None:
    data = b"\xff\xfe\xfa\xff\xfe\xfa"
    for encoding in ("utf-8", "gb18030"):
        with pytest.raises(UnicodeDecodeError):
            data.decode(encoding)
    assert "GB18030" in refusal(data)


def test_utf16_text_gets_its_own_advice() -> None:
    data = "订单号\t评价内容\n1\t好\n".encode("utf-16")
    assert "UTF-16" in refusal(data)


# --- CSV structure ------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_delimiter_is_chosen_from_the_header(delimiter: str) -> None:
    # The text contains the other delimiters, which must not confuse the choice.
    text = delimiter.join(["id", "text", "rating"]) + "\n"
    text += delimiter.join(["7", '"a, b; c"' if delimiter != "\t" else "a, b; c", "4"]) + "\n"
    table = read_table(text.encode())
    assert table.headers == ["id", "text", "rating"]
    assert rows_of(table) == [(2, ["7", "a, b; c", "4"])]


def test_quoted_fields_with_newlines_and_commas_count_as_one_row() -> None:
    data = (
        b'id,text,rating\n'
        b'1,"first line\nsecond line, with a comma",5\n'
        b'2,"she said ""great""",4\n'
        b'3,"three\r\nlines\nhere",3\n'
        b'4,plain,2\n'
    )
    assert rows_of(read_table(data)) == [
        (2, ["1", "first line\nsecond line, with a comma", "5"]),
        (3, ["2", 'she said "great"', "4"]),
        (4, ["3", "three\r\nlines\nhere", "3"]),
        (5, ["4", "plain", "2"]),
    ]


def test_blank_rows_are_skipped_but_numbering_stays_true() -> None:
    data = b"id,text\n1,a\n\n,\n  ,  \n5,e\r\n\r\n7,g\n"
    assert rows_of(read_table(data)) == [(2, ["1", "a"]), (6, ["5", "e"]), (8, ["7", "g"])]


def test_leading_blank_lines_before_the_header() -> None:
    table = read_table(b"\n,,\nid,text\n1,a\n")
    assert table.headers == ["id", "text"]
    assert rows_of(table) == [(4, ["1", "a"])]


def test_header_only_file_has_no_rows() -> None:
    table = read_table("订单号,评价内容\n".encode())
    assert table.headers == ["订单号", "评价内容"]
    assert rows_of(table) == []


def test_headers_are_normalised_but_data_is_not() -> None:
    data = " 订单号\u200b ,ＩＤ,名\u00a0称,\ufeffrating\n１２,ＡＢ\u200b,\u00a0x ,５\n".encode()
    table = read_table(data)
    assert table.headers == ["订单号", "ID", "名称", "rating"]
    assert rows_of(table) == [(2, ["１２", "ＡＢ\u200b", "\u00a0x ", "５"])]


def test_rows_are_streamed_not_listed() -> None:
    table = read_table(CHINESE_CSV.encode())
    assert isinstance(table.rows, Iterator)
    assert iter(table.rows) is table.rows
    assert next(table.rows)[0] == 2


def test_a_field_too_large_for_csv_is_reported_with_its_row() -> None:
    data = b"id,text\n1,ok\n2," + b"x" * 200_000 + b"\n"
    table = read_table(data)
    assert next(table.rows) == (2, ["1", "ok"])
    with pytest.raises(UnreadableFile, match="Row 3"):
        next(table.rows)


# --- refusals -----------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \r\n\t ", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n\n"])
def test_empty_file(data: bytes) -> None:
    assert refusal(data) == "The file is empty."


def test_no_header_row() -> None:
    assert refusal(b",,\n , \n") == "No header row."


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image"),
        (b"GIF89a\x01\x00", "image"),
        (b"%PDF-1.7\n%\xe2\xe3", "PDF"),
        (b"\x1f\x8b\x08\x00", "archive"),
        (b"Rar!\x1a\x07\x01\x00", "archive"),
        (b"7z\xbc\xaf\x27\x1c\x00\x04", "archive"),
    ],
)
def test_known_non_table_files(data: bytes, what: str) -> None:
    message = refusal(data, "reviews.csv")
    assert what in message
    assert message.endswith("not a table of reviews.")


def test_random_binary_is_refused() -> None:
    data = bytes(range(256)) * 8
    assert "binary" in refusal(data)


def test_html_saved_as_xls_is_refused_with_advice() -> None:
    data = b"<html><body><table><tr><td>id</td></tr></table></body></html>"
    message = refusal(data, "export.xls")
    assert "web page" in message
    assert ".xlsx or CSV" in message


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04" + b"junk" * 20, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64],
    ids=["zip-header", "ole2-header"],
)
def test_damaged_spreadsheet(data: bytes) -> None:
    refusal(data)


def test_zip_that_is_not_a_spreadsheet() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photo.txt", "not a sheet")
    assert "could not be opened" in refusal(buffer.getvalue(), "reviews.xlsx")


# --- spreadsheets -------------------------------------------------------------------


Writer = Callable[[xlsxwriter.Workbook, Worksheet], None]


def xlsx(write: Writer) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    write(workbook, workbook.add_worksheet("评价"))
    workbook.close()
    return buffer.getvalue()


def review_sheet(workbook: xlsxwriter.Workbook, sheet: Worksheet) -> None:
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    # Data starts at B3: calamine reports the empty area, the row numbers must match Excel.
    sheet.write_row(2, 1, ["订单号\u200b", "评价时间", "评价内容", "评分", "已回复"])
    sheet.write_string(3, 1, "123456789012345678")  # 18-digit id kept as text
    sheet.write_datetime(3, 2, datetime(2025, 1, 2, 12, 30), when)
    sheet.write_string(3, 3, "很好")
    sheet.write_number(3, 4, 5)
    sheet.write_boolean(3, 5, True)
    # row 5 (index 4) left blank on purpose
    sheet.write_number(5, 1, 123456789012)  # 12-digit id as a number
    sheet.write_number(5, 2, 45658.5)  # Excel serial in a plain numeric cell
    sheet.write_string(5, 3, "  一般 ")
    sheet.write_number(5, 4, 3.0)
    sheet.write_boolean(5, 5, False)
    sheet.write_number(6, 1, 123456789012345678)  # an 18-digit id Excel turned into a number
    sheet.write_datetime(6, 2, datetime(2025, 3, 4), day)
    sheet.write_string(6, 3, "差")
    sheet.write_number(6, 4, 4.5)


def test_xlsx_cells_keep_their_types() -> None:
    table = read_table(xlsx(review_sheet), "whatever.csv")  # the name does not decide
    assert table.encoding == "xlsx"
    assert table.headers == ["订单号", "评价时间", "评价内容", "评分", "已回复"]
    rows = rows_of(table)
    assert [number for number, _ in rows] == [4, 6, 7]
    first, second, third = (cells_ for _, cells_ in rows)

    assert first == ["123456789012345678", datetime(2025, 1, 2, 12, 30), "很好", 5, True]
    assert second[0] == 123456789012
    assert type(second[0]) is int
    assert second[1] == 45658.5
    assert second[2:] == ["  一般 ", 3, False]
    assert isinstance(third[0], float)  # beyond 2**53: left a float, see below
    assert third[1] == date(2025, 3, 4)
    assert third[3:] == [4.5, ""]  # an empty cell reads as "", like an empty CSV field


def test_xlsx_cells_through_the_cell_parsers() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    rows = [cells_ for _, cells_ in read_table(xlsx(review_sheet)).rows]
    assert cells.identifier(rows[0][0]) == "123456789012345678"
    assert cells.identifier(rows[1][0]) == "123456789012"
    with pytest.raises(ValueError, match="丢失了位数"):
        cells.identifier(rows[2][0])
    assert cells.moment(rows[0][1], tz) == datetime(2025, 1, 2, 12, 30, tzinfo=tz)
    assert cells.moment(rows[1][1], tz) == datetime(2025, 1, 1, 12, 0, tzinfo=tz)
    assert cells.moment(rows[2][1], tz) == datetime(2025, 3, 4, tzinfo=tz)
    assert cells.text(rows[1][2]) == "一般"
    assert cells.rating(rows[1][3], "stars") == 3


def test_xlsx_header_only_and_empty_sheet() -> None:
    def header_only(workbook: xlsxwriter.Workbook, sheet: Worksheet) -> None:
        sheet.write_row(0, 0, ["id", "text"])

    table = read_table(xlsx(header_only))
    assert table.headers == ["id", "text"]
    assert rows_of(table) == []

    def nothing(workbook: xlsxwriter.Workbook, sheet: Worksheet) -> None:
        pass

    assert refusal(xlsx(nothing)) == "No header row."


def minimal_ods(rows: list[list[str]]) -> bytes:
    """An OpenDocument spreadsheet by hand: no ODS writer is among the dependencies."""
    table_rows = "".join(
        "<table:table-row>"
        + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{value}</text:p>'
            "</table:table-cell>"
            for value in row
        )
        + "</table:table-row>"
        for row in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Sheet1">'
        f"{table_rows}</table:table></office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/"'
        ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def test_ods() -> None:
    table = read_table(minimal_ods([["订单号", "评价内容"], ["0012", "好吃"]]))
    assert table.encoding == "ods"
    assert table.headers == ["订单号", "评价内容"]
    assert rows_of(table) == [(2, ["0012", "好吃"])]


# --- properties ---------------------------------------------------------------------

MAGIC = [b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\xef\xbb\xbf", b"\xff\xfe", b"<html>"]


@settings(max_examples=300, deadline=None)
@given(prefix=st.sampled_from(MAGIC), body=st.binary(max_size=2000))
def test_any_bytes_give_a_table_or_unreadable_file(prefix: bytes, body: bytes) -> None:
    try:
        table = read_table(prefix + body)
        for number, row in table.rows:
            assert number >= 2
            assert isinstance(row, list)
    except UnreadableFile as exc:
        assert exc.message


FIELD_CHARACTERS = st.characters(codec="utf-8", exclude_characters="\x00")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.text(alphabet=FIELD_CHARACTERS, max_size=12), min_size=2, max_size=2),
        min_size=1,
        max_size=8,
    )
)
def test_csv_written_by_the_csv_module_reads_back(records: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["id", "text"], *records])
    table = read_table(buffer.getvalue().encode())
    assert table.headers == ["id", "text"]
    expected = [
        (number, record)
        for number, record in enumerate(records, start=2)
        if any(value.strip() for value in record)
    ]
    assert rows_of(table) == expected

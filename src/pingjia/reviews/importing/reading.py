"""Read a review-export file (CSV/TSV text or a spreadsheet) into header + rows.

Pure Python on purpose: the import views, the management command and the tests all
call it with plain bytes, and it must never need a database or settings.

What comes back is deliberately raw: header cells are normalised (they are matched
against column names), data cells are not (review text must stay as the customer
wrote it; `cells.py` interprets each cell once the column is known).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeAlias, TypeVar, cast

import python_calamine

Cell: TypeAlias = str | int | float | datetime | date | None
_Raw = TypeVar("_Raw")

__all__ = ["Cell", "Table", "UnreadableFile", "read_table"]


class UnreadableFile(Exception):
    """The file is not a table this import can read.

    `message` says why, for a person (English, short); the upload form shows it as is.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Table:
    """A header row plus a lazy stream of data rows.

    `rows` is an iterator so that a 200,000-review export is never held as a list of
    rows; it can be consumed once. Row numbers are the ones a person sees when the
    file is opened in Excel (header = row 1), so error messages can point at them.
    """

    headers: list[str]
    rows: Iterator[tuple[int, list[Cell]]]
    encoding: str


# Zero-width characters and NBSP sneak into headers copied from web pages and
# platform back-ends; they make "订单号" and "订单号\u200b" look equal but not match.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00a0"))

# Magic numbers of files people upload by mistake (a screenshot, a PDF report, an archive).
_NOT_A_TABLE: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "an image file (PNG)"),
    (b"\xff\xd8\xff", "an image file (JPEG)"),
    (b"GIF8", "an image file (GIF)"),
    (b"RIFF", "a media file (WebP/WAV/AVI)"),
    (b"%PDF", "a PDF file"),
    (b"\x1f\x8b", "an archive file (gzip)"),
    (b"Rar!\x1a\x07", "an archive file (RAR)"),
    (b"7z\xbc\xaf\x27\x1c", "an archive file (7z)"),
    (b"PK\x05\x06", "an empty archive file (ZIP)"),
)

_ZIP = b"PK\x03\x04"
# Nothing but a byte-order mark and white space; matched in place, as stripping a file of
# hundreds of megabytes would copy it.
_BLANK = re.compile(b"(?:" + re.escape(codecs.BOM_UTF8) + rb")?\s*\Z")
_OLE2 = b"\xd0\xcf\x11\xe0"  # legacy .xls (and .doc/.ppt; calamine tells them apart)
_DELIMITERS = (",", "\t", ";")  # order breaks ties: a one-column file is comma-separated
_BINARY_PROBE = 4096
_MAX_EXACT_FLOAT = 2**53  # beyond this a float cannot hold every integer, keep it a float


def normalise_header(value: object) -> str:
    """Header text as it should be matched: NFKC (full-width → ASCII), no invisible chars."""
    text = _cell_as_text(value)
    return unicodedata.normalize("NFKC", text.translate(_INVISIBLE)).strip()


def read_table(data: bytes, filename: str = "") -> Table:
    """Open `data` as a table, deciding the format from its content, not its name.

    People rename files freely (an .xls that is really HTML, a CSV called .xlsx), so
    the name is only used to make the error message more helpful.
    """
    if _BLANK.match(data):
        raise UnreadableFile("The file is empty.")
    if data.startswith(_ZIP):
        return _read_spreadsheet(data, _zip_kind(data))
    if data.startswith(_OLE2):
        return _read_spreadsheet(data, "xls")
    _refuse_known_binary(data)
    return _read_text(data, filename)


# --- spreadsheets -------------------------------------------------------------------


def _zip_kind(data: bytes) -> str:
    """ODS stores its MIME type uncompressed as the first zip member; anything else is xlsx."""
    return "ods" if b"application/vnd.oasis.opendocument.spreadsheet" in data[:200] else "xlsx"


def _read_spreadsheet(data: bytes, kind: str) -> Table:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        raw_rows: Iterator[Sequence[object]]
        if hasattr(sheet, "iter_rows"):
            raw_rows = sheet.iter_rows()
        else:  # older python-calamine: a list, from A1 so that row numbers stay true
            raw_rows = iter(sheet.to_python(skip_empty_area=False))
    except python_calamine.PasswordError as exc:
        raise UnreadableFile("The spreadsheet is password-protected; remove the password.") from exc
    except BaseException as exc:
        if not _calamine_failure(exc):
            raise
        raise UnreadableFile(_spreadsheet_error(kind)) from exc
    # calamine (0.9) yields rows from row 1 of the sheet even when the data starts lower,
    # so enumerate() gives the row numbers Excel shows. A test pins this behaviour.
    numbered = _guard_spreadsheet(enumerate(raw_rows, start=1), kind)
    headers, rows = _split_header(numbered, _spreadsheet_row)
    return Table(headers=headers, rows=rows, encoding=kind)


def _calamine_failure(exc: BaseException) -> bool:
    """Whether `exc` is calamine failing on a bad file rather than the process stopping.

    calamine is Rust: besides CalamineError it can raise ValueError/OSError, and a panic
    on a malformed file surfaces as pyo3's PanicException, a BaseException. An upload
    must never turn into a server error, but KeyboardInterrupt, SystemExit and
    GeneratorExit (closing a half-read `rows`) must pass through.
    """
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _spreadsheet_error(kind: str) -> str:
    if kind == "xls":
        return "This .xls workbook could not be opened; save it as .xlsx or CSV and try again."
    return (
        "This spreadsheet could not be opened: it is damaged or not an Excel (.xlsx) "
        "or OpenDocument (.ods) file."
    )


def _guard_spreadsheet(
    rows: Iterator[tuple[int, Sequence[object]]], kind: str
) -> Iterator[tuple[int, Sequence[object]]]:
    """Turn a failure half-way through a damaged workbook into UnreadableFile."""
    try:
        yield from rows
    except BaseException as exc:
        if not _calamine_failure(exc):
            raise
        raise UnreadableFile(_spreadsheet_error(kind)) from exc


def _spreadsheet_row(raw: Sequence[object]) -> list[Cell]:
    return [_spreadsheet_cell(value) for value in raw]


def _spreadsheet_cell(value: object) -> Cell:
    """Map calamine values onto Cell.

    Integral floats become int so ids such as 123456789012 are not read as
    "123456789012.0" — but only below 2**53: a larger float has already lost digits,
    and keeping it a float lets `cells.identifier` say so instead of inventing digits.
    """
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _MAX_EXACT_FLOAT:
            return int(value)
        return value
    if isinstance(value, str | int | datetime | date):  # bool is an int: kept as is
        return value
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return None if value is None else str(value)


# --- text (CSV / TSV) ---------------------------------------------------------------


def _refuse_known_binary(data: bytes) -> None:
    for magic, what in _NOT_A_TABLE:
        if data.startswith(magic):
            raise UnreadableFile(f"This is {what}, not a table of reviews.")
    probe = data[:_BINARY_PROBE]
    if probe.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and b"\x00" in probe:
        # Excel's "Unicode Text" export: readable in principle, but not one we accept.
        raise UnreadableFile(
            "This is UTF-16 text (Excel's “Unicode Text”); save it as “CSV UTF-8” instead."
        )
    if b"\x00" in probe:
        raise UnreadableFile("This is a binary file, not a table of reviews.")


def _encoding(data: bytes) -> str:
    """The encoding `data` decodes in without error: strict UTF-8 first (with or without BOM),
    then GB18030 (a superset of GBK/GB2312). The file is checked piece by piece, so that
    deciding never holds a decoded copy of a large export.

    Order matters: valid UTF-8 Chinese text is almost never valid GB18030 by accident,
    but the reverse happens, so UTF-8 gets the first word.
    """
    utf8 = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    for encoding in (utf8, "gb18030"):
        if _decodes(data, encoding):
            return encoding
    raise UnreadableFile(
        "The text could not be decoded as UTF-8 or GB18030 (GBK); save it as “CSV UTF-8”."
    )


def _decodes(data: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    try:
        for start in range(0, len(view), _DECODE_PIECE):
            decoder.decode(view[start : start + _DECODE_PIECE])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


_DECODE_PIECE = 1 << 20
_MARKUP = re.compile(r"\A\s*<(?:!doctype\s+html|html|table|\?xml)", re.IGNORECASE)


def _read_text(data: bytes, filename: str) -> Table:
    encoding = _encoding(data)
    if b"\x00" in data:  # neither UTF-8 nor GB18030 has a zero byte in any other character
        raise UnreadableFile("This is a binary file, not a table of reviews.")
    # The rows are decoded as they are read (the file itself is held once, by the caller):
    # a decoded copy of a large export, plus its rows, would make memory grow with the file.
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    start = stream.read(_DECODE_PIECE)
    stream.seek(0)
    if _MARKUP.match(start):
        # Many back-ends export "xls" files that are really an HTML table or XML 2003.
        named = " named like a spreadsheet" if filename.lower().endswith((".xls", ".xlsx")) else ""
        raise UnreadableFile(
            f"This is a web page or XML file{named}, not a real spreadsheet; "
            "open it in Excel and save it as .xlsx or CSV."
        )
    reader = csv.reader(stream, delimiter=_sniff_delimiter(start))
    # The csv reader yields one list per record, so a review with line breaks inside
    # quotes is still one row, the same as Excel shows it.
    numbered = _guard_csv(enumerate(reader, start=1))
    headers, rows = _split_header(numbered, _text_row)
    return Table(headers=headers, rows=rows, encoding=encoding)


def _text_row(raw: list[str]) -> list[Cell]:
    """A CSV record as it comes: the csv reader makes a new list for each, nothing to copy."""
    return cast(list[Cell], raw)


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header line into the most fields.

    csv.Sniffer guesses from letters and punctuation inside Chinese review text and
    is easily wrong; the header line is short, regular and known to hold the columns.
    `text` is the start of the file, which holds the header line.
    """
    header_line = next((line for line in text.splitlines() if line.strip()), "")

    def width(delimiter: str) -> int:
        try:
            return len(next(csv.reader([header_line], delimiter=delimiter), []))
        except csv.Error:
            return 0

    return max(_DELIMITERS, key=width)


def _guard_csv(
    rows: Iterator[tuple[int, list[str]]],
) -> Iterator[tuple[int, list[str]]]:
    """Report a malformed record (e.g. a field over csv's size limit) with its row number."""
    number = 0
    try:
        for number, row in rows:
            yield number, row
    except csv.Error as exc:
        raise UnreadableFile(f"Row {number + 1} is not valid CSV ({exc}).") from exc


# --- shared -------------------------------------------------------------------------


def _split_header(
    numbered: Iterator[tuple[int, _Raw]], convert: Callable[[_Raw], list[Cell]]
) -> tuple[list[str], Iterator[tuple[int, list[Cell]]]]:
    """Take the first non-blank row as the header; the rest stream as data.

    Leading blank rows are skipped rather than refused: calamine reports a sheet whose
    data starts at row 3 as two empty rows first, and a CSV may start with a blank line.
    """
    for _number, raw in numbered:
        first = convert(raw)
        if not _is_blank(first):
            headers = [normalise_header(value) for value in first]
            if not any(headers):
                break
            return headers, _data_rows(numbered, convert)
    raise UnreadableFile("No header row.")


def _data_rows(
    numbered: Iterator[tuple[int, _Raw]], convert: Callable[[_Raw], list[Cell]]
) -> Iterator[tuple[int, list[Cell]]]:
    for number, raw in numbered:
        cells = convert(raw)
        if not _is_blank(cells):
            yield number, cells


def _is_blank(cells: Sequence[Cell]) -> bool:
    """A row of empty or whitespace-only cells is a gap a person left, not a review. A row of
    text (every CSV row) is checked in one step."""
    try:
        return not "".join(cells).strip()  # type: ignore[arg-type]
    except TypeError:
        return all(value is None or (isinstance(value, str) and not value.strip())
                   for value in cells)


def _cell_as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)

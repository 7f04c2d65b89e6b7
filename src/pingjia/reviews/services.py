"""Acts on reviews: importing files, pushes from other systems, complaints registered by
customer service, the public form, invitations and call-backs."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache, partial
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pingjia.accounts.access import require_permission
from pingjia.accounts.models import AuditAction, Store, User
from pingjia.accounts.services import audit_record
from pingjia.core import crypto
from pingjia.core.errors import ApplicationError
from pingjia.core.ratelimit import within_limit
from pingjia.reviews.importing import cells
from pingjia.reviews.importing.formats import FORMATS, ImportFormat, detect
from pingjia.reviews.importing.reading import Table, UnreadableFile, read_table
from pingjia.reviews.importing.rows import (
    ReviewRow,
    RowError,
    RowParser,
    language_of,
    parse_row,
)
from pingjia.reviews.models import (
    Callback,
    Channel,
    Customer,
    CustomerIdentity,
    ImportRun,
    Invitation,
    Review,
    ReviewRevision,
)
from pingjia.reviews.search import index_text

# Rows per transaction. Fewer commits, and an index page that several rows of a chunk touch is
# written once: 5,000 rather than 1,000 cut the time an import of 50,000 reviews spent waiting
# on SQLite's writes from 4 s to 1 s. Memory stays a few MB.
CHUNK = 5000
# Part of every row's source hash: change it whenever the reading of a row changes (cells,
# rows, formats), so that rows read the old way are read again rather than skipped.
ROW_HASH_VERSION = "1"
IMPORT_PAGE_CACHE_MB = 64
# Rejected rows kept with their values; beyond this only the count grows, so that a file of
# garbage cannot fill the database.
MAX_KEPT_ERRORS = 10_000
# Fields a later export of the same review may bring: appended reviews, replies, corrections.
UPDATABLE = ("rating", "text", "append_text", "appended_at", "platform_reply", "tags", "images",
             "sub_scores")


class _DryRunRollback(Exception):
    pass


def review_import(*, actor: User | None, data: bytes, file_name: str, channel: Channel,
                  default_store: Store | None = None, format_code: str = "auto",
                  dry_run: bool = False) -> ImportRun:
    """Import a file of reviews now (the `pingjia import` command); the returned run says what
    was read, created, updated, skipped as duplicate and rejected (row numbers and reasons).

    Every good row is kept even when others are rejected. Rows are written in chunks, each in
    its own transaction, and re-importing the same file (or an overlapping later export)
    creates nothing twice, so an import that stopped half-way is completed by running it
    again. A file that is not a review export at all is rejected whole and changes nothing.
    A dry run does everything, records its result, and rolls every change back."""
    run = _new_run(actor=actor, data=data, file_name=file_name, channel=channel,
                   default_store=default_store, format_code=format_code, dry_run=dry_run)
    run.save()
    return _execute(run, data, count_rows=False)


@transaction.atomic
def review_import_start(*, actor: User | None, data: bytes, file_name: str, channel: Channel,
                        default_store: Store | None = None, format_code: str = "auto",
                        dry_run: bool = False) -> ImportRun:
    """Queue an import (the upload page). The file waits in the database, where a worker on
    any machine finds it, until it has been processed; progress is on the run, so a page can
    follow it."""
    from pingjia.reviews.tasks import import_process

    run = _new_run(actor=actor, data=data, file_name=file_name, channel=channel,
                   default_store=default_store, format_code=format_code, dry_run=dry_run)
    run.status = ImportRun.Status.QUEUED
    run.upload = data
    run.save()
    transaction.on_commit(lambda: import_process(run.pk))
    return run


def review_import_process(*, run_id: int) -> ImportRun:
    """Process a queued import. The run is claimed by moving it out of `queued` in one UPDATE,
    so a task delivered twice, or to two workers at once, does the work once."""
    claimed = ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.QUEUED,
                                       upload__isnull=False).update(
        status=ImportRun.Status.RUNNING)
    run = ImportRun.objects.select_related("channel", "default_store", "created_by").get(
        pk=run_id)
    if not claimed:
        return run
    assert run.upload is not None  # claimed only with its file
    data = bytes(run.upload)
    _execute(run, data, count_rows=True)
    if run.status in {ImportRun.Status.DONE, ImportRun.Status.REJECTED}:
        run.upload = None  # the file has done its work; its rows are in the database now
        run.save(update_fields=["upload"])
    return run


def _new_run(*, actor: User | None, data: bytes, file_name: str, channel: Channel,
             default_store: Store | None, format_code: str, dry_run: bool) -> ImportRun:
    if format_code != "auto" and format_code not in FORMATS:
        raise ApplicationError(f"Unknown format {format_code!r}; known: auto, "
                               f"{', '.join(FORMATS)}.", code="unknown_format")
    return ImportRun(channel=channel, default_store=default_store, file_name=file_name[:200],
                     file_sha256=hashlib.sha256(data).hexdigest(), dry_run=dry_run,
                     format=format_code, created_by=actor)


_RESULT_FIELDS = ("rows_read", "created", "updated", "duplicates", "rejected", "errors",
                  "stores_created")


def _execute(run: ImportRun, data: bytes, *, count_rows: bool) -> ImportRun:
    try:
        table = read_table(data, run.file_name)
        fmt = detect(table.headers) if run.format == "auto" else FORMATS[run.format]
        fields, scores = fmt.mapping(table.headers)
        if "text" not in fields and "rating" not in fields:
            raise UnreadableFile(
                "This is not a review export: no column of review text or rating was found "
                f"(format {fmt.code}; headers: {', '.join(table.headers[:12])}).")
    except UnreadableFile as exc:
        run.status = ImportRun.Status.REJECTED
        run.message = str(exc)
        run.finished_at = timezone.now()
        _save_run(run)
        return run
    run.format, run.encoding = fmt.code, table.encoding
    if count_rows:  # for the progress bar; a second pass over the file
        run.rows_total = sum(1 for _row in read_table(data, run.file_name).rows)
    run.status = ImportRun.Status.RUNNING
    _save_run(run)
    if run.dry_run:
        try:
            with transaction.atomic():
                _import_rows(run, table, fmt, fields, scores)
                result = {name: getattr(run, name) for name in _RESULT_FIELDS}
                raise _DryRunRollback
        except _DryRunRollback:
            pass
        for name, value in result.items():
            setattr(run, name, value)
        run.status, run.finished_at = ImportRun.Status.DONE, timezone.now()
        _save_run(run)
        return run
    try:
        _import_rows(run, table, fmt, fields, scores)
    except Exception as exc:
        run.status = ImportRun.Status.FAILED
        run.message = f"{type(exc).__name__}: {exc}"
        run.finished_at = timezone.now()
        _save_run(run)
        raise
    audit_record(actor=run.created_by, action=AuditAction.IMPORTED, target=run,
                 changes={"created": [None, run.created], "updated": [None, run.updated],
                          "rejected": [None, run.rejected]})
    reviews_arrived()
    return run


def reviews_arrived() -> None:
    """New reviews are analysed, and the negative ones open their cases, within seconds of
    the commit that brought them (a periodic task catches anything this misses)."""
    from pingjia.analysis.tasks import new_reviews  # the analysis builds on reviews

    transaction.on_commit(new_reviews, robust=True)


def _import_rows(run: ImportRun, table: Table, fmt: ImportFormat, fields: dict[str, int],
                 scores: dict[str, int]) -> None:
    tz = ZoneInfo(settings.TIME_ZONE)
    headers = table.headers
    parser = RowParser(fmt=fmt, fields=fields, scores=scores, tz=tz)
    salt = "\x1e".join([ROW_HASH_VERSION, fmt.code, str(tz), *headers])
    salted = hashlib.blake2b(f"{salt}\x1d".encode(), digest_size=16)
    updated: set[str] = set()  # identities this run has changed
    with _large_page_cache():
        for chunk in _chunks(table.rows, CHUNK):
            _import_chunk(run, chunk, parser, salted, headers, updated)
    run.status = ImportRun.Status.DONE
    run.finished_at = timezone.now()
    _save_run(run)


@contextmanager
def _large_page_cache() -> Iterator[None]:
    """SQLite's default page cache (2 MB) is far smaller than the indexes an import of
    hundreds of thousands of reviews walks through, and every miss is a system call; the
    import's connection gets IMPORT_PAGE_CACHE_MB for as long as it runs (a fixed amount,
    whatever the file's size)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-1024 * IMPORT_PAGE_CACHE_MB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _import_chunk(run: ImportRun, chunk: list[tuple[int, list[Any]]], parser: RowParser,
                  salted: hashlib.blake2b, headers: list[str], updated: set[str]) -> None:
    hashes = [_source_hash(salted, values) for _number, values in chunk]
    known = _known_sources(run.channel, hashes)
    good: list[ReviewRow] = []
    skipped: list[tuple[int, list[Any], str]] = []
    for (number, values), source_hash in zip(chunk, hashes, strict=True):
        run.rows_read += 1
        if source_hash in known:
            skipped.append((number, values, source_hash))
            continue
        try:
            row = parser.parse(values, number)
        except RowError as exc:
            _reject(run, number, str(exc), headers, values)
            continue
        row.source_hash = source_hash
        good.append(row)
    # A row read unchanged before is a duplicate without being parsed, unless a changed
    # row of the same review comes in this run: then it is applied in its turn, as it
    # would have been without the shortcut.
    parsed = {row.identity for row in good}
    again = [(number, values, h) for number, values, h in skipped
             if known[h] in parsed or known[h] in updated]
    run.duplicates += len(skipped) - len(again)
    for number, values, source_hash in again:
        try:
            row = parser.parse(values, number)
        except RowError as exc:  # not while the rules of reading are unchanged
            _reject(run, number, str(exc), headers, values)
            continue
        row.source_hash = source_hash
        good.append(row)
    if again:
        good.sort(key=lambda row: row.row)
    with transaction.atomic():
        outcomes = _write_chunk(run, good)
        _save_run(run)
    updated.update(row.identity for row, (outcome, _pk) in zip(good, outcomes, strict=True)
                   if outcome == Outcome.UPDATED)


def _source_hash(salted: hashlib.blake2b, values: list[Any]) -> str:
    """The fingerprint of a row as read from the file, under the file's headers and format
    (`salted`: a blake2b that has taken them in). Cells that are not text (spreadsheets) are
    written with their type; a CSV row, all text, is joined in one step."""
    try:
        raw = "\x1f".join(values)
    except TypeError:
        raw = "\x1f".join(v if v.__class__ is str else repr(v) for v in values)
    hasher = salted.copy()
    hasher.update(raw.encode())
    return hasher.hexdigest()


def _reviews() -> models.QuerySet[Review]:
    """Reviews without the model's newest-first order, for the import's look-ups by key:
    with an ORDER BY reviewed_at SQLite walks the time index instead of the key's and reads
    every review of the table for each chunk, so that an import slowed down as it went."""
    return Review.objects.order_by()


def _known_sources(channel: Channel, hashes: list[str]) -> dict[str, str]:
    """{source hash: identity} of the channel's reviews last read from one of these rows.
    The channel is checked here rather than in SQL: without statistics SQLite would pick the
    (channel, time) index for both conditions and scan the whole channel."""
    channel_id = channel.pk
    return {source_hash: identity for source_hash, identity, review_channel in _select_in(
        "SELECT source_hash, identity, channel_id FROM reviews_review "
        "WHERE source_hash IN ({})", set(hashes)) if review_channel == channel_id}


def _select_in(sql: str, values: Collection[Any], *params: Any) -> list[tuple[Any, ...]]:
    """The rows of `sql` (no ORDER BY: see `_reviews`), its `IN ({})` filled with `values`
    after `params`. Written out rather than through the ORM, whose preparation of each value
    costs more than the query when a chunk of an import looks up thousands of keys."""
    if not values:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql.format(", ".join(["%s"] * len(values))), [*params, *values])
        return list(cursor.fetchall())


def _save_run(run: ImportRun) -> None:
    """Save an existing run's state, leaving the uploaded file (up to hundreds of MB) alone."""
    run.save(update_fields=[f.name for f in ImportRun._meta.concrete_fields
                            if not f.primary_key and f.name != "upload"])


def _chunks(rows: Iterator[tuple[int, list[Any]]], size: int) -> Iterator[list[Any]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _reject(run: ImportRun, number: int, reason: str, headers: list[str],
            values: list[Any]) -> None:
    run.rejected += 1
    if len(run.errors) < MAX_KEPT_ERRORS:
        run.errors.append({"row": number, "reason": reason,
                           "values": {h: cells.text(v) for h, v in zip(headers, values,
                                                                       strict=False) if h}})


@dataclass(eq=False)
class _Person:
    """A customer as matching sees them: which contact fields they already have (a stored
    one is never decrypted for this), and the clear values this chunk gives them."""

    pk: int | None
    has: set[str]
    values: dict[str, str] = field(default_factory=dict)


@dataclass
class _Stored:
    """A review already in the database: what a later row may change on it."""

    pk: int
    values: dict[str, Any]
    source_hash: str


@dataclass
class _Lookups:
    """What one chunk needs from the database, fetched in a few queries."""

    stores: dict[str, Store] = field(default_factory=dict)
    reviews: dict[str, _Stored] = field(default_factory=dict)
    keys: list[tuple[str, str, str]] = field(default_factory=list)  # per row: phone, e-mail, nick
    by_phone: dict[str, _Person] = field(default_factory=dict)
    by_email: dict[str, _Person] = field(default_factory=dict)
    by_identity: dict[str, _Person] = field(default_factory=dict)
    # Written once per chunk, after the rows have been resolved.
    new_people: list[_Person] = field(default_factory=list)
    changed_people: dict[int, _Person] = field(default_factory=dict)
    new_identities: list[tuple[_Person, str, str]] = field(default_factory=list)  # nick, hash

    def save_customers(self, channel: Channel) -> None:
        """INSERT the new customers (their ids come back in order), UPDATE the ones given a
        missing contact field, then the new platform identities. Values are encrypted and
        hashed as the model fields do it."""
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        for start in range(0, len(self.new_people), 500):
            people = self.new_people[start:start + 500]
            rows = [_customer_columns(person.values) for person in people]
            ids = _insert_returning(Customer, [*_CUSTOMER_COLUMNS, "created_at"],
                                    [[*row, now] for row in rows])
            for person, pk in zip(people, ids, strict=True):
                person.pk = pk
        for pk, person in self.changed_people.items():
            fields: dict[str, str] = dict(person.values)  # the ORM encrypts them
            fields.update({f"{name}_hash": crypto.lookup_hash(value, name)
                           for name, value in person.values.items() if name != "name"})
            Customer.objects.filter(pk=pk).update(**fields)
        if not self.new_identities:
            return
        table = connection.ops.quote_name(CustomerIdentity._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (customer_id, channel_id, value, value_hash) "  # noqa: S608
                "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [(person.pk, channel.pk, crypto.encrypt(nick), nick_hash)
                 for person, nick, nick_hash in self.new_identities])


_CUSTOMER_COLUMNS = ("name", "phone", "phone_hash", "email", "email_hash")


def _customer_columns(values: dict[str, str]) -> list[str]:
    name, phone, email = (values.get(key, "") for key in ("name", "phone", "email"))
    return [crypto.encrypt(name) if name else "",
            crypto.encrypt(phone) if phone else "",
            crypto.lookup_hash(phone, "phone") if phone else "",
            crypto.encrypt(email) if email else "",
            crypto.lookup_hash(email, "email") if email else ""]


def _insert_returning(model: type[models.Model], columns: list[str],
                      rows: list[list[Any]]) -> list[int]:
    """INSERT rows in one statement; their new ids, in the order of the rows (as Django's
    bulk_create relies on, on SQLite 3.35+ and PostgreSQL)."""
    if not rows:
        return []
    quote = connection.ops.quote_name
    values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    sql = (f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 (model metadata only)
           f"({', '.join(quote(c) for c in columns)}) VALUES {values} RETURNING id")
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])
        return [pk for (pk,) in cursor.fetchall()]


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


def _write_chunk(run: ImportRun, rows: list[ReviewRow], *,
                 want_ids: bool = False) -> list[tuple[str, int | None]]:
    """Write the rows of one chunk; each row's outcome and, with `want_ids`, its review's id.

    No model instances are made: a review's fields travel as a dict and are written with the
    values their model fields would prepare (see `_ReviewTable`), which is what makes an
    import of a million reviews take seconds per hundred thousand rather than minutes."""
    channel = run.channel
    lookups = _lookups(channel, rows)
    new: dict[str, dict[str, Any]] = {}
    found: list[tuple[str, str]] = []  # (outcome, identity)
    rehashed: list[tuple[str, int]] = []
    for row, keys in zip(rows, lookups.keys, strict=True):
        stored = lookups.reviews.get(row.identity)
        if stored is not None:
            if _update(stored, row, run):
                outcome = Outcome.UPDATED
            else:
                outcome = Outcome.DUPLICATE
                if row.source_hash and stored.source_hash != row.source_hash:
                    stored.source_hash = row.source_hash
                    rehashed.append((row.source_hash, stored.pk))
        elif (pending := new.get(row.identity)) is not None:
            pending.update(_updatable(row))  # the same review twice in one file: the later wins
            pending["source_hash"] = row.source_hash
            outcome = Outcome.DUPLICATE
        else:
            store = _store(run, row, lookups)
            new[row.identity] = {
                "channel_id": channel.pk, "identity": row.identity, "import_run_id": run.pk,
                "store_id": store.pk if store is not None else None,
                "customer": _customer(channel, row, keys, lookups),
                "external_id": row.external_id, "order_id": row.order_id,
                "product": row.product, "product_code": row.product_code,
                "language": row.language, "reviewed_at": row.reviewed_at or run.started_at,
                "received_at": run.started_at, "source_hash": row.source_hash,
                **_updatable(row)}
            outcome = Outcome.CREATED
        run.updated += outcome == Outcome.UPDATED
        run.duplicates += outcome == Outcome.DUPLICATE
        found.append((outcome, row.identity))
    lookups.save_customers(channel)
    for pending in new.values():
        person = pending.pop("customer")
        pending["customer_id"] = person.pk if person is not None else None
        pending["search_text"] = index_text(pending["text"], pending["append_text"])
    ids = _ReviewTable().insert(channel, list(new.values()), want_ids=want_ids)
    if rehashed:
        Review.objects.bulk_update(
            [Review(pk=pk, source_hash=source_hash) for source_hash, pk in rehashed],
            ["source_hash"], batch_size=500)
    run.created += len(new)
    if not want_ids:
        return [(outcome, None) for outcome, _identity in found]
    ids.update({identity: s.pk for identity, s in lookups.reviews.items()})
    return [(outcome, ids[identity]) for outcome, identity in found]


class _ReviewTable:
    """How a new review's values become one row of the reviews table: each value prepared as
    its model field would (JSON, aware datetimes in the database's form), without the ORM's
    per-object work; COPY on PostgreSQL, one executemany on SQLite."""

    def __init__(self) -> None:
        self.fields = [f for f in Review._meta.concrete_fields if not f.primary_key]
        self.plan: list[tuple[str, Callable[[Any], Any] | None, Any]] = []
        for f in self.fields:
            adapt: Callable[[Any], Any] | None = None
            if isinstance(f, models.JSONField):
                adapt = _json_adapter(f)
            elif isinstance(f, models.DateTimeField):
                adapt = _remembering_last(connection.ops.adapt_datetimefield_value)
            default = f.get_db_prep_save(f.get_default(), connection) if f.has_default() \
                else None
            self.plan.append((f.attname, adapt, default))
        quote = connection.ops.quote_name
        self.table = quote(Review._meta.db_table)
        self.columns = ", ".join(quote(f.column) for f in self.fields)

    def insert(self, channel: Channel, reviews: list[dict[str, Any]], *,
               want_ids: bool) -> dict[str, int]:
        """INSERT the reviews and index them for search; {identity: id} with `want_ids`."""
        if not reviews:
            return {}
        missing = object()
        rows = [[default if (value := review.get(name, missing)) is missing
                 else value if adapt is None or value is None else adapt(value)
                 for name, adapt, default in self.plan] for review in reviews]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                _insert_indexed_sqlite(cursor, self.table, self.columns, rows)
        if not want_ids:
            return {}
        return dict(_reviews().filter(channel=channel,
                                      identity__in=[r["identity"] for r in reviews])
                    .values_list("identity", "pk"))


def _json_adapter(field: models.JSONField[Any]) -> Callable[[Any], Any]:
    """The JSON field's database value; that of an empty list or object, which most reviews
    carry (no tags, images or sub-scores), made once."""
    adapt = partial(connection.ops.adapt_json_value, encoder=field.encoder)
    empty = {list: adapt([]), dict: adapt({})}

    def json_value(value: Any) -> Any:
        return adapt(value) if value or value.__class__ not in empty else empty[value.__class__]

    return json_value


def _remembering_last(adapt: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`adapt`, remembering its last answer: every review of an import is received at the
    same moment."""
    last: list[Any] = [object(), None]

    def adapted(value: Any) -> Any:
        if value is not last[0]:
            last[:] = value, adapt(value)
        return last[1]

    return adapted


def _insert_indexed_sqlite(cursor: Any, table: str, columns: str, rows: list[list[Any]]) -> None:
    """On SQLite the FTS index is kept by a trigger, one row at a time, which costs a few
    times more than indexing the chunk's rows together with one INSERT … SELECT. A row in
    `reviews_review_fts_pause` holds the trigger back (migration 0008); it exists only inside
    this transaction, which holds SQLite's write lock, so no other writer ever sees it, and
    every id above the largest one before the INSERT is one of this chunk's rows."""
    cursor.execute(f"SELECT max(id) FROM {table}")  # noqa: S608 (model metadata only)
    before = cursor.fetchone()[0] or 0
    cursor.execute("INSERT INTO reviews_review_fts_pause (paused) VALUES (1)")
    cursor.executemany(f"INSERT INTO {table} ({columns}) "  # noqa: S608
                       f"VALUES ({', '.join(['%s'] * len(rows[0]))})", rows)
    cursor.execute("DELETE FROM reviews_review_fts_pause")
    cursor.execute("INSERT INTO reviews_review_fts (rowid, search_text) "  # noqa: S608
                   f"SELECT id, search_text FROM {table} WHERE id > %s", [before])


def _updatable(row: ReviewRow) -> dict[str, Any]:
    return {"rating": row.rating, "text": row.text, "append_text": row.append_text,
            "appended_at": row.appended_at, "platform_reply": row.reply, "tags": row.tags,
            "images": row.images, "sub_scores": row.sub_scores}


def _update(stored: _Stored, row: ReviewRow, run: ImportRun) -> bool:
    """Bring what a later export adds; never erase what an earlier one said."""
    changes: dict[str, list[Any]] = {}
    for name, new in _updatable(row).items():
        old = stored.values[name]
        if new in (None, "", [], {}) or new == old:
            continue
        changes[name] = [_jsonable(old), _jsonable(new)]
        stored.values[name] = new
    if not changes:
        return False
    fields = {name: stored.values[name] for name in changes}
    if {"text", "append_text"} & set(changes):
        fields["search_text"] = index_text(stored.values["text"], stored.values["append_text"])
    stored.source_hash = row.source_hash
    Review.objects.filter(pk=stored.pk).update(source_hash=row.source_hash, **fields)
    ReviewRevision.objects.create(review_id=stored.pk, import_run=run, changes=changes)
    return True


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _lookups(channel: Channel, rows: list[ReviewRow]) -> _Lookups:
    lookups = _Lookups()
    identities = {row.identity for row in rows}
    # Ids first, which the unique (channel, identity) index answers alone (asking for more
    # columns at once makes SQLite without statistics scan the channel), then the fields of
    # the few reviews found.
    existing = dict(_select_in("SELECT id, identity FROM reviews_review "
                               "WHERE channel_id = %s AND identity IN ({})", identities,
                               channel.pk))
    if existing:
        lookups.reviews = {
            existing[pk]: _Stored(pk, dict(zip(UPDATABLE, values, strict=True)), source_hash)
            for pk, source_hash, *values in _reviews().filter(pk__in=existing)
            .values_list("pk", "source_hash", *UPDATABLE)}
    codes = {row.store_code for row in rows if row.store_code}
    names = {row.store_name for row in rows if row.store_name and not row.store_code}
    if codes or names:
        for store in Store.objects.filter(code__in=codes | {_store_code(n) for n in names}):
            lookups.stores[store.code] = store
    if names:
        for store in Store.objects.filter(name__in=names):
            lookups.stores.setdefault(_store_code(store.name), store)
    lookups.keys = [
        (crypto.lookup_hash(row.customer_phone, "phone") if row.customer_phone else "",
         crypto.lookup_hash(row.customer_email, "email") if row.customer_email else "",
         crypto.lookup_hash(row.customer_nick, "text") if row.customer_nick else "")
        for row in rows]
    phones = {phone for phone, _email, _nick in lookups.keys if phone}
    emails = {email for _phone, email, _nick in lookups.keys if email}
    nicks = {nick for _phone, _email, nick in lookups.keys if nick}
    people: dict[int, _Person] = {}

    def person(pk: int, *lengths: int) -> _Person:
        if pk not in people:
            people[pk] = _Person(pk, {name for name, length in
                                      zip(("name", "phone", "email"), lengths, strict=True)
                                      if length})
        return people[pk]

    presence = "length(c.name), length(c.phone), length(c.email)"
    for key, pk, *lengths in _select_in(f"SELECT phone_hash, id, {presence} "  # noqa: S608
                                        "FROM reviews_customer c WHERE phone_hash IN ({})",
                                        phones):
        lookups.by_phone[key] = person(pk, *lengths)
    for key, pk, *lengths in _select_in(f"SELECT email_hash, id, {presence} "  # noqa: S608
                                        "FROM reviews_customer c WHERE email_hash IN ({})",
                                        emails):
        lookups.by_email[key] = person(pk, *lengths)
    for key, pk, *lengths in _select_in(
            f"SELECT i.value_hash, i.customer_id, {presence} "  # noqa: S608
            "FROM reviews_customeridentity i JOIN reviews_customer c ON c.id = i.customer_id "
            "WHERE i.channel_id = %s AND i.value_hash IN ({})", nicks, channel.pk):
        lookups.by_identity[key] = person(pk, *lengths)
    return lookups


@lru_cache(maxsize=4096)
def _store_code(name: str) -> str:
    """A store named but not coded in an export gets a stable code from its name."""
    return "auto-" + hashlib.sha1(name.encode()).hexdigest()[:10]  # noqa: S324 (not security)


@lru_cache(maxsize=4096)
def _store_slug(code: str) -> str:
    """A store's code in the export as a store code; remembered, as the same few hundred
    stores come back on every row."""
    return slugify(code)[:40]


def _store(run: ImportRun, row: ReviewRow, lookups: _Lookups) -> Store | None:
    if not row.store_code and not row.store_name:
        return run.default_store
    code = _store_slug(row.store_code) if row.store_code else _store_code(row.store_name)
    store = lookups.stores.get(code)
    if store is None:
        store = Store.objects.create(code=code, name=row.store_name or row.store_code)
        lookups.stores[code] = store
        run.stores_created.append({"code": store.code, "name": store.name})
    return store


def _customer(channel: Channel, row: ReviewRow, keys: tuple[str, str, str],
              lookups: _Lookups) -> _Person | None:
    """The same person across channels: matched by phone, then e-mail, then their id on
    this channel; a new one when none matches. New contact data fills what was missing.
    Nothing is written here: `_Lookups.save_customers` writes the chunk's customers at once."""
    if not row.has_customer:
        return None
    phone, email, nick = keys
    customer = (lookups.by_phone.get(phone) or lookups.by_email.get(email)
                or lookups.by_identity.get(nick))
    contact = (("name", row.customer_name), ("phone", row.customer_phone),
               ("email", row.customer_email))
    if customer is None:
        values = {name: value for name, value in contact if value}
        customer = _Person(None, set(values), values)
        lookups.new_people.append(customer)
    else:
        missing = {name: value for name, value in contact
                   if value and name not in customer.has}
        customer.values.update(missing)
        customer.has.update(missing)
        if missing and customer.pk is not None:
            lookups.changed_people[customer.pk] = customer
    if nick and nick not in lookups.by_identity:
        lookups.new_identities.append((customer, row.customer_nick, nick))
    for key, table in ((phone, lookups.by_phone), (email, lookups.by_email),
                       (nick, lookups.by_identity)):
        if key:
            table.setdefault(key, customer)
    return customer


def _match_customer(channel: Channel, row: ReviewRow) -> Customer | None:
    """The customer of a single review (see `_customer`), saved."""
    lookups = _lookups(channel, [row])
    person = _customer(channel, row, lookups.keys[0], lookups)
    lookups.save_customers(channel)
    if person is None or person.pk is None:
        return None
    return Customer.objects.get(pk=person.pk)


# --- registered by customer service --------------------------------------------------------------

@transaction.atomic
def review_register(*, actor: User, channel: Channel, text: str, reviewed_at: datetime,
                    rating: int | None = None, store: Store | None = None,
                    customer_name: str = "", customer_phone: str = "",
                    customer_email: str = "", order_id: str = "", product: str = "") -> Review:
    """A complaint received by phone, e-mail, letter or on site, registered by an agent (who
    is recorded). The customer is matched with the one who may have reviewed online."""
    require_permission(actor, "reviews.add_review")
    if not text.strip():
        raise ApplicationError(_("Write down what the customer said."), code="text_required")
    row = ReviewRow(row=0, identity=f"reg:{uuid.uuid4().hex}", text=text, rating=rating,
                    customer_name=customer_name.strip(), customer_phone=customer_phone.strip(),
                    customer_email=customer_email.strip(), language=language_of(text))
    customer = _match_customer(channel, row)
    review = Review(
        channel=channel, identity=row.identity, store=store, customer=customer,
        reviewed_at=reviewed_at, rating=rating, text=text, order_id=order_id.strip(),
        product=product.strip(), language=row.language, registered_by=actor)
    review.refresh_search_text()
    review.save()
    audit_record(actor=actor, action=AuditAction.CREATED, target=review,
                 changes={"channel": [None, channel.code], "rating": [None, rating]})
    reviews_arrived()
    return review


# --- left by the customer on the public form ------------------------------------------------------

FORM_WINDOW_SECONDS = 600


def review_submit_public(*, store: Store, rating: int, text: str, tags: list[str],
                         phone: str = "", ip: str | None = None,
                         invitation: Invitation | None = None) -> Review:
    """A review left on a store's public form (QR code at the counter), or through an
    invitation's link, to which it is then linked. Floods are refused: at most
    PINGJIA_FORM_LIMIT_PER_IP per address and PINGJIA_FORM_LIMIT_PER_STORE per store in ten
    minutes."""
    if not within_limit(f"form-ip:{ip}", limit=settings.PINGJIA_FORM_LIMIT_PER_IP,
                        window_seconds=FORM_WINDOW_SECONDS) or \
            not within_limit(f"form-store:{store.pk}", limit=settings.PINGJIA_FORM_LIMIT_PER_STORE,
                             window_seconds=FORM_WINDOW_SECONDS):
        raise RateLimited(_("Too many reviews from here just now; please try again later."))
    channel = Channel.objects.get(code="invite" if invitation else "qr")
    with transaction.atomic():
        if invitation is not None:
            invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
            if invitation.review_id is not None:
                raise ApplicationError(_("This invitation has already been answered."),
                                       code="already_reviewed")
        row = ReviewRow(row=0, identity=f"form:{uuid.uuid4().hex}", text=text, rating=rating,
                        customer_phone=phone, language=language_of(text))
        if invitation is not None and invitation.customer_id is not None:
            customer = invitation.customer  # who was invited, whatever phone they type
        else:
            customer = _match_customer(channel, row)
        review = Review(
            channel=channel, identity=row.identity, store=store, customer=customer,
            reviewed_at=timezone.now(), rating=rating, text=text, tags=tags,
            order_id=invitation.order_id if invitation else "",
            product=invitation.service if invitation else "", language=row.language)
        review.refresh_search_text()
        review.save()
        if invitation is not None:
            invitation.review = review
            invitation.save(update_fields=["review"])
        reviews_arrived()
        return review


# --- invitations and call-backs -------------------------------------------------------------------

@transaction.atomic
def invitation_create(*, actor: User | None, store: Store, order_id: str = "",
                      service: str = "", external_id: str = "", customer_name: str = "",
                      customer_phone: str = "",
                      invited_at: datetime | None = None) -> tuple[Invitation, bool]:
    """An invitation to review a completed service or order, and whether it is new: the same
    `external_id` from the other system gives back the existing one."""
    external_id = external_id.strip()
    if external_id:
        existing = Invitation.objects.filter(store=store, external_id=external_id).first()
        if existing is not None:
            return existing, False
    channel = Channel.objects.get(code="invite")
    row = ReviewRow(row=0, identity="", customer_name=customer_name.strip(),
                    customer_phone=customer_phone.strip())
    customer = _match_customer(channel, row)
    invitation = Invitation.objects.create(
        store=store, customer=customer, order_id=order_id.strip(), service=service.strip(),
        external_id=external_id, invited_at=invited_at or timezone.now(), created_by=actor)
    return invitation, True


INVITATION_COLUMNS = {
    "store_code": ("门店编码", "门店ID", "门店编号", "store_code"),
    "external_id": ("外部编号", "服务单号", "external_id"),
    "order_id": ("订单号", "订单ID", "order_id"),
    "service": ("服务", "服务项目", "服务内容", "service"),
    "customer_name": ("客户姓名", "姓名", "customer_name"),
    "customer_phone": ("手机号", "电话", "联系电话", "customer_phone"),
    "invited_at": ("服务完成时间", "完成时间", "invited_at"),
}


@dataclass
class InvitationImport:
    invitations: list[tuple[Invitation, bool]] = field(default_factory=list)  # (it, new)
    errors: list[dict[str, Any]] = field(default_factory=list)  # [{"row", "reason"}]


def invitations_import(*, actor: User, data: bytes, file_name: str) -> InvitationImport:
    """Invitations from a CSV or spreadsheet (one row per completed service or order). Rows
    with an unknown store or an unreadable value are reported by row number; the others are
    kept, and a row whose external id was already invited gives back that invitation."""
    require_permission(actor, "reviews.add_invitation")
    from pingjia.reviews.importing.formats import ImportFormat

    table = read_table(data, file_name)  # UnreadableFile for a file that is not a table
    fields, _scores = ImportFormat("invitations", "", INVITATION_COLUMNS).mapping(table.headers)
    if "store_code" not in fields:
        raise UnreadableFile("No store column (门店编码 / store_code) in the file.")
    tz = ZoneInfo(settings.TIME_ZONE)
    stores = {s.code: s for s in Store.objects.filter(is_active=True)}
    result = InvitationImport()
    for number, values in table.rows:
        row = {name: values[i] if i < len(values) else None for name, i in fields.items()}
        try:
            code = cells.identifier(row["store_code"])
            if code not in stores:
                raise ValueError(f"unknown store {code!r}")
            written_phone = cells.text(row.get("customer_phone"))
            if written_phone and not cells.phone(written_phone):
                raise ValueError(f"not a phone number: {written_phone}")
            result.invitations.append(invitation_create(
                actor=actor, store=stores[code],
                external_id=cells.identifier(row.get("external_id")),
                order_id=cells.identifier(row.get("order_id")),
                service=cells.text(row.get("service")),
                customer_name=cells.text(row.get("customer_name")),
                customer_phone=cells.phone(row.get("customer_phone")),
                invited_at=cells.moment(row.get("invited_at"), tz)))
        except ValueError as exc:
            result.errors.append({"row": number, "reason": str(exc)})
    return result


@transaction.atomic
def callback_record(*, actor: User, invitation: Invitation, outcome: str,
                    note: str = "") -> Callback:
    """A call to an invited customer who did not review. Reaching them, a refusal or a wrong
    number settles the invitation; no answer leaves it on the call-back list."""
    require_permission(actor, "reviews.add_callback")
    if outcome not in Callback.Outcome.values:
        raise ApplicationError(_("Unknown call outcome."), code="unknown_outcome")
    callback = Callback.objects.create(invitation=invitation, agent=actor, outcome=outcome,
                                       note=note.strip())
    if outcome in Callback.SETTLING and not invitation.callback_closed:
        invitation.callback_closed = True
        invitation.save(update_fields=["callback_closed"])
    audit_record(actor=actor, action=AuditAction.CREATED, target=callback,
                 changes={"outcome": [None, outcome]}, note=note)
    return callback


class RateLimited(ApplicationError):
    status = 429

    def __init__(self, message: str) -> None:
        super().__init__(message, code="too_many_requests")


# --- pushed by another system through the API ----------------------------------------------------

PUSH_LIMIT = 500
PUSH_FIELDS = ("external_id", "reviewed_at", "rating", "text", "customer_name", "customer_nick",
               "customer_phone", "customer_email", "order_id", "product", "product_code",
               "store_code", "store_name", "tags", "images", "append_text", "appended_at",
               "reply")


@dataclass(frozen=True)
class PushOutcome:
    index: int
    status: str
    review_id: int | None = None
    error: str = ""


@transaction.atomic
def review_push(*, actor: User, items: list[dict[str, Any]]) -> list[PushOutcome]:
    """Reviews pushed by another system, each identified by channel + external id: sending
    one again creates nothing, and a later version (an append review, a reply) updates it.

    Every item is checked like a row of an import and answered on its own; the valid ones
    are written together, in one transaction."""
    if not 1 <= len(items) <= PUSH_LIMIT:
        raise ApplicationError(f"Send between 1 and {PUSH_LIMIT} reviews per request.",
                               code="batch_size")
    tz = ZoneInfo(settings.TIME_ZONE)
    channels = {c.code: c for c in Channel.objects.filter(
        code__in={str(item.get("channel", "")) for item in items})}
    results: dict[int, PushOutcome] = {}
    rows_by_channel: dict[str, list[tuple[int, ReviewRow]]] = {}
    fields = {name: index for index, name in enumerate(PUSH_FIELDS)}
    for index, item in enumerate(items):
        channel = channels.get(str(item.get("channel", "")))
        error = ""
        if channel is None:
            error = _("unknown channel: %(code)s") % {"code": item.get("channel")}
        elif not str(item.get("external_id") or "").strip():
            error = _("external_id is required: with the channel it makes the request "
                      "idempotent")
        if error:
            results[index] = PushOutcome(index, Outcome.REJECTED, error=error)
            continue
        assert channel is not None
        try:
            values = [_push_cell(item.get(name)) for name in PUSH_FIELDS]
            sub_scores = item.get("sub_scores") or {}
            if not isinstance(sub_scores, dict):
                raise RowError(_("sub_scores must be an object of name: 1–5"))
            scores = {str(name): len(PUSH_FIELDS) + i for i, name in enumerate(sub_scores)}
            values += [_push_cell(v) for v in sub_scores.values()]
            row = parse_row(values, index, fmt=FORMATS["generic"], fields=fields,
                            scores=scores, tz=tz)
        except RowError as exc:
            results[index] = PushOutcome(index, Outcome.REJECTED, error=str(exc))
            continue
        rows_by_channel.setdefault(channel.code, []).append((index, row))
    for code, indexed in rows_by_channel.items():
        run = ImportRun.objects.create(channel=channels[code], file_name="API",
                                       file_sha256="", format="api", encoding="json",
                                       created_by=actor, rows_read=len(indexed))
        outcomes = _write_chunk(run, [row for _index, row in indexed], want_ids=True)
        for (index, _row), (status, review_id) in zip(indexed, outcomes, strict=True):
            results[index] = PushOutcome(index, status, review_id)
        run.status, run.finished_at = ImportRun.Status.DONE, timezone.now()
        run.save()
        audit_record(actor=actor, action=AuditAction.IMPORTED, target=run,
                     changes={"created": [None, run.created], "updated": [None, run.updated],
                              "stores_created": [None, run.stores_created]})
    reviews_arrived()
    return [results[index] for index in range(len(items))]


def _push_cell(value: Any) -> Any:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if value is None or isinstance(value, str | int | float):
        return value
    raise RowError(_("unexpected value: %(value)r") % {"value": value})

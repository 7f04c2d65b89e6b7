"""Acts on reviews: importing files, pushes from other systems, complaints registered by
customer service, the public form, invitations and call-backs."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
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
from pingjia.reviews.importing.rows import ReviewRow, RowError, language_of, parse_row
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

CHUNK = 1000
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
    return run


def _import_rows(run: ImportRun, table: Table, fmt: ImportFormat, fields: dict[str, int],
                 scores: dict[str, int]) -> None:
    tz = ZoneInfo(settings.TIME_ZONE)
    headers = table.headers
    for chunk in _chunks(table.rows, CHUNK):
        good: list[ReviewRow] = []
        for number, values in chunk:
            run.rows_read += 1
            try:
                good.append(parse_row(values, number, fmt=fmt, fields=fields, scores=scores,
                                      tz=tz))
            except RowError as exc:
                _reject(run, number, str(exc), headers, values)
        with transaction.atomic():
            _write_chunk(run, good)
            _save_run(run)
    run.status = ImportRun.Status.DONE
    run.finished_at = timezone.now()
    _save_run(run)


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


@dataclass
class _Lookups:
    """What one chunk needs from the database, fetched in a few queries."""

    stores: dict[str, Store] = field(default_factory=dict)
    reviews: dict[str, Review] = field(default_factory=dict)
    by_phone: dict[str, Customer] = field(default_factory=dict)
    by_email: dict[str, Customer] = field(default_factory=dict)
    by_identity: dict[str, Customer] = field(default_factory=dict)
    # Written once per chunk, after the rows have been resolved.
    new_customers: list[Customer] = field(default_factory=list)
    changed_customers: dict[int, Customer] = field(default_factory=dict)
    new_identities: list[CustomerIdentity] = field(default_factory=list)

    def save_customers(self) -> None:
        Customer.objects.bulk_create(self.new_customers, batch_size=500)
        for customer in self.changed_customers.values():
            customer.save()
        CustomerIdentity.objects.bulk_create(self.new_identities, batch_size=500,
                                             ignore_conflicts=True)


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


def _write_chunk(run: ImportRun, rows: list[ReviewRow]) -> list[tuple[str, Review]]:
    """Write the rows of one chunk; each row's outcome and review, in order."""
    channel = run.channel
    lookups = _lookups(channel, rows)
    new: dict[str, Review] = {}
    outcomes: list[tuple[str, Review]] = []
    for row in rows:
        existing = lookups.reviews.get(row.identity) or new.get(row.identity)
        if existing is not None:
            if existing.pk is None:  # the same review twice in one file: keep the later data
                _apply(existing, row)
                existing.refresh_search_text()
                outcome = Outcome.DUPLICATE
            elif _update(existing, row, run):
                outcome = Outcome.UPDATED
            else:
                outcome = Outcome.DUPLICATE
            run.updated += outcome == Outcome.UPDATED
            run.duplicates += outcome == Outcome.DUPLICATE
            outcomes.append((outcome, existing))
            continue
        review = Review(channel=channel, identity=row.identity, import_run=run,
                        store=_store(run, row, lookups), customer=_customer(channel, row, lookups),
                        external_id=row.external_id, order_id=row.order_id, product=row.product,
                        product_code=row.product_code, language=row.language,
                        reviewed_at=row.reviewed_at or run.started_at,
                        received_at=run.started_at)
        _apply(review, row)
        review.refresh_search_text()
        new[row.identity] = review
        outcomes.append((Outcome.CREATED, review))
    lookups.save_customers()
    _insert_reviews(channel, list(new.values()))
    run.created += len(new)
    return outcomes


def _insert_reviews(channel: Channel, reviews: list[Review]) -> None:
    """INSERT the new reviews with one executemany: each value is prepared by its field as
    the ORM would (JSON, time zones, both databases), without the ORM's per-object work, which
    cost more than everything else in an import. Their ids are then read back in one query."""
    if not reviews:
        return
    fields = [f for f in Review._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(Review._meta.db_table)} "  # noqa: S608 (model metadata only)
           f"({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    for review in reviews:  # customers new in this chunk got their ids after assignment
        customer = review.customer
        review.customer_id = customer.pk if customer is not None else None
    with connection.cursor() as cursor:
        cursor.executemany(sql, [
            [f.get_db_prep_save(getattr(review, f.attname), connection) for f in fields]
            for review in reviews])
    ids = dict(Review.objects.filter(channel=channel, identity__in=[r.identity for r in reviews])
               .values_list("identity", "pk"))
    for review in reviews:
        review.pk = ids[review.identity]
        review._state.adding = False


def _apply(review: Review, row: ReviewRow) -> None:
    review.rating = row.rating
    review.text = row.text
    review.append_text = row.append_text
    review.appended_at = row.appended_at
    review.platform_reply = row.reply
    review.tags = row.tags
    review.images = row.images
    review.sub_scores = row.sub_scores


def _update(review: Review, row: ReviewRow, run: ImportRun) -> bool:
    """Bring what a later export adds; never erase what an earlier one said."""
    incoming = Review()
    _apply(incoming, row)
    changes: dict[str, list[Any]] = {}
    for name in UPDATABLE:
        old, new = getattr(review, name), getattr(incoming, name)
        if new in (None, "", [], {}) or new == old:
            continue
        changes[name] = [_jsonable(old), _jsonable(new)]
        setattr(review, name, new)
    if not changes:
        return False
    fields = list(changes)
    if {"text", "append_text"} & set(changes):
        review.refresh_search_text()
        fields.append("search_text")
    review.save(update_fields=fields)
    ReviewRevision.objects.create(review=review, import_run=run, changes=changes)
    return True


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _lookups(channel: Channel, rows: list[ReviewRow]) -> _Lookups:
    lookups = _Lookups()
    identities = {row.identity for row in rows}
    lookups.reviews = {r.identity: r for r in
                       Review.objects.filter(channel=channel, identity__in=identities)}
    codes = {row.store_code for row in rows if row.store_code}
    names = {row.store_name for row in rows if row.store_name and not row.store_code}
    for store in Store.objects.filter(code__in=codes | {_store_code(n) for n in names}):
        lookups.stores[store.code] = store
    for store in Store.objects.filter(name__in=names):
        lookups.stores.setdefault(_store_code(store.name), store)
    phones = {crypto.lookup_hash(row.customer_phone, "phone") for row in rows
              if row.customer_phone}
    emails = {crypto.lookup_hash(row.customer_email, "email") for row in rows
              if row.customer_email}
    nicks = {crypto.lookup_hash(row.customer_nick, "text") for row in rows if row.customer_nick}
    for customer in Customer.objects.filter(phone_hash__in=phones):
        lookups.by_phone[customer.phone_hash] = customer
    for customer in Customer.objects.filter(email_hash__in=emails):
        lookups.by_email[customer.email_hash] = customer
    for identity in CustomerIdentity.objects.filter(channel=channel, value_hash__in=nicks
                                                    ).select_related("customer"):
        lookups.by_identity[identity.value_hash] = identity.customer
    return lookups


def _store_code(name: str) -> str:
    """A store named but not coded in an export gets a stable code from its name."""
    return "auto-" + hashlib.sha1(name.encode()).hexdigest()[:10]  # noqa: S324 (not security)


def _store(run: ImportRun, row: ReviewRow, lookups: _Lookups) -> Store | None:
    if not row.store_code and not row.store_name:
        return run.default_store
    code = slugify(row.store_code)[:40] if row.store_code else _store_code(row.store_name)
    store = lookups.stores.get(code)
    if store is None:
        store = Store.objects.create(code=code, name=row.store_name or row.store_code)
        lookups.stores[code] = store
        run.stores_created.append({"code": store.code, "name": store.name})
    return store


def _customer(channel: Channel, row: ReviewRow, lookups: _Lookups) -> Customer | None:
    """The same person across channels: matched by phone, then e-mail, then their id on
    this channel; a new one when none matches. New contact data fills what was missing.
    Nothing is written here: `_Lookups.save_customers` writes the chunk's customers at once."""
    if not row.has_customer:
        return None
    phone = crypto.lookup_hash(row.customer_phone, "phone") if row.customer_phone else ""
    email = crypto.lookup_hash(row.customer_email, "email") if row.customer_email else ""
    nick = crypto.lookup_hash(row.customer_nick, "text") if row.customer_nick else ""
    customer = (lookups.by_phone.get(phone) or lookups.by_email.get(email)
                or lookups.by_identity.get(nick))
    if customer is None:
        customer = Customer(name=row.customer_name, phone=row.customer_phone,
                            email=row.customer_email)
        lookups.new_customers.append(customer)
    else:
        missing = {name: value for name, value in (("name", row.customer_name),
                                                   ("phone", row.customer_phone),
                                                   ("email", row.customer_email))
                   if value and not getattr(customer, name)}
        for name, value in missing.items():
            setattr(customer, name, value)
        if missing and customer.pk is not None:
            lookups.changed_customers[customer.pk] = customer
    if nick and nick not in lookups.by_identity:
        lookups.new_identities.append(CustomerIdentity(customer=customer, channel=channel,
                                                       value=row.customer_nick))
    for key, table in ((phone, lookups.by_phone), (email, lookups.by_email),
                       (nick, lookups.by_identity)):
        if key:
            table.setdefault(key, customer)
    return customer


def _match_customer(channel: Channel, row: ReviewRow) -> Customer | None:
    """The customer of a single review (see `_customer`), saved."""
    lookups = _lookups(channel, [row])
    customer = _customer(channel, row, lookups)
    lookups.save_customers()
    return customer


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
            error = f"unknown channel {item.get('channel')!r}"
        elif not str(item.get("external_id") or "").strip():
            error = "external_id is required: with the channel it makes the request idempotent"
        if error:
            results[index] = PushOutcome(index, Outcome.REJECTED, error=error)
            continue
        assert channel is not None
        try:
            values = [_push_cell(item.get(name)) for name in PUSH_FIELDS]
            sub_scores = item.get("sub_scores") or {}
            if not isinstance(sub_scores, dict):
                raise RowError("sub_scores must be an object of name: 1–5")
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
        outcomes = _write_chunk(run, [row for _index, row in indexed])
        for (index, _row), (status, review) in zip(indexed, outcomes, strict=True):
            results[index] = PushOutcome(index, status, review.pk)
        run.status, run.finished_at = ImportRun.Status.DONE, timezone.now()
        run.save()
        audit_record(actor=actor, action=AuditAction.IMPORTED, target=run,
                     changes={"created": [None, run.created], "updated": [None, run.updated],
                              "stores_created": [None, run.stores_created]})
    return [results[index] for index in range(len(items))]


def _push_cell(value: Any) -> Any:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if value is None or isinstance(value, str | int | float):
        return value
    raise RowError(f"unexpected value {value!r}")

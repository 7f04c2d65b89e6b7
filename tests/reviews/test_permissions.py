"""Permission matrix of the review pages (see tests/permissions.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pingjia.reviews.links import invitation_token
from pingjia.reviews.links import public_form_token as token
from tests.conftest import Org
from tests.permissions import Row, run_row
from tests.reviews.factories import make_invitation, make_review, make_run

ROWS = [
    Row("review_list", "GET", lambda o: reverse("review_list"),
        {"anonymous": 302, "handler_a": 200, "executive": 200}),
    Row("review_export", "GET", lambda o: reverse("review_export"),
        {"anonymous": 302, "handler_a": 200, "executive": 200, "manager": 200}),
    Row("review_detail", "GET",
        lambda o: reverse("review_detail", args=[make_review(o.store_a).pk]),
        {"anonymous": 302, "head_b": 404, "head_a": 200, "handler_a": 200, "manager": 200}),
    Row("review_register", "GET", lambda o: reverse("review_register"),
        {"anonymous": 302, "head_a": 403, "supervisor": 403, "agent": 200, "manager": 200}),
    Row("store_qr", "GET", lambda o: reverse("store_qr", args=[o.store_a.pk]),
        {"anonymous": 302, "head_b": 404, "head_a": 200, "manager": 200}),
    # The customer's form is public: anonymous and staff alike get it.
    Row("public_review", "GET", lambda o: reverse("public_review", args=[token(o.store_a)]),
        {"anonymous": 200, "handler_a": 200}),
    Row("public_review_thanks", "GET",
        lambda o: reverse("public_review_thanks", args=[token(o.store_a)]),
        {"anonymous": 200, "manager": 200}),
    Row("public_invitation", "GET",
        lambda o: reverse("public_invitation", args=[invitation_token(make_invitation(
            o.store_a))]),
        {"anonymous": 200, "head_a": 200}),
    Row("invitation_import", "GET", lambda o: reverse("invitation_import"),
        {"anonymous": 302, "head_a": 403, "agent": 200, "manager": 200}),
    Row("callback_list", "GET", lambda o: reverse("callback_list"),
        {"anonymous": 302, "head_a": 403, "executive": 403, "agent": 200, "manager": 200}),
    Row("callback_record", "POST",
        lambda o: reverse("callback_record", args=[make_invitation(o.store_a).pk]),
        {"anonymous": 302, "head_a": 404, "agent": 200, "manager": 200},
        data=lambda o: {"outcome": "no_answer"}, htmx=True),
    Row("customer_phone_reveal", "POST",
        lambda o: reverse("customer_phone_reveal",
                          args=[make_invitation(o.store_a).customer.pk]),  # type: ignore
        {"anonymous": 302, "head_a": 403, "executive": 403, "agent": 200},
        data=lambda o: {"reason": "回访"}, htmx=True),
    Row("import_upload", "GET", lambda o: reverse("import_upload"),
        {"anonymous": 302, "head_a": 403, "executive": 403, "manager": 200, "agent": 200}),
    Row("import_detail", "GET", lambda o: reverse("import_detail", args=[make_run().pk]),
        {"anonymous": 302, "head_a": 403, "supervisor": 403, "manager": 200, "admin": 200}),
    Row("import_rejected_rows", "GET",
        lambda o: reverse("import_rejected_rows", args=[make_run().pk]),
        {"anonymous": 302, "handler_a": 403, "manager": 200}),
]


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(org: Org, row: Row) -> None:
    run_row(org, row)

"""The analysis models page: figures of every model, retraining on demand, switching and rolling
back to an older model or to the built-in one."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from pingjia.accounts.models import AuditAction, AuditEntry
from pingjia.analysis.engine import current_engine
from pingjia.analysis.models import TextModel
from pingjia.analysis.services import Correction, model_use_built_in, review_labels_correct
from tests.analysis.conftest import labelled
from tests.conftest import Org, client_for
from tests.reviews.factories import make_review


def test_the_page_starts_with_the_built_in_models(org: Org) -> None:
    page = client_for(org["manager"]).get(reverse("model_list")).content.decode()
    assert page.count('data-in-use="built-in"') == 2
    # No corrections yet: the category card says how many it waits for.
    assert 'id="models-category-waiting"' in page and 'id="models-sentiment-waiting"' not in page
    assert 'id="model-train"' in page
    # Viewing is not changing: without the right to change models there are no buttons.
    Group.objects.get(name="review_manager").permissions.remove(
        Permission.objects.get(codename="change_textmodel"))
    page = client_for(org["manager"]).get(reverse("model_list")).content.decode()
    assert 'id="model-train"' not in page


def test_retraining_from_the_page_shows_the_new_models_and_their_figures(
        org: Org, django_capture_on_commit_callbacks: Any) -> None:
    labelled(org)
    client = client_for(org["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("model_train"))
    category = TextModel.objects.get(kind="category")
    assert category.trained_by == org["manager"] and category.is_active
    page = client.get(reverse("model_list")).content.decode()
    assert f'id="models-category" data-in-use="{category.version}"' in page
    assert 'id="models-category-waiting"' not in page
    assert 'id="models-category-labels" data-labels="48"' in page
    assert f"{round(100 * category.figures['held_out']['accuracy'])}%" in page
    assert current_engine().category.version == category.version


def test_rolling_back_to_an_older_model_and_to_the_built_in_one(org: Org) -> None:
    from pingjia.analysis.services import models_train

    labelled(org)
    [first] = [o.model for o in models_train(actor=org["manager"], activate="always")
               if o.kind == "category"]
    review = make_review(org.store_a, rating=1, text="快递员把包裹扔在门口")
    review_labels_correct(actor=org["manager"], review=review,
                          correction=Correction(category="delivery_logistics"))
    models_train(actor=org["manager"], activate="always")
    assert first is not None and not TextModel.objects.get(pk=first.pk).is_active
    client = client_for(org["manager"])

    client.post(reverse("model_activate", args=[first.pk]))
    assert TextModel.objects.get(kind="category", is_active=True).pk == first.pk
    assert current_engine().category.version == first.version
    entry = AuditEntry.objects.filter(action=AuditAction.MODEL_ACTIVATED).latest("pk")
    assert entry.actor == org["manager"] and entry.changes["version"][1] == first.version

    response = client.post(reverse("model_built_in", args=["category"]), follow=True)
    assert not TextModel.objects.filter(kind="category", is_active=True).exists()
    assert current_engine().category.origin == "cold-start"
    assert first.version in response.content.decode()  # kept, to return to
    entry = AuditEntry.objects.filter(action=AuditAction.MODEL_ACTIVATED).latest("pk")
    assert entry.changes["version"] == [first.version, "built-in"]
    # Already on the built-in model: nothing to set aside, nothing audited.
    assert model_use_built_in(actor=org["manager"], kind="category") is None
    assert client.post(reverse("model_built_in", args=["nonsense"])).status_code == 404

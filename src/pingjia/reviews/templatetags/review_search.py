from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.template.defaultfilters import truncatechars
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from pingjia.reviews.models import Review
from pingjia.reviews.search import excerpt

register = template.Library()

WIDTH = 90


@register.filter
def search_excerpt(review: Review, terms: Sequence[str]) -> SafeString:
    """The review's text in a list, with the terms marked (a search's, or the words of a
    recurring issue's phrases): the part around the first match, or of the append review
    where only it matches; the text's beginning otherwise."""
    for label, text in (("", review.text), (_("Append review"), review.append_text)):
        pieces = excerpt(text, terms, width=WIDTH) if terms and text else None
        if pieces is not None:
            html = _marked(pieces)
            if label:
                html = format_html('<span class="text-secondary">{} › </span>', label) + html
            return html
    return conditional_escape(truncatechars(review.text or "—", WIDTH))


@register.filter
def search_marked(text: str, terms: Sequence[str]) -> SafeString:
    """All of the text, the terms marked (a review's page opened from search results)."""
    pieces = excerpt(text, terms, width=None) if terms and text else None
    return _marked(pieces) if pieces is not None else conditional_escape(text)


def _marked(pieces: list[tuple[str, bool]]) -> SafeString:
    html = "".join(format_html("<mark>{}</mark>", piece) if marked
                   else conditional_escape(piece) for piece, marked in pieces)
    return mark_safe(html)  # noqa: S308 (every piece escaped above)

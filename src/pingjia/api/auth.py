"""Who is calling: a bearer token (integrations) or the browser's session (pages' own calls)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer

from pingjia.accounts.models import ApiToken, TokenScope, User
from pingjia.accounts.services import api_token_authenticate


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = api_token_authenticate(token)
        if api_token is None:
            return None
        request.user = api_token.user
        return api_token


def require_scope(request: HttpRequest, scope: TokenScope) -> None:
    """A call made with a token needs the scope; a session call is limited by roles alone."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiToken) and scope.value not in auth.scopes:
        raise AuthorizationError(
            403, _("This API token lacks the scope %(scope)s.") % {"scope": scope.value}
        )


def caller(request: HttpRequest, scope: TokenScope) -> User:
    """The authenticated user of an API call, after checking a token's scope."""
    require_scope(request, scope)
    user = request.user
    assert isinstance(user, User), "the API authenticates every call before the endpoint"
    return user

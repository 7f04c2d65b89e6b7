from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from pingjia.accounts import services
from pingjia.accounts.models import ApiToken, TokenScope, User
from pingjia.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Create, list and revoke API tokens (Authorization: Bearer <token>)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create a token; its secret is shown once")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="what the token is for")
        create.add_argument("--scope", action="append", required=True,
                            choices=TokenScope.values, help="repeat for several scopes")
        create.add_argument("--expires-days", type=int, help="default: never expires")
        listing = actions.add_parser("list", help="list tokens")
        listing.add_argument("username", nargs="?")
        revoke = actions.add_parser("revoke", help="revoke a token by its id")
        revoke.add_argument("token_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _create(self, options: dict[str, Any]) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        days = options["expires_days"]
        try:
            token, secret = services.api_token_create(
                actor=None, user=user, name=options["name"], scopes=options["scope"],
                expires_at=timezone.now() + timedelta(days=days) if days else None)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Token {token.pk} “{token.name}” for {user.username}, scopes "
                          f"{', '.join(token.scopes)}. Keep it now, it is not shown again:")
        self.stdout.write(secret)

    def _list(self, options: dict[str, Any]) -> None:
        tokens = ApiToken.objects.select_related("user").order_by("pk")
        if options["username"]:
            tokens = tokens.filter(user__username=options["username"])
        now = timezone.now()
        self.stdout.write(f"{'id':>4}  {'user':<14} {'name':<24} {'prefix':<13} "
                          f"{'scopes':<22} {'last used':<17} state")
        for t in tokens:
            state = ("revoked" if t.revoked_at else "expired" if not t.is_usable(now)
                     else "active")
            last = timezone.localtime(t.last_used_at).strftime("%Y-%m-%d %H:%M") \
                if t.last_used_at else "never"
            self.stdout.write(f"{t.pk:>4}  {t.user.username:<14} {t.name:<24} {t.prefix:<13} "
                              f"{','.join(t.scopes):<22} {last:<17} {state}")

    def _revoke(self, options: dict[str, Any]) -> None:
        token = ApiToken.objects.filter(pk=options["token_id"]).first()
        if token is None:
            raise CommandError(f"No token {options['token_id']}.")
        services.api_token_revoke(actor=None, token=token)
        self.stdout.write(self.style.SUCCESS(f"Token {token.pk} “{token.name}” is revoked."))

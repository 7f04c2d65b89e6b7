from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from pingjia.accounts import services
from pingjia.accounts.models import Department
from pingjia.accounts.roles import Role
from pingjia.core.errors import ApplicationError


class Command(BaseCommand):
    help = ("Create a user. Roles are given as DEPARTMENT_CODE:ROLE, e.g. "
            f"--role logistics:dept_head; roles: {', '.join(Role.values)}.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="full name, e.g. 张强")
        parser.add_argument("--email", default="")
        parser.add_argument("--phone", default="", help="mobile phone (stored encrypted)")
        parser.add_argument("--role", action="append", default=[], metavar="DEPARTMENT:ROLE")
        parser.add_argument("--superuser", action="store_true", help="every permission")
        parser.add_argument("--password", help="the password (default: asked for; without a "
                                               "terminal, the account gets no password)")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"]
        if password is None and sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords differ.")
        grants = [self._parse_role(value) for value in options["role"]]
        try:
            with transaction.atomic():
                user = services.user_create(actor=None, username=options["username"],
                                            name=options["name"], email=options["email"],
                                            phone=options["phone"], password=password or None,
                                            is_superuser=options["superuser"])
                for department, role in grants:
                    services.membership_grant(actor=None, user=user, department=department,
                                              role=role)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        roles = ", ".join(f"{d.code}:{r}" for d, r in grants) or "no role"
        self.stdout.write(self.style.SUCCESS(f"Created {user.username} ({roles})."))
        if not password:
            self.stdout.write("No password set: set one with `pingjia changepassword "
                              f"{user.username}`.")

    def _parse_role(self, value: str) -> tuple[Department, str]:
        code, _, role = value.partition(":")
        if role not in Role.values:
            raise CommandError(f"{value}: the role must be one of {', '.join(Role.values)}.")
        department = Department.objects.filter(code=code).first()
        if department is None:
            known = ", ".join(Department.objects.values_list("code", flat=True)) or "none yet"
            raise CommandError(f"{value}: no department {code!r} (known: {known}).")
        return department, role

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from pingjia.core.demo import DEMO_PASSWORD, demo_load, demo_logins


class Command(BaseCommand):
    help = ("Migrate, load the demo organisation (once; later runs change nothing) and print the "
            "logins.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reviews", type=int, default=3000,
                            help="how many reviews to load (default 3000)")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if demo_load(reviews=options["reviews"]):
            self.stdout.write(self.style.SUCCESS("Demo organisation loaded."))
        else:
            self.stdout.write("Demo organisation already loaded.")
        self.stdout.write(f"\nLogins (password for all: {DEMO_PASSWORD}):")
        for person in demo_logins():
            self.stdout.write(f"  {person.role.label:<26} {person.username:<12} {person.name}")

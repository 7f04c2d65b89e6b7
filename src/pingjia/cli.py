"""The `pingjia` command: Pingjia's own commands, and every Django management command."""

from __future__ import annotations

import os
import sys

COMMANDS = [
    ("serve", "migrate, then run the web server and a background worker together"),
    ("worker", "run a background worker (the task queue consumer and its scheduler)"),
    ("demo", "migrate, load the demo organisation and print one login per role"),
    ("createuser", "create a user, optionally with roles"),
    ("token", "create, list and revoke API tokens"),
    ("import", "import a file of reviews exported from a channel (CSV, XLSX)"),
    ("check", "report the configuration and whether database, queue, cache and worker answer"),
    ("reencrypt", "re-encrypt personal data under the newest key after a key rotation"),
    ("migrate", "create or update the database tables"),
]


def usage() -> str:
    lines = ["usage: pingjia COMMAND [options]   (pingjia COMMAND --help for its options)", "",
             "Pingjia commands:"]
    lines += [f"  {name:<12} {summary}" for name, summary in COMMANDS]
    lines += ["", "Every Django management command works too (pingjia shell, pingjia "
              "dbshell, …):", "  pingjia help --commands   lists them all."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingjia.settings")
    if len(argv) < 2 or argv[1] in {"-h", "--help"}:
        print(usage())
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["pingjia", *argv[1:]])


if __name__ == "__main__":
    main()

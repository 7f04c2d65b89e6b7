from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


def _static_fingerprint() -> str:
    """Changes whenever a static source file is added, removed or modified."""
    from django.contrib.staticfiles import finders

    digest = hashlib.sha256()
    for finder in finders.get_finders():
        for path, storage in finder.list(ignore_patterns=[]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def collect_static_if_changed() -> None:
    """collectstatic takes seconds (it compresses every file); skip it when nothing changed."""
    stamp = Path(settings.STATIC_ROOT) / ".sources"
    fingerprint = _static_fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint:
        return
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint)


class Command(BaseCommand):
    help = ("Migrate the database, then run the web server (gunicorn, WSGI) and one background "
            "worker together; Ctrl-C stops both. For the embedded setup and small sites; at "
            "scale run `gunicorn pingjia.wsgi` and `pingjia worker` separately (README).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web-workers", type=int, default=2,
                            help="gunicorn worker processes (default 2)")
        parser.add_argument("--no-worker", action="store_true",
                            help="do not start a background worker")
        parser.add_argument("--no-migrate", action="store_true", help="skip migrate")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        collect_static_if_changed()
        bind = f"{options['host']}:{options['port']}"
        commands = [[sys.executable, "-m", "gunicorn", "pingjia.wsgi:application",
                     "--bind", bind, "--workers", str(options["web_workers"]),
                     "--access-logfile", "-", "--graceful-timeout", "10"]]
        if not options["no_worker"]:
            commands.append([sys.executable, "-m", "pingjia.cli", "worker"])
        processes = [subprocess.Popen(command) for command in commands]
        self.stdout.write(self.style.SUCCESS(f"Pingjia is serving on http://{bind}/"))

        def stop(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        try:
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
            exit_code = next(p.returncode for p in processes if p.returncode is not None)
            self.stderr.write(f"a process stopped with exit code {exit_code}; stopping the rest")
        except KeyboardInterrupt:
            pass
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        if exit_code:
            sys.exit(exit_code)

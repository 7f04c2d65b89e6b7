from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


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
        parser.add_argument("--no-migrate", action="store_true",
                            help="skip migrate and collectstatic")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)
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

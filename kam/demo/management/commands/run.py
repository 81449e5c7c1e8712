from __future__ import annotations

import atexit
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Set up and serve KAM on this machine: migrate, load demo data into an empty database, "
        "start a background worker when no broker is configured, serve on 127.0.0.1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--no-demo", action="store_true", help="do not load demo data")
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start the embedded worker"
        )
        parser.add_argument("--reload", action="store_true", help="restart on code changes")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["port"] < 65536:
            self.stderr.write("kam run: --port must be between 1 and 65535")
            sys.exit(2)
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database ready.")
        if not options["no_demo"] and not get_user_model().objects.exists():
            call_command("demo", stdout=self.stdout)
        elif not options["no_demo"]:
            from kam.demo.generator import print_logins

            print_logins(self.stdout)
        if settings.KAM_EMBEDDED_BROKER and not options["no_worker"]:
            self._start_worker()
        call_command(
            "runserver",
            f"{options['host']}:{options['port']}",
            use_reloader=options["reload"],
            skip_checks=False,
        )

    def _start_worker(self) -> None:
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter and command
            [sys.executable, "-m", "kam.cli", "worker", "--beat", "--loglevel=warning"]
        )
        self.stdout.write(f"Background worker started on the embedded broker (pid {worker.pid}).")

        def stop(*_: Any) -> None:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()

        def on_sigterm(*_: Any) -> None:
            stop()
            sys.exit(0)

        atexit.register(stop)
        signal.signal(signal.SIGTERM, on_sigterm)

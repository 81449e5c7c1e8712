from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

QUEUES = "default,mail,insights,reports"


class Command(BaseCommand):
    help = "Start a Celery worker (any number may run on any machines sharing the broker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--beat", action="store_true", help="also run the periodic scheduler (one per site)"
        )
        parser.add_argument("--concurrency", type=int, default=None, help="worker processes")
        parser.add_argument("--queues", default=QUEUES, help=f"comma-separated (default: {QUEUES})")
        parser.add_argument(
            "--loglevel", default="info", choices=["debug", "info", "warning", "error"]
        )
        parser.add_argument("--hostname", default=None, help="node name, e.g. worker1@%%h")

    def handle(self, *args: Any, **options: Any) -> None:
        from kam.config.celery import app

        argv = ["worker", f"--loglevel={options['loglevel']}", f"--queues={options['queues']}"]
        if settings.KAM_EMBEDDED_BROKER:
            # The SQLite broker has one writer at a time: one process is all it needs.
            argv += ["--pool=solo"]
        elif options["concurrency"]:
            argv += [f"--concurrency={options['concurrency']}"]
        if options["beat"]:
            argv += ["--beat", f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}"]
        if options["hostname"]:
            argv += [f"--hostname={options['hostname']}"]
        app.worker_main(argv=argv)

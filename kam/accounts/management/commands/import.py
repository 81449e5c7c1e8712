"""`kam import accounts|contacts FILE`: import a CSV or XLSX file, with a progress bar.

Other kinds (`kam import products FILE`) are imported by the app that registered them in
`core.registry.register_importer`; this command only dispatches to it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kam.accounts.importing.engine import (
    BATCH_SIZE,
    ON_DUPLICATE,
    ImportOptions,
    ImportSummary,
    file_sha256,
    run_import,
)
from kam.accounts.importing.jobs import finish_job, interrupted_message, sweep_import_jobs
from kam.accounts.management.commands.export import find_user
from kam.accounts.models import ImportJob
from kam.core import registry
from kam.core.errors import ApplicationError

OWN_TARGETS = ("accounts", "contacts")


class ProgressBar:
    """A bar redrawn in place on a terminal; otherwise a plain line every tenth of the way."""

    WIDTH = 30

    def __init__(self, stream: IO[str], *, enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled
        self.is_tty = stream.isatty()
        self.started = time.monotonic()
        self.last_tenth = -1

    def update(self, summary: ImportSummary) -> None:
        if not self.enabled:
            return
        total = max(summary.total, 1)
        done = min(summary.processed, total)
        rate = summary.processed / max(time.monotonic() - self.started, 1e-6)
        text = (
            f"{done:,}/{summary.total:,} rows, {rate:,.0f} rows/s, "
            f"{summary.created:,} created, {summary.updated:,} updated, "
            f"{summary.skipped:,} skipped, {summary.errors:,} errors"
        )
        if self.is_tty:
            filled = int(self.WIDTH * done / total)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            self.stream.write(f"\r[{bar}] {100 * done // total:3d}% {text}")
            self.stream.flush()
        elif (tenth := 10 * done // total) > self.last_tenth:
            self.last_tenth = tenth
            self.stream.write(f"{100 * done // total}% {text}\n")
            self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self.is_tty:
            self.stream.write("\n")


class Command(BaseCommand):
    help = (
        "Import accounts or contacts from a CSV or XLSX file. Duplicates are found as on the "
        "screen; rows with errors are reported (row, column, value, reason), never half-written. "
        "Running the same file again after a failure imports only the rows still missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "target", help="accounts, contacts, or a kind another app registers (products)"
        )
        parser.add_argument("file", type=Path)
        parser.add_argument("--mapping", type=Path, help="JSON file {file header: field}")
        parser.add_argument("--dry-run", action="store_true", help="preview: write nothing")
        parser.add_argument("--on-duplicate", choices=ON_DUPLICATE, default="skip")
        parser.add_argument(
            "--owner", help="owner of the rows whose file names none (a username or e-mail)"
        )
        parser.add_argument(
            "--as", dest="acting", help="the user who imports (default: the --owner user)"
        )
        parser.add_argument("--report", type=Path, help="write row errors to this CSV file")
        parser.add_argument("--encoding", help="the CSV file's encoding (default: detected)")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["target"] not in OWN_TARGETS:
            self.import_registered(options)
            return
        if not options["owner"]:
            raise CommandError(
                "Name the owner of imported rows whose file names none: --owner USERNAME "
                "(the import runs as that user, unless --as names another)."
            )
        swept = sweep_import_jobs()
        if swept and options["verbosity"] > 0:
            self.stderr.write(
                f"Marked {len(swept)} import job(s) whose process had died as interrupted: "
                f"{', '.join(map(str, swept))}."
            )
        owner = find_user(options["owner"], "--owner")
        user = find_user(options["acting"], "--as") if options["acting"] else owner
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        import_options = ImportOptions(
            target=options["target"],
            on_duplicate=options["on_duplicate"],
            dry_run=options["dry_run"],
            owner=owner,
            mapping=self.mapping(options["mapping"]),
            encoding=options["encoding"],
            batch_size=max(1, options["batch_size"]),
        )
        job = None if options["dry_run"] else self.start_job(user, path, import_options)
        report = (
            options["report"].open("w", newline="", encoding="utf-8") if options["report"] else None
        )
        bar = ProgressBar(sys.stderr, enabled=options["verbosity"] > 0)
        try:
            summary = run_import(
                path=path,
                user=user,
                options=import_options,
                job=job,
                report=report,
                on_progress=bar.update,
            )
        except ApplicationError as error:
            bar.finish()
            if job is not None:
                finish_job(job, status=ImportJob.Status.FAILED, message=error.message)
            raise CommandError(error.message) from None
        except BaseException as error:
            # Ctrl-C or a stop signal: resumable. Anything else is a fault (say so and re-raise).
            bar.finish()
            if job is not None:
                job.refresh_from_db()
                stopped = not isinstance(error, Exception)
                finish_job(
                    job,
                    status=ImportJob.Status.INTERRUPTED if stopped else ImportJob.Status.FAILED,
                    message=interrupted_message(job)
                    if stopped
                    else f"{type(error).__name__}: {error}"[:2000],
                )
            raise
        finally:
            if report is not None:
                report.close()
        bar.finish()
        if job is not None:
            finish_job(job, status=ImportJob.Status.DONE, message="\n".join(summary.warnings))
        self.print_summary(summary, options, job)

    def import_registered(self, options: dict[str, Any]) -> None:
        """A kind registered by another app: run its importer as --as (or --owner)."""
        importer = registry.importers().get(options["target"])
        if importer is None:
            known = ", ".join(sorted({*OWN_TARGETS, *registry.importers()}))
            raise CommandError(f"Unknown kind {options['target']!r}: use one of {known}.")
        name = options["acting"] or options["owner"]
        if not name:
            raise CommandError("Name the user who imports: --as USERNAME.")
        user = find_user(name, "--as" if options["acting"] else "--owner")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            summary = importer.run(
                user,
                path,
                {"dry_run": options["dry_run"], "mapping": self.mapping(options["mapping"])},
            )
        except ApplicationError as error:
            raise CommandError(error.message) from None
        if options["report"] and summary["errors"]:
            with options["report"].open("w", newline="", encoding="utf-8") as report:
                report.write("row,column,value,reason\n")
                for problem in summary["errors"]:
                    cells = [
                        str(problem[key]).replace('"', '""')
                        for key in ("row", "column", "value", "reason")
                    ]
                    report.write(",".join(f'"{cell}"' for cell in cells) + "\n")
        if options["json"]:
            self.stdout.write(json.dumps(summary, default=str))
            return
        verb = "would be" if options["dry_run"] else "were"
        lines = [
            f"{'Dry run, nothing written: ' if options['dry_run'] else ''}"
            f"{summary['rows']:,} rows of {options['target']} in {path.name}:",
            f"  {summary['created']:,} {verb} created, {summary['updated']:,} updated, "
            f"{summary['unchanged']:,} unchanged",
            f"  {len(summary['errors']):,} rows with errors, not imported",
        ]
        lines.extend(
            f"  row {e['row']}, {e['column'] or 'row'}: {e['reason']} ({e['value']!r})"
            for e in summary["errors"][:50]
        )
        self.stdout.write("\n".join(lines))

    def mapping(self, path: Path | None) -> dict[str, str | None] | None:
        if path is None:
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as error:
            raise CommandError(f"--mapping {path}: not a readable JSON file ({error})") from None
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in data.items()
        ):
            raise CommandError(
                f'--mapping {path}: expected an object {{"file header": "field" or null}}'
            )
        return data

    def start_job(self, user: Any, path: Path, options: ImportOptions) -> ImportJob:
        return ImportJob.objects.create(
            target=options.target,
            created_by=user,
            original_name=path.name[:255],
            file_sha256=file_sha256(path),
            mapping=options.mapping or {},
            options={
                "on_duplicate": options.on_duplicate,
                "owner_id": options.owner.pk if options.owner else None,
                "encoding": options.encoding or "",
                "source": "cli",
            },
            status=ImportJob.Status.RUNNING,
            started_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )

    def print_summary(
        self, summary: ImportSummary, options: dict[str, Any], job: ImportJob | None
    ) -> None:
        counts = {
            "job": job.pk if job is not None else None,
            "dry_run": summary.dry_run,
            "rows": summary.total,
            "processed": summary.processed,
            "created": summary.created,
            "updated": summary.updated,
            "skipped": summary.skipped,
            "already_imported": summary.already,
            "errors": summary.errors,
            "accounts_created": summary.accounts_created,
            "mapping": summary.mapping,
            "warnings": summary.warnings,
        }
        if options["json"]:
            self.stdout.write(json.dumps(counts))
            return
        for warning in summary.warnings:
            self.stderr.write(f"warning: {warning}")
        verb = "would be" if summary.dry_run else "were"
        lines = [
            f"{'Dry run, nothing written: ' if summary.dry_run else ''}"
            f"{summary.total:,} rows of {options['target']} in {options['file'].name}:",
            f"  {summary.created:,} {verb} created, {summary.updated:,} updated, "
            f"{summary.skipped:,} skipped as duplicates or unchanged",
        ]
        if summary.already:
            lines.append(f"  ({summary.already:,} of those skipped: imported by an earlier run)")
        if summary.accounts_created:
            lines.append(f"  {summary.accounts_created:,} new accounts {verb} created for them")
        lines.append(f"  {summary.errors:,} rows with errors, not imported")
        if summary.errors and options["report"]:
            lines.append(f"  row errors: {options['report']}")
        elif summary.errors:
            lines.append("  (--report FILE writes each error: row, column, value, reason)")
        self.stdout.write("\n".join(lines))

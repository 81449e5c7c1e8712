"""The import engine: a file of accounts or contacts into the databank, in batches.

Each batch of rows is read, validated with the services' own `clean_account_data` /
`clean_contact_data` and the models' field checks, matched against the duplicate index, and
then written in one transaction: the new records (bulk inserts), their match keys, their audit
entries, the ledger of which row created which record, the row errors and the job's counters.
A crash or a kill loses at most the batch in flight, whole; running the same file again skips
the rows the ledger holds, so nothing is created twice. (Skips and updates are not in the
ledger: doing them again changes nothing, and a later run may ask for updates instead.)

Updates of existing records (`on_duplicate="update"`) go through `account_update` /
`contact_update`, so access, versioning and audit are exactly the API's. The matcher only sees
what the importing user may see, and only updates (or adds contacts to) what he may change.
A dry run does all the reading, validating and matching and writes nothing.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection, reset_queries
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.importing import mapping as m
from kam.accounts.importing.accounts import AccountImporter
from kam.accounts.importing.base import Importer
from kam.accounts.importing.contacts import ContactImporter
from kam.accounts.importing.reader import RawRow, open_table
from kam.accounts.importing.rows import (
    BATCH_SIZE,
    ON_DUPLICATE,
    Context,
    ImportOptions,
    ImportSummary,
    ProgressCallback,
    RowError,
)
from kam.accounts.models import Account, ImportJob
from kam.core import access
from kam.core.errors import ApplicationError, PermissionDeniedError
from kam.core.tabular import neutralise

__all__ = [
    "BATCH_SIZE",
    "ON_DUPLICATE",
    "AccountImporter",
    "ContactImporter",
    "ImportOptions",
    "ImportSummary",
    "RowError",
    "check_importer",
    "file_sha256",
    "run_import",
]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_importer(*, user: Any, owner: Any) -> None:
    """Who may import, and for whom: the rules of account_create."""
    if not access.is_active_user(user) or access.is_read_only(user):
        raise PermissionDeniedError(_("You may not import records."))
    if owner is not None and owner != user and not access.changes_all(user):
        raise PermissionDeniedError(
            _("Only the head of sales or an admin can import records for another owner.")
        )


def run_import(
    *,
    path: Path | str,
    user: Any,
    options: ImportOptions,
    job: ImportJob | None = None,
    report: IO[str] | None = None,
    on_progress: ProgressCallback | None = None,
    start_after: int = 0,
) -> ImportSummary:
    """Import `path` as `user`. Row errors go to `report` (CSV) and, for a saved job, to its
    ImportRowError rows; the job's counters move per batch. Raises ImportFileError when the
    file as a whole cannot be imported, before anything is written."""
    if options.on_duplicate not in ON_DUPLICATE:
        raise ApplicationError(_("on_duplicate must be one of %s.") % ", ".join(ON_DUPLICATE))
    if options.target not in (m.ACCOUNTS, m.CONTACTS):
        raise ApplicationError(_("The target must be accounts or contacts."))
    check_importer(user=user, owner=options.owner)
    path = Path(path)
    table = open_table(path, encoding=options.encoding)
    hidden = access.hidden_fields(user, Account) if options.target == m.ACCOUNTS else ()
    columns = m.build_mapping(
        table.headers, target=options.target, explicit=options.mapping, hidden=hidden
    )
    summary = ImportSummary(
        mapping=columns.as_dict(),
        warnings=[*table.info.warnings, *columns.warnings],
        info=table.info,
        dry_run=options.dry_run,
    )
    summary.total = table.count()
    if job is not None and job.pk is not None:
        _start_job(job, summary, start_after)
    context = Context(
        user=user,
        options=options,
        columns=columns,
        info=table.info,
        width=len(table.headers),
        sha256=file_sha256(path),
        job=job if job is not None and job.pk is not None else None,
    )
    importer: Importer = (AccountImporter if options.target == m.ACCOUNTS else ContactImporter)(
        context
    )
    writer = ReportWriter(report)
    for batch in _batches(_after(table.rows(), start_after), options.batch_size):
        outcome = importer.run(batch, summary)
        writer.write(outcome.errors)
        _forget_queries()
        if on_progress is not None:
            on_progress(summary)
    return summary


def _start_job(job: ImportJob, summary: ImportSummary, start_after: int) -> None:
    """Record the file's shape on the job; a resumed job carries on counting from its rows."""
    if start_after:
        summary.processed = job.processed_rows
        summary.created = job.created_count
        summary.updated = job.updated_count
        summary.skipped = job.skipped_count
        summary.errors = job.error_count
    job.total_rows = summary.total
    job.mapping = summary.mapping
    ImportJob.objects.filter(pk=job.pk).update(
        total_rows=summary.total, mapping=summary.mapping, heartbeat_at=timezone.now()
    )


def _forget_queries() -> None:
    """With DEBUG on, Django keeps every query (9,000 of them): memory would grow per batch.
    A deliberate capture (tests counting queries) is left alone."""
    if settings.DEBUG and not connection.force_debug_cursor:
        reset_queries()


def _after(rows: Iterator[RawRow], start_after: int) -> Iterator[RawRow]:
    """The rows after the first `start_after` (a resumed job's processed rows)."""
    return islice(rows, start_after, None)


def _batches(rows: Iterable[RawRow], size: int) -> Iterator[list[RawRow]]:
    it = iter(rows)
    while batch := list(islice(it, max(size, 1))):
        yield batch


class ReportWriter:
    """Row errors as CSV (row, column, value, reason), written as batches commit."""

    HEADER = ("row", "column", "value", "reason")

    def __init__(self, stream: IO[str] | None) -> None:
        self.writer = csv.writer(stream) if stream is not None else None
        if self.writer is not None:
            self.writer.writerow(self.HEADER)

    def write(self, errors: Iterable[RowError]) -> None:
        if self.writer is not None:
            self.writer.writerows(
                (e.row, neutralise(e.column), neutralise(e.value), neutralise(e.reason))
                for e in errors
            )

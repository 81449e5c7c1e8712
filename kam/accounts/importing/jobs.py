"""Import jobs: an uploaded file imported in the background, with progress and row errors.

`create_import_job()` stores the file, checks that it can be read and mapped (so a bad file is
refused at once, not in the background) and queues `import_file_task` after commit.
`run_import_job()` is what the task runs: safe to run twice (a finished job is left alone; a job
a crashed worker left running resumes after the rows it had committed).

A running job's heartbeat moves with every committed batch. A process killed outright (SIGKILL,
a lost machine) cannot say it stopped, so `sweep_import_jobs()` (every few minutes on Celery
beat, and when `kam import` starts) marks the running jobs whose heartbeat is older than
`STALE_AFTER` as interrupted; `resume_import_job()` or importing the same file again finishes
them, the ledger skipping the rows already imported.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.importing import mapping as m
from kam.accounts.importing.engine import (
    BATCH_SIZE,
    ON_DUPLICATE,
    ImportOptions,
    check_importer,
    run_import,
)
from kam.accounts.importing.reader import ImportFileError, open_table
from kam.accounts.models import Account, ImportJob, ImportRowError
from kam.core import access
from kam.core.errors import ApplicationError
from kam.core.tabular import neutralise

logger = logging.getLogger(__name__)

# A batch commits in seconds; a job silent for this long is not running any more.
STALE_AFTER = timedelta(minutes=10)
_RESUMABLE = (ImportJob.Status.RUNNING, ImportJob.Status.INTERRUPTED)


@transaction.atomic
def create_import_job(
    *,
    user: Any,
    upload: UploadedFile,
    target: str,
    mapping: dict[str, str | None] | None = None,
    on_duplicate: str = "skip",
    dry_run: bool = False,
    owner: Any = None,
    encoding: str | None = None,
) -> ImportJob:
    """Store an uploaded file as a job and queue its import (after commit)."""
    check_importer(user=user, owner=owner)
    if on_duplicate not in ON_DUPLICATE:
        raise ApplicationError(fields={"on_duplicate": [_("Choose skip, update or create.")]})
    job = ImportJob(
        target=target,
        created_by=user,
        original_name=(upload.name or "upload")[:255],
        mapping=mapping or {},
        options={
            "on_duplicate": on_duplicate,
            "owner_id": owner.pk if owner is not None else None,
            "encoding": encoding or "",
        },
        is_dry_run=dry_run,
    )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    job.file_sha256 = digest.hexdigest()
    job.file.save(Path(upload.name or "upload").name, upload, save=False)
    try:
        preview = preview_file(Path(job.file.path), user=user, target=target, mapping=mapping,
                               encoding=encoding)  # fmt: skip
    except ImportFileError:
        job.file.delete(save=False)
        raise
    job.mapping = preview["mapping"]
    job.message = "\n".join(preview["warnings"])
    job.save()
    from kam.accounts.tasks import import_file_task

    transaction.on_commit(lambda: import_file_task.delay(job.pk))
    return job


def preview_file(
    path: Path,
    *,
    user: Any,
    target: str,
    mapping: dict[str, str | None] | None = None,
    encoding: str | None = None,
    sample: int = 5,
) -> dict[str, Any]:
    """The mapping step: how the file reads, which column feeds which field, a few rows."""
    table = open_table(path, encoding=encoding)
    hidden = access.hidden_fields(user, Account) if target == m.ACCOUNTS else ()
    columns = m.build_mapping(table.headers, target=target, explicit=mapping, hidden=hidden)
    rows: list[list[str]] = []
    for row in table.rows():
        if len(rows) >= sample:
            break
        rows.append(row.cells[: len(table.headers)])
    return {
        "format": table.info.format,
        "encoding": table.info.encoding,
        "delimiter": table.info.delimiter,
        "headers": table.headers,
        "mapping": columns.as_dict(),
        "field_choices": m.target_fields(target),
        "warnings": [*table.info.warnings, *columns.warnings],
        "sample": rows,
    }


def run_import_job(*, job_id: int) -> ImportJob | None:
    """Run (or resume) a job's import. Never raises for a bad file: the job says why."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        return job
    start_after = job.processed_rows if job.status in _RESUMABLE else 0
    job.status = ImportJob.Status.RUNNING
    job.started_at = job.started_at or timezone.now()
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["status", "started_at", "heartbeat_at"])
    try:
        summary = run_import(
            path=job.file.path,
            user=job.created_by,
            options=job_options(job),
            job=job,
            start_after=start_after,
        )
    except ApplicationError as error:
        finish_job(job, status=ImportJob.Status.FAILED, message=error.message)
    except Exception:
        logger.exception("import job %s failed", job.pk)
        job.refresh_from_db()
        finish_job(
            job,
            status=ImportJob.Status.FAILED,
            message=_(
                "The import stopped on an internal error after %d rows; those are imported. "
                "Start the file again to import the rest: nothing is imported twice."
            )
            % job.processed_rows,
        )
    else:
        finish_job(job, status=ImportJob.Status.DONE, message="\n".join(summary.warnings))
    return job


def job_options(job: ImportJob) -> ImportOptions:
    owner_id = job.options.get("owner_id")
    return ImportOptions(
        target=job.target,
        on_duplicate=job.options.get("on_duplicate", "skip"),
        dry_run=job.is_dry_run,
        owner=get_user_model().objects.get(pk=owner_id) if owner_id else None,
        mapping=job.mapping or None,
        encoding=job.options.get("encoding") or None,
        batch_size=int(job.options.get("batch_size") or BATCH_SIZE),
    )


def finish_job(job: ImportJob, *, status: str, message: str) -> None:
    job.status = status
    job.message = message
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "message", "finished_at"])


def interrupted_message(job: ImportJob) -> str:
    return _(
        "The import stopped without finishing after %(done)d of %(total)d rows: its process "
        "was stopped or lost. Those rows are imported; resume the job or import the same file "
        "again to import the rest (nothing is imported twice)."
    ) % {"done": job.processed_rows, "total": job.total_rows}


@transaction.atomic
def sweep_import_jobs(*, stale_after: timedelta = STALE_AFTER) -> list[int]:
    """Mark as interrupted the running jobs whose heartbeat is older than `stale_after` (their
    process was killed); return their ids. Safe to run any time, from any process."""
    cutoff = timezone.now() - stale_after
    stale = ImportJob.objects.select_for_update().filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff),
        status=ImportJob.Status.RUNNING,
    )
    swept = []
    for job in stale:
        logger.warning("import job %s: no heartbeat since %s, interrupted", job.pk, cutoff)
        finish_job(job, status=ImportJob.Status.INTERRUPTED, message=interrupted_message(job))
        swept.append(job.pk)
    return swept


@transaction.atomic
def resume_import_job(*, user: Any, job_id: int) -> ImportJob:
    """Queue an interrupted job again (after commit): it carries on after its committed rows."""
    job = access.get_for(user, ImportJob.objects.select_for_update(), job_id, "change")
    if job.status != ImportJob.Status.INTERRUPTED:
        raise ApplicationError(
            _("Only an interrupted import can be resumed; this one is %s.")
            % job.get_status_display().lower()
        )
    from kam.accounts.tasks import import_file_task

    transaction.on_commit(lambda: import_file_task.delay(job.pk))
    return job


def errors_csv(job: ImportJob) -> Iterator[str]:
    """The job's row errors as CSV text (row, column, value, reason), streamed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(["row", "column", "value", "reason"])
    yield flush()
    errors = ImportRowError.objects.filter(job=job).order_by("row_number", "pk")
    for error in errors.values_list("row_number", "column", "value", "reason").iterator(2000):
        row, column, value, reason = error
        writer.writerow([row, neutralise(column), neutralise(value), neutralise(reason)])
        yield flush()

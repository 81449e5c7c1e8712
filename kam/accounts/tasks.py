from __future__ import annotations

from celery import shared_task

from kam.accounts.importing.jobs import run_import_job


@shared_task(name="kam.accounts.tasks.import_file_task", acks_late=True)
def import_file_task(job_id: int) -> str | None:
    """Import a job's file. Safe to run twice: a finished job is left alone, a job a crashed
    worker left running resumes after its committed rows (the ledger skips the rest)."""
    job = run_import_job(job_id=job_id)
    return None if job is None else str(job.status)

from __future__ import annotations

from celery import shared_task

from kam.accounts.importing.jobs import run_import_job, sweep_import_jobs


@shared_task(name="kam.accounts.tasks.import_file_task", acks_late=True)
def import_file_task(job_id: int) -> str | None:
    """Import a job's file. Safe to run twice: a finished job is left alone, a job a crashed
    worker left running resumes after its committed rows (the ledger skips the rest)."""
    job = run_import_job(job_id=job_id)
    return None if job is None else str(job.status)


@shared_task(name="kam.accounts.tasks.sweep_import_jobs_task")
def sweep_import_jobs_task() -> int:
    """Mark the import jobs whose process died (no heartbeat) as interrupted."""
    return len(sweep_import_jobs())

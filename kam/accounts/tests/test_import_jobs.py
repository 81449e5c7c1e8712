"""A killed import: the heartbeat, the sweeper that marks it interrupted, and finishing it
(resume, or the same file again) without a duplicate row."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files import File
from django.core.management import call_command
from django.utils import timezone

from kam.accounts.importing import engine
from kam.accounts.importing.jobs import STALE_AFTER, run_import_job, sweep_import_jobs
from kam.accounts.models import Account, Contact, ImportJob, MatchKey
from kam.accounts.tasks import sweep_import_jobs_task
from kam.config.celery import app

pytestmark = pytest.mark.django_db
LATER = STALE_AFTER + timedelta(minutes=1)


def contacts_file(tmp_path: Path, rows: int = 6) -> Path:
    path = tmp_path / "contacts.csv"
    lines = ["Last Name,Email,Company,Website"]
    lines += [f"Person{i},p{i}@firm{i // 2}.de,Firm {i // 2},firm{i // 2}.de" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def a_job(user: Any, path: Path, batch_size: int = 2) -> ImportJob:
    job = ImportJob(target="contacts", created_by=user, original_name=path.name)
    with path.open("rb") as handle:
        job.file.save(path.name, File(handle), save=False)
    job.options = {"on_duplicate": "skip", "owner_id": None, "encoding": "", "batch_size": 2}
    job.save()
    return job


def killed_on_batch(monkeypatch: pytest.MonkeyPatch, number: int) -> None:
    """The process dies (no handler runs: SIGKILL) when the batch `number` is written."""
    write = engine.ContactImporter.write
    calls = {"n": 0}

    def die(self: Any, plan: Any) -> None:
        calls["n"] += 1
        if calls["n"] == number:
            raise SystemExit("killed")
        write(self, plan)

    monkeypatch.setattr(engine.ContactImporter, "write", die)


def test_a_killed_worker_job_is_swept_as_interrupted_and_resumes_without_duplicates(
    tmp_path: Path, org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = a_job(org.owner, contacts_file(tmp_path))
    killed_on_batch(monkeypatch, 2)
    with pytest.raises(SystemExit):
        run_import_job(job_id=job.pk)
    monkeypatch.undo()
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.heartbeat_at is not None) == ("running", 2, True)

    assert sweep_import_jobs() == []  # its heartbeat is fresh: it may still be running
    with time_machine.travel(timezone.now() + LATER):
        assert sweep_import_jobs() == [job.pk]
    job.refresh_from_db()
    assert job.status == "interrupted"
    assert job.message.startswith("The import stopped without finishing after 2 of 6 rows")

    run_import_job(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_count) == ("done", 6, 6)
    assert Contact.objects.count() == 6
    assert Account.objects.count() == 3
    assert MatchKey.objects.filter(contact__isnull=False).count() == 12


def test_the_same_file_imported_again_after_a_kill_adds_only_the_missing_rows(
    tmp_path: Path, org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = contacts_file(tmp_path)
    killed_on_batch(monkeypatch, 3)
    with pytest.raises(SystemExit):
        call_command("import", "contacts", str(path), "--owner", "owner", "--batch-size", "2",
                     "-v", "0")  # fmt: skip
    monkeypatch.undo()
    first = ImportJob.objects.get()
    # The command saw the exit and said so itself (a SIGKILL leaves that to the sweeper).
    assert (first.status, first.processed_rows, Contact.objects.count()) == ("interrupted", 4, 4)

    out = io.StringIO()
    call_command("import", "contacts", str(path), "--owner", "owner", "--json", stdout=out)

    summary = __import__("json").loads(out.getvalue())
    assert (summary["already_imported"], summary["created"], summary["errors"]) == (4, 2, 0)
    assert sorted(Contact.objects.values_list("last_name", flat=True)) == [
        f"Person{i}" for i in range(6)
    ]
    assert Account.objects.count() == 3


def test_kam_import_sweeps_dead_jobs_before_it_starts(tmp_path: Path, org: Any) -> None:
    dead = ImportJob.objects.create(
        target="contacts",
        created_by=org.owner,
        original_name="old.csv",
        status="running",
        heartbeat_at=timezone.now() - LATER,
    )
    err = io.StringIO()

    call_command("import", "contacts", str(contacts_file(tmp_path, 2)), "--owner", "owner",
                 stderr=err, stdout=io.StringIO())  # fmt: skip

    dead.refresh_from_db()
    assert dead.status == "interrupted"
    assert f"as interrupted: {dead.pk}." in err.getvalue()


def test_the_sweeper_leaves_live_and_finished_jobs_alone(org: Any) -> None:
    old = timezone.now() - LATER
    for status in ("pending", "running", "done", "failed"):
        ImportJob.objects.create(
            target="accounts",
            created_by=org.owner,
            original_name=status,
            status=status,
            heartbeat_at=old if status != "running" else timezone.now(),
        )
    legacy = ImportJob.objects.create(
        target="accounts", created_by=org.owner, original_name="legacy", status="running"
    )
    ImportJob.objects.filter(pk=legacy.pk).update(created_at=old)

    assert sweep_import_jobs_task.delay().get() == 1

    statuses = dict(ImportJob.objects.values_list("original_name", "status"))
    assert statuses == {
        "pending": "pending",
        "running": "running",
        "done": "done",
        "failed": "failed",
        "legacy": "interrupted",
    }
    assert app.conf.beat_schedule["sweep-import-jobs"] == {
        "task": "kam.accounts.tasks.sweep_import_jobs_task",
        "schedule": 300,
    }


def test_a_job_swept_while_alive_is_running_again_at_its_next_batch(
    tmp_path: Path, org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = a_job(org.owner, contacts_file(tmp_path, 4))
    write = engine.ContactImporter.write
    seen = []

    def slow(self: Any, plan: Any) -> None:
        write(self, plan)
        with time_machine.travel(timezone.now() + LATER):
            sweep_import_jobs()  # a batch so slow the sweeper took the job for dead
        seen.append(ImportJob.objects.get(pk=job.pk).status)

    monkeypatch.setattr(engine.ContactImporter, "write", slow)

    run_import_job(job_id=job.pk)

    job.refresh_from_db()
    assert seen == ["interrupted", "interrupted"]
    assert (job.status, job.created_count) == ("done", 4)


# --- API and page -------------------------------------------------------------------------------


def test_api_shows_an_interrupted_job_and_resumes_it(
    tmp_path: Path,
    org: Any,
    api_as: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    job = a_job(org.owner, contacts_file(tmp_path))
    killed_on_batch(monkeypatch, 2)
    with pytest.raises(SystemExit):
        run_import_job(job_id=job.pk)
    monkeypatch.undo()
    with time_machine.travel(timezone.now() + LATER):
        sweep_import_jobs()
    owner = api_as(org.owner)
    shown = owner.get(f"/api/v1/import-jobs/{job.pk}/").json()
    assert (shown["status"], shown["processed_rows"], shown["progress"]) == ("interrupted", 2, 33)

    assert api_as(org.other).post(f"/api/v1/import-jobs/{job.pk}/resume/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        resumed = api_as(org.owner).post(f"/api/v1/import-jobs/{job.pk}/resume/")

    assert resumed.status_code == 202
    done = api_as(org.owner).get(f"/api/v1/import-jobs/{job.pk}/").json()
    assert (done["status"], done["created_count"], Contact.objects.count()) == ("done", 6, 6)
    again = api_as(org.owner).post(f"/api/v1/import-jobs/{job.pk}/resume/")
    assert again.status_code == 400
    assert "Only an interrupted import can be resumed" in str(again.json())


def test_the_job_page_offers_to_import_the_rest(client: Any, org: Any) -> None:
    job = ImportJob.objects.create(
        target="contacts",
        created_by=org.owner,
        original_name="x.csv",
        status="interrupted",
        mapping={"Last Name": "last_name", "Company": "account.name"},
        message="The import stopped without finishing after 2 of 6 rows",
    )
    client.force_login(org.owner)

    page = client.get(f"/accounts/import/{job.pk}/", headers={"HX-Request": "true"})

    html = page.content.decode()
    assert "Interrupted" in html
    assert 'data-testid="import-resume"' in html
    assert '<input type="hidden" name="header" value="Last Name">' in html
    assert 'hx-trigger="every 1s"' not in html


def test_a_fault_in_kam_import_fails_its_job_with_the_reason(
    tmp_path: Path, org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(self: Any, plan: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(engine.ContactImporter, "write", boom)

    with pytest.raises(RuntimeError):
        call_command("import", "contacts", str(contacts_file(tmp_path)), "--owner", "owner",
                     "-v", "0")  # fmt: skip

    job = ImportJob.objects.get()
    assert (job.status, job.message, Contact.objects.count()) == (
        "failed",
        "RuntimeError: disk on fire",
        0,
    )

"""Importing through the UI: upload → dry run with the mapping → the real import → errors CSV."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kam.accounts.models import Account, ImportJob

pytestmark = pytest.mark.django_db(transaction=True)

CSV = (
    b"Account Name,Website,Billing Country,Phone\n"
    b"Initech,initech.de,DE,030 1234567\n"
    b"Umbrella,umbrella.example,GB,not a phone\n"
    b"Globex,globex.com,US,+1 212 555 0100\n"
)


def upload(client: Any, content: bytes = CSV, name: str = "crm-export.csv") -> Any:
    return client.post(
        "/accounts/import/",
        {
            "file": SimpleUploadedFile(name, content, content_type="text/csv"),
            "target": "accounts",
            "on_duplicate": "skip",
        },
    )


def test_upload_runs_a_dry_run_that_writes_nothing(client: Any, org: Any) -> None:
    client.force_login(org.owner)

    response = upload(client)

    job = ImportJob.objects.get()
    assert response["Location"] == f"/accounts/import/{job.pk}/"
    assert (job.is_dry_run, job.status, job.total_rows, job.error_count) == (True, "done", 3, 1)
    assert Account.objects.count() == 0
    page = client.get(f"/accounts/import/{job.pk}/").content.decode()
    assert "Account Name" in page
    assert 'value="name" selected' in page


def test_confirming_imports_and_errors_download_as_csv(client: Any, org: Any) -> None:
    client.force_login(org.owner)
    upload(client)
    dry = ImportJob.objects.get()

    response = client.post(
        f"/accounts/import/{dry.pk}/run/",
        {
            "header": ["Account Name", "Website", "Billing Country", "Phone"],
            "field": ["name", "website", "country", "phones"],
            "on_duplicate": "skip",
        },
    )

    real = ImportJob.objects.exclude(pk=dry.pk).get()
    assert response["Location"] == f"/accounts/import/{real.pk}/"
    assert sorted(Account.objects.values_list("name", flat=True)) == ["Globex", "Initech"]
    assert set(Account.objects.values_list("owner", flat=True)) == {org.owner.pk}
    errors = b"".join(client.get(f"/accounts/import/{real.pk}/errors.csv").streaming_content)
    lines = errors.decode().splitlines()
    assert lines[0] == "row,column,value,reason"
    assert lines[1].startswith("3,Phone,not a phone,")


def test_progress_partial_for_htmx(client: Any, org: Any) -> None:
    client.force_login(org.owner)
    upload(client)
    job = ImportJob.objects.get()

    partial = client.get(f"/accounts/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()

    assert "<html" not in partial
    assert "3 / 3" in partial
    assert "hx-trigger" not in partial  # finished: no more polling


def test_another_users_job_is_404(client: Any, org: Any) -> None:
    client.force_login(org.owner)
    upload(client)
    job = ImportJob.objects.get()

    client.force_login(org.other)
    assert client.get(f"/accounts/import/{job.pk}/").status_code == 404
    assert client.get(f"/accounts/import/{job.pk}/errors.csv").status_code == 404
    assert client.post(f"/accounts/import/{job.pk}/run/", {}).status_code == 404


def test_an_empty_file_is_refused_with_a_message(client: Any, org: Any) -> None:
    client.force_login(org.owner)

    response = upload(client, content=b"", name="empty.csv")

    assert response.status_code == 200
    assert ImportJob.objects.count() == 0
    assert "empty" in response.content.decode().lower()

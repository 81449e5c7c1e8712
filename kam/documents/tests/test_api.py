"""/api/v1/documents/: list by record, upload, versions, downloads, delete; bad inputs; access."""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.documents.models import Document, DocumentVersion
from kam.documents.tests import factories as f

pytestmark = pytest.mark.django_db
URL = "/api/v1/documents/"


def upload(data: bytes = f.PDF, name: str = "contract.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def create_body(account: Any, **extra: Any) -> dict[str, Any]:
    return {
        "content_type": "accounts.account",
        "object_id": account.pk,
        "kind": "contract",
        "title": "Supply contract",
        "direction": "incoming",
        "file": upload(),
        **extra,
    }


def test_upload_creates_a_document_and_answers_its_detail(org: Any, api_as: Any) -> None:
    account = AccountFactory(owner=org.owner)

    response = api_as(org.owner).post(URL, create_body(account, number="C-1"), format="multipart")

    assert response.status_code == 201
    body = response.json()
    document = Document.objects.get()
    assert body["id"] == document.pk
    assert body["content_type"] == "accounts.account"
    assert body["object_id"] == account.pk
    assert (body["kind"], body["title"], body["number"]) == ("contract", "Supply contract", "C-1")
    assert body["register_number"] == document.register_number
    assert body["register_number"].startswith("IN-")
    assert body["current_version"]["filename"] == "contract.pdf"
    assert body["current_version"]["content_type"] == "application/pdf"
    assert body["current_version"]["download_url"] == (
        f"http://testserver{URL}{document.pk}/versions/1/download/"
    )
    assert [v["number"] for v in body["versions"]] == [1]
    assert response["ETag"] == f'"{document.version}"'


def test_list_by_record_shows_only_that_record_with_constant_queries(
    org: Any, api_as: Any, django_assert_max_num_queries: Any
) -> None:
    account = AccountFactory(owner=org.owner)
    other = AccountFactory(owner=org.owner)
    for n in range(12):
        f.make_document(user=org.owner, record=account, title=f"Doc {n}")
    f.make_document(user=org.owner, record=other, title="Elsewhere")
    client = api_as(org.owner)

    with django_assert_max_num_queries(7):
        response = client.get(URL, {"content_type": "accounts.account", "object_id": account.pk})

    assert response.status_code == 200
    assert response.json()["count"] == 12
    assert "Elsewhere" not in {row["title"] for row in response.json()["results"]}


def test_list_without_a_record_is_what_the_user_sees_with_constant_queries(
    org: Any, api_as: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(8):
        f.make_document(user=org.owner, record=AccountFactory(owner=org.owner), title=f"Mine {n}")
    f.make_document(user=org.other, record=AccountFactory(owner=org.other), title="Theirs")
    client = api_as(org.owner)

    with django_assert_max_num_queries(8):
        response = client.get(URL, {"kind": "letter"})

    assert response.json()["count"] == 8
    assert all(row["title"].startswith("Mine") for row in response.json()["results"])


@pytest.mark.parametrize(
    ("who", "code"),
    [("owner", 200), ("lead", 200), ("sales_head", 200), ("auditor", 200), ("other", 404)],
)
def test_list_of_a_record_follows_the_record_access(
    org: Any, api_as: Any, who: str, code: int
) -> None:
    account = AccountFactory(owner=org.owner)
    f.make_document(user=org.owner, record=account, title="Secret plan")

    response = api_as(getattr(org, who)).get(
        URL, {"content_type": "accounts.account", "object_id": account.pk}
    )

    assert response.status_code == code
    if code == 404:
        assert response.json() == {"code": "not_found", "detail": "Not found.", "fields": {}}
        assert "Secret plan" not in response.content.decode()


def test_anonymous_gets_nothing(org: Any, api: Any) -> None:
    document = f.make_document(user=org.owner, record=AccountFactory(owner=org.owner))

    responses = [
        api.get(URL),
        api.get(f"{URL}{document.pk}/"),
        api.get(f"{URL}{document.pk}/versions/1/download/"),
        api.post(URL, create_body(document.record), format="multipart"),
        api.delete(f"{URL}{document.pk}/"),
    ]

    assert [r.status_code for r in responses] == [401, 401, 401, 401, 401]
    assert Document.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [
        ("owner", 200, 201),
        ("lead", 200, 201),
        ("sales_head", 200, 201),
        ("auditor", 200, 403),
        ("other", 404, 404),
        ("peer", 404, 404),
    ],
)
def test_access_matrix_on_one_document(
    org: Any, api_as: Any, who: str, read: int, write: int
) -> None:
    document = f.make_document(user=org.owner, record=AccountFactory(owner=org.owner))
    client = api_as(getattr(org, who))

    detail = client.get(f"{URL}{document.pk}/")
    download = client.get(f"{URL}{document.pk}/versions/1/download/")
    new_version = client.post(
        f"{URL}{document.pk}/versions/", {"file": upload(f.TEXT, "v2.txt")}, format="multipart"
    )

    assert (detail.status_code, download.status_code) == (read, read)
    assert new_version.status_code == write
    assert DocumentVersion.objects.count() == (2 if write == 201 else 1)
    if read == 404:
        assert b"letter" not in detail.content
        assert f.PDF not in download.content


def test_new_version_and_download_of_each(org: Any, api_as: Any) -> None:
    document = f.make_document(user=org.owner, record=AccountFactory(owner=org.owner))
    client = api_as(org.owner)

    response = client.post(
        f"{URL}{document.pk}/versions/",
        {"file": upload(f.TEXT, "minutes.txt"), "comment": "signed"},
        format="multipart",
    )
    first = client.get(f"{URL}{document.pk}/versions/1/download/")
    latest = client.get(f"{URL}{document.pk}/download/")

    assert response.status_code == 201
    assert [(v["number"], v["comment"]) for v in response.json()["versions"]] == [
        (2, "signed"),
        (1, ""),
    ]
    assert b"".join(first.streaming_content) == f.PDF
    assert first["Content-Type"] == "application/pdf"
    assert first["Content-Disposition"] == 'attachment; filename="letter.pdf"'
    assert first["X-Content-Type-Options"] == "nosniff"
    assert b"".join(latest.streaming_content) == f.TEXT
    assert latest["Content-Type"] == "text/plain; charset=utf-8"
    assert client.get(f"{URL}{document.pk}/versions/9/download/").status_code == 404


def test_download_of_a_confidential_kind_is_audited(org: Any, api_as: Any) -> None:
    document = f.make_document(
        user=org.owner, record=AccountFactory(owner=org.owner), kind="invoice"
    )

    api_as(org.lead).get(f"{URL}{document.pk}/download/")

    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert (entry.actor, entry.object_pk) == (org.lead, str(document.pk))


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"content_type": "sales.nothing"}, {"content_type": ["Unknown record type."]}),
        ({"content_type": "auth.permission"}, {"content_type": ["Unknown record type."]}),
        ({"kind": "poem"}, {"kind": ['"poem" is not a valid choice.']}),
        ({"title": ""}, {"title": ["This field may not be blank."]}),
        ({"file": upload(f.EXE, "invoice.pdf")}, {"file": ["it is an executable program."]}),
        (
            {"file": upload(f.HTML, "invoice.pdf")},
            {"file": ["it contains HTML, SVG or XML markup."]},
        ),
        ({"file": upload(b"", "empty.pdf")}, {"file": ["The file is empty."]}),
    ],
    ids=["unknown-type", "no-access-spec", "kind", "title", "exe", "html", "empty"],
)
def test_bad_input_answers_400_by_field_and_writes_nothing(
    org: Any, api_as: Any, changes: dict[str, Any], fields: dict[str, list[str]]
) -> None:
    account = AccountFactory(owner=org.owner)

    response = api_as(org.owner).post(URL, create_body(account, **changes), format="multipart")

    assert response.status_code == 400
    assert response.json()["fields"] == fields
    assert Document.all_objects.count() == 0


def test_missing_file_is_a_field_error(org: Any, api_as: Any) -> None:
    body = create_body(AccountFactory(owner=org.owner))
    del body["file"]

    response = api_as(org.owner).post(URL, body, format="multipart")

    assert response.status_code == 400
    assert response.json()["fields"] == {"file": ["No file was submitted."]}


@override_settings(KAM_UPLOAD_MAX_BYTES=64)
def test_an_oversized_file_is_refused(org: Any, api_as: Any) -> None:
    body = create_body(AccountFactory(owner=org.owner), file=upload(f.TEXT * 2, "a.txt"))

    response = api_as(org.owner).post(URL, body, format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == "upload_refused"
    assert response.json()["fields"] == {"file": ["The file is too large."]}
    assert Document.all_objects.count() == 0


def test_a_record_you_cannot_see_answers_404_and_writes_nothing(org: Any, api_as: Any) -> None:
    theirs = AccountFactory(owner=org.other)

    response = api_as(org.owner).post(URL, create_body(theirs), format="multipart")
    missing = api_as(org.owner).post(
        URL, create_body(theirs, object_id=theirs.pk + 10_000), format="multipart"
    )

    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
    assert Document.all_objects.count() == 0


def test_a_correspondent_you_cannot_see_is_not_found(org: Any, api_as: Any) -> None:
    account = AccountFactory(owner=org.owner)
    hidden = AccountFactory(owner=org.other)

    response = api_as(org.owner).post(
        URL, create_body(account, correspondent_account=hidden.pk), format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"correspondent_account": ["Not found."]}


def test_patch_edits_metadata_with_the_version(org: Any, api_as: Any) -> None:
    document = f.make_document(user=org.owner, record=AccountFactory(owner=org.owner))
    client = api_as(org.owner)

    response = client.patch(
        f"{URL}{document.pk}/", {"title": "Renamed", "version": document.version}, format="json"
    )
    stale = client.patch(
        f"{URL}{document.pk}/", {"title": "Late", "version": document.version}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"
    assert stale.status_code == 409
    document.refresh_from_db()
    assert document.title == "Renamed"


@pytest.mark.parametrize(("who", "code"), [("owner", 204), ("auditor", 403), ("other", 404)])
def test_delete_moves_to_the_trash(org: Any, api_as: Any, who: str, code: int) -> None:
    document = f.make_document(user=org.owner, record=AccountFactory(owner=org.owner))

    response = api_as(getattr(org, who)).delete(f"{URL}{document.pk}/")

    assert response.status_code == code
    assert Document.all_objects.get(pk=document.pk).is_deleted is (code == 204)
    assert api_as(org.owner).get(f"{URL}{document.pk}/").status_code == (
        404 if code == 204 else 200
    )


def test_list_by_record_type_only_and_bad_record_filters(org: Any, api_as: Any) -> None:
    account = AccountFactory(owner=org.owner)
    contact_doc = f.make_document(
        user=org.owner, record=ContactFactory(account=account), title="On contact"
    )
    f.make_document(user=org.owner, record=account, title="On account")
    client = api_as(org.owner)

    by_type = client.get(URL, {"content_type": "accounts.contact"})
    unknown = client.get(URL, {"content_type": "nothing.here", "object_id": 1})
    id_only = client.get(URL, {"object_id": account.pk})

    assert [row["id"] for row in by_type.json()["results"]] == [contact_doc.pk]
    assert unknown.status_code == 400
    assert unknown.json()["fields"] == {"content_type": ["Unknown record type."]}
    assert id_only.status_code == 400
    assert id_only.json()["fields"] == {"content_type": ["Name the record's type too."]}


def test_an_upload_to_a_record_you_cannot_see_is_an_audited_attempt(org: Any, api_as: Any) -> None:
    theirs = AccountFactory(owner=org.other)

    api_as(org.owner).post(URL, create_body(theirs), format="multipart")

    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert (entry.actor, entry.object_pk) == (org.owner, str(theirs.pk))
    assert entry.additional_data == {"event": "access_denied", "action": "view"}


@override_settings(KAM_UPLOAD_MAX_BYTES=1024)
def test_a_body_announced_too_large_is_refused_before_it_is_read(org: Any, api_as: Any) -> None:
    body = create_body(AccountFactory(owner=org.owner), file=upload(b"x" * 200_000, "big.txt"))

    response = api_as(org.owner).post(URL, body, format="multipart")

    assert response.status_code == 400
    assert response.json()["fields"] == {"file": ["The file is too large."]}
    assert Document.all_objects.count() == 0

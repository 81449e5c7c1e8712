"""Documents on records: access through the record, versions, trash, the register."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.core.errors import NotFoundError, PermissionDeniedError
from kam.documents import choices, selectors, services
from kam.documents.errors import DocumentError, UploadRefusedError
from kam.documents.models import Document, DocumentVersion
from kam.documents.permissions import access_document
from kam.documents.tests import factories as f
from tests.testapp.models import Child, Record

pytestmark = pytest.mark.django_db


def test_upload_attaches_a_document_with_its_first_version(org: Any) -> None:
    account = AccountFactory(owner=org.owner)

    document = f.make_document(
        user=org.owner,
        record=account,
        kind=choices.Kind.CONTRACT,
        title="Supply contract",
        number="C-17",
        date=date(2026, 11, 2),
        filename="contract.pdf",
    )

    assert document.record == account
    assert (document.kind, document.title, document.number) == (
        "contract",
        "Supply contract",
        "C-17",
    )
    assert document.register_number == ""
    version = document.current_version
    assert version is not None
    assert (version.number, version.filename, version.content_type) == (
        1,
        "contract.pdf",
        "application/pdf",
    )
    assert version.size == len(f.PDF)
    with version.file.open("rb") as handle:
        assert handle.read() == f.PDF
    assert "contract" not in version.file.name  # stored under a random name


def test_a_new_upload_is_the_next_version_and_old_ones_are_kept(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    document = f.make_document(user=org.owner, record=account)

    second = services.document_add_version(
        user=org.owner, document=document, upload=f.docx_bytes(), filename="letter v2.docx"
    )
    third = services.document_add_version(
        user=org.owner, document=document, upload=f.TEXT, filename="notes.txt", comment="typo"
    )

    document.refresh_from_db()
    assert document.current_version == third
    assert [(v.number, v.filename) for v in selectors.document_versions(document=document)] == [
        (3, "notes.txt"),
        (2, "letter v2.docx"),
        (1, "letter.pdf"),
    ]
    assert second.content_type.endswith("wordprocessingml.document")
    assert third.comment == "typo"


def test_a_refused_upload_writes_nothing(org: Any) -> None:
    account = AccountFactory(owner=org.owner)

    with pytest.raises(UploadRefusedError):
        f.make_document(user=org.owner, record=account, data=f.EXE, filename="invoice.pdf")

    assert Document.all_objects.count() == 0
    assert DocumentVersion.objects.count() == 0


def test_documents_are_visible_exactly_to_who_sees_the_record(org: Any) -> None:
    mine = AccountFactory(owner=org.owner)
    theirs = AccountFactory(owner=org.other)
    on_mine = f.make_document(user=org.owner, record=mine, title="Mine")
    on_theirs = f.make_document(user=org.other, record=theirs, title="Theirs")

    def titles(user: Any) -> set[str]:
        return set(selectors.document_list(user=user).values_list("title", flat=True))

    assert titles(org.owner) == {"Mine"}
    assert titles(org.other) == {"Theirs"}
    assert titles(org.lead) == {"Mine"}  # leads the owner's team
    assert titles(org.peer) == set()
    assert titles(org.sales_head) == {"Mine", "Theirs"}
    assert titles(org.auditor) == {"Mine", "Theirs"}
    assert titles(org.staff) == set()
    assert access_document(user=org.owner, document_id=on_mine.pk) == on_mine
    with pytest.raises(NotFoundError):
        access_document(user=org.owner, document_id=on_theirs.pk)


def test_the_record_own_spec_decides_grants_beyond_the_owner(org: Any) -> None:
    record = Record.objects.create(name="Shared", owner=org.other, department=org.logistics)
    record.team_members.add(org.peer)
    child = Child.objects.create(record=record, title="Child")
    f.make_document(user=org.other, record=record, title="On record")
    f.make_document(user=org.other, record=child, title="On child")

    def titles(user: Any) -> set[str]:
        return set(selectors.document_list(user=user).values_list("title", flat=True))

    assert titles(org.peer) == {"On record", "On child"}  # account team member
    assert titles(org.staff) == {"On record", "On child"}  # department
    assert titles(org.marketing) == {"On record", "On child"}  # readable_by, inherited
    assert titles(org.outsider) == set()


def test_documents_of_a_record_in_the_trash_are_hidden(org: Any) -> None:
    record = Record.objects.create(name="Gone", owner=org.owner)
    document = f.make_document(user=org.owner, record=record)
    Record.objects.filter(pk=record.pk).update(deleted_at=document.created_at)

    assert list(selectors.document_list(user=org.owner)) == []
    with pytest.raises(NotFoundError):
        access_document(user=org.owner, document_id=document.pk)


@pytest.mark.parametrize("who", ["peer", "other", "staff"])
def test_who_cannot_see_the_record_cannot_attach_to_it(org: Any, who: str) -> None:
    account = AccountFactory(owner=org.owner)

    with pytest.raises(NotFoundError):
        f.make_document(user=getattr(org, who), record=account)

    assert Document.all_objects.count() == 0


def test_the_auditor_sees_but_cannot_upload(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    document = f.make_document(user=org.owner, record=account)

    with pytest.raises(PermissionDeniedError):
        f.make_document(user=org.auditor, record=account)
    with pytest.raises(PermissionDeniedError):
        services.document_add_version(
            user=org.auditor, document=document, upload=f.PDF, filename="x.pdf"
        )

    assert Document.all_objects.count() == 1
    assert DocumentVersion.objects.count() == 1


def test_lead_and_head_of_sales_may_add_versions(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    document = f.make_document(user=org.owner, record=account)

    services.document_add_version(user=org.lead, document=document, upload=f.PDF, filename="a")
    services.document_add_version(
        user=org.sales_head, document=document, upload=f.PDF, filename="b"
    )

    assert [v.uploaded_by for v in document.versions.order_by("number")] == [
        org.owner,
        org.lead,
        org.sales_head,
    ]


def test_a_record_without_an_access_spec_cannot_have_documents(org: Any) -> None:
    content_type = ContentType.objects.get_for_model(ContentType)

    with pytest.raises(DocumentError) as refused:
        f.make_document(user=org.admin, record=content_type)

    assert refused.value.fields == {"content_type": ["Unknown record type."]}


def test_correspondent_must_be_visible_and_the_contact_of_that_account(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    other_account = AccountFactory(owner=org.owner)
    hidden = AccountFactory(owner=org.other)

    with pytest.raises(DocumentError) as invisible:
        f.make_document(user=org.owner, record=account, correspondent_account=hidden)
    with pytest.raises(DocumentError) as mismatch:
        f.make_document(
            user=org.owner,
            record=account,
            correspondent_account=account,
            correspondent_contact=ContactFactory(account=other_account),
        )

    assert invisible.value.fields == {"correspondent_account": ["Not found."]}
    assert mismatch.value.fields == {
        "correspondent_contact": ["The contact works for another account."]
    }


def test_delete_moves_to_the_trash_and_is_audited(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    document = f.make_document(user=org.owner, record=account)

    with pytest.raises(NotFoundError):
        services.document_delete(user=org.other, document=document)
    services.document_delete(user=org.owner, document=document)

    trashed = Document.all_objects.get(pk=document.pk)
    assert trashed.deleted_by == org.owner
    assert list(selectors.document_list(user=org.owner)) == []
    entry = LogEntry.objects.get_for_object(trashed).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == org.owner
    assert set(entry.changes_dict) == {"deleted_at", "deleted_by"}


def test_uploads_are_audited_and_confidential_downloads_too(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    contract = f.make_document(user=org.owner, record=account, kind=choices.Kind.CONTRACT)
    letter = f.make_document(user=org.owner, record=account, kind=choices.Kind.LETTER)

    assert contract.current_version is not None
    assert letter.current_version is not None
    services.version_downloaded(user=org.lead, version=contract.current_version)
    services.version_downloaded(user=org.lead, version=letter.current_version)

    created = LogEntry.objects.get_for_object(contract.current_version).get()
    assert (created.action, created.actor) == (LogEntry.Action.CREATE, org.owner)
    downloads = LogEntry.objects.filter(action=LogEntry.Action.ACCESS)
    assert [(e.object_pk, e.actor, e.additional_data) for e in downloads] == [
        (str(contract.pk), org.lead, {"event": "download", "version": 1, "kind": "contract"})
    ]


def test_edit_changes_metadata_but_not_the_direction(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    document = f.make_document(user=org.owner, record=account)

    updated = services.document_update(
        user=org.owner,
        document=document,
        expected_version=document.version,
        data={"title": "Renamed", "kind": choices.Kind.ACT},
    )
    with pytest.raises(DocumentError) as refused:
        services.document_update(
            user=org.owner,
            document=updated,
            expected_version=updated.version,
            data={"direction": choices.Direction.INCOMING},
        )

    assert (updated.title, updated.kind) == ("Renamed", "act")
    assert refused.value.fields == {"direction": ["This field cannot be changed."]}


def test_purging_the_trash_deletes_the_files(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from kam.core.services import purge

    document = f.make_document(user=org.owner, record=AccountFactory(owner=org.owner))
    services.document_add_version(user=org.owner, document=document, upload=f.TEXT, filename="b")
    names = [v.file.name for v in document.versions.all()]
    storage = document.versions.first().file.storage
    trashed = services.document_delete(user=org.owner, document=document)

    with django_capture_on_commit_callbacks(execute=True):
        purge(instance=trashed, user=org.admin)

    assert Document.all_objects.count() == 0
    assert [storage.exists(name) for name in names] == [False, False]


def test_the_owner_restores_from_the_document_page_not_the_core_trash(org: Any) -> None:
    from kam.core.services import restore

    document = f.make_document(user=org.owner, record=AccountFactory(owner=org.owner))
    trashed = services.document_delete(user=org.owner, document=document)

    restored = restore(instance=trashed, user=org.admin)

    assert restored.deleted_at is None
    assert access_document(user=org.owner, document_id=document.pk) == document


def test_merging_accounts_moves_their_documents_and_correspondence(org: Any) -> None:
    from kam.accounts.merge import account_merge

    survivor, loser = AccountFactory(owner=org.owner), AccountFactory(owner=org.owner)
    on_loser = f.make_document(user=org.owner, record=loser, title="On the loser")
    letter = f.make_document(
        user=org.owner, record=survivor, direction="incoming", correspondent_account=loser
    )

    account_merge(user=org.owner, survivor=survivor, loser=loser, field_choices={})

    assert Document.objects.get(pk=on_loser.pk).record == survivor
    assert Document.objects.get(pk=letter.pk).correspondent_account == survivor
    assert access_document(user=org.owner, document_id=on_loser.pk).title == "On the loser"

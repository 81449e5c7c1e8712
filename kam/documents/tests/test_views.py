"""Pages: the record panels (list, upload), the document page (versions, delete), downloads,
the register (filters, export)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.core import registry
from kam.documents import choices
from kam.documents.models import Document, DocumentVersion
from kam.documents.tests import factories as f

pytestmark = pytest.mark.django_db


def make_deal(account: Any, owner: Any) -> Any:
    """A deal through the ORM by name: documents sit below sales and do not import it."""
    stage = apps.get_model("sales", "Stage").objects.order_by("position", "pk").first()
    return apps.get_model("sales", "Deal").objects.create(
        account=account,
        title="Fleet renewal",
        owner=owner,
        stage=stage,
        pipeline=stage.pipeline,
        probability=stage.probability,
        status=stage.outcome,
        currency="EUR",
    )


def upload_body(**extra: Any) -> dict[str, Any]:
    return {
        "title": "Signed contract",
        "kind": "contract",
        "direction": "outgoing",
        "number": "C-5",
        "file": SimpleUploadedFile("contract.pdf", f.PDF),
        **extra,
    }


def test_panels_are_registered_for_accounts_deals_and_contacts(org: Any) -> None:
    for model, url_name in [
        ("accounts.account", "documents:account_panel"),
        ("sales.deal", "documents:deal_panel"),
        ("accounts.contact", "documents:contact_panel"),
    ]:
        assert url_name in [p.url_name for p in registry.panels_for(model, org.owner)]


def test_upload_from_the_account_panel(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    contact = ContactFactory(account=account)
    client.force_login(org.owner)

    response = client.post(
        f"/documents/panel/account/{account.pk}/",
        upload_body(correspondent_account=account.pk, correspondent_contact=contact.pk),
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    document = Document.objects.get()
    assert (document.title, document.kind, document.record) == (
        "Signed contract",
        "contract",
        account,
    )
    assert (document.correspondent_account, document.correspondent_contact) == (account, contact)
    page = response.content.decode()
    assert f"“Signed contract” uploaded · {document.register_number}." in page
    assert f'href="/documents/{document.pk}/versions/1/download/"' in page


def test_a_refused_file_keeps_the_input_and_says_why(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    client.force_login(org.owner)

    response = client.post(
        f"/documents/panel/account/{account.pk}/",
        upload_body(file=SimpleUploadedFile("invoice.pdf", f.HTML)),
    )

    page = response.content.decode()
    assert Document.all_objects.count() == 0
    assert "it contains HTML, SVG or XML markup." in page
    assert 'value="Signed contract"' in page


def test_upload_from_the_deal_panel_attaches_to_the_deal(client: Any, org: Any) -> None:
    deal = make_deal(AccountFactory(owner=org.owner), org.owner)
    client.force_login(org.owner)

    client.post(f"/documents/panel/deal/{deal.pk}/", upload_body())
    response = client.get(f"/documents/panel/deal/{deal.pk}/")

    assert Document.objects.get().record == deal
    assert "Signed contract" in response.content.decode()


def test_upload_from_the_contact_panel_attaches_to_the_contact(client: Any, org: Any) -> None:
    contact = ContactFactory(account=AccountFactory(owner=org.owner))
    client.force_login(org.owner)

    client.post(f"/documents/panel/contact/{contact.pk}/", upload_body(direction="internal"))

    assert Document.objects.get().record == contact


@pytest.mark.parametrize(
    ("who", "status", "can_upload"),
    [
        ("owner", 200, True),
        ("lead", 200, True),
        ("sales_head", 200, True),
        ("auditor", 200, False),
        ("other", 404, False),
        ("peer", 404, False),
    ],
)
def test_panel_access_matrix(
    client: Any, org: Any, who: str, status: int, can_upload: bool
) -> None:
    account = AccountFactory(owner=org.owner)
    f.make_document(user=org.owner, record=account, title="Secret plan")
    client.force_login(getattr(org, who))

    response = client.get(f"/documents/panel/account/{account.pk}/")
    posted = client.post(f"/documents/panel/account/{account.pk}/", upload_body())

    assert response.status_code == posted.status_code == status
    page = response.content.decode()
    assert ("Secret plan" in page) is (status == 200)
    assert ("Upload a document" in page) is can_upload
    assert Document.objects.count() == (2 if can_upload else 1)


def test_anonymous_is_sent_to_sign_in(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    document = f.make_document(user=org.owner, record=account)

    for url in (
        f"/documents/panel/account/{account.pk}/",
        f"/documents/{document.pk}/",
        f"/documents/{document.pk}/versions/1/download/",
        "/documents/register/",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/") or "login" in response["Location"]


def test_panel_costs_constant_queries(
    client: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    account = AccountFactory(owner=org.owner)
    for n in range(15):
        f.make_document(user=org.owner, record=account, title=f"Doc {n}")
    client.force_login(org.owner)

    with django_assert_max_num_queries(14):
        response = client.get(f"/documents/panel/account/{account.pk}/")

    assert response.content.decode().count('id="document-') == 15


def test_document_page_lists_versions_and_takes_a_new_one(client: Any, org: Any) -> None:
    document = f.make_document(user=org.owner, record=AccountFactory(owner=org.owner))
    client.force_login(org.owner)

    posted = client.post(
        f"/documents/{document.pk}/versions/",
        {"file": SimpleUploadedFile("v2.docx", f.docx_bytes()), "comment": "countersigned"},
    )
    page = client.get(f"/documents/{document.pk}/").content.decode()

    assert posted.status_code == 302
    assert DocumentVersion.objects.filter(document=document).count() == 2
    assert f'href="/documents/{document.pk}/versions/1/download/"' in page
    assert f'href="/documents/{document.pk}/versions/2/download/"' in page
    assert "countersigned" in page


def test_a_refused_new_version_says_why(client: Any, org: Any) -> None:
    document = f.make_document(user=org.owner, record=AccountFactory(owner=org.owner))
    client.force_login(org.owner)

    response = client.post(
        f"/documents/{document.pk}/versions/", {"file": SimpleUploadedFile("x.pdf", f.EXE)}
    )

    assert response.status_code == 200
    assert "it is an executable program." in response.content.decode()
    assert DocumentVersion.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [
        ("owner", 200, 302),
        ("lead", 200, 302),
        ("sales_head", 200, 302),
        ("auditor", 200, 403),
        ("other", 404, 404),
        ("peer", 404, 404),
    ],
)
def test_document_page_access_matrix(
    client: Any, org: Any, who: str, read: int, write: int
) -> None:
    document = f.make_document(user=org.owner, record=AccountFactory(owner=org.owner))
    client.force_login(getattr(org, who))

    page = client.get(f"/documents/{document.pk}/")
    download = client.get(f"/documents/{document.pk}/versions/1/download/")
    deleted = client.post(f"/documents/{document.pk}/delete/")

    assert (page.status_code, download.status_code, deleted.status_code) == (read, read, write)
    assert Document.all_objects.get().is_deleted is (write == 302)
    if read == 404:
        assert "Letter about delivery" not in page.content.decode()


def test_delete_goes_back_to_the_record(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    document = f.make_document(user=org.owner, record=account)
    client.force_login(org.owner)

    response = client.post(f"/documents/{document.pk}/delete/")

    assert response["Location"] == f"/accounts/{account.pk}/"


def test_download_is_an_attachment_that_is_never_sniffed(client: Any, org: Any) -> None:
    document = f.make_document(
        user=org.owner, record=AccountFactory(owner=org.owner), data=f.TEXT, filename="notes.txt"
    )
    client.force_login(org.owner)

    response = client.get(f"/documents/{document.pk}/versions/1/download/")

    assert b"".join(response.streaming_content) == f.TEXT
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def register_some(org: Any) -> Any:
    account = AccountFactory(owner=org.owner, name="Acme")
    f.make_document(user=org.owner, record=account, direction="incoming", title="Claim")
    f.make_document(user=org.owner, record=account, direction="outgoing", title="Answer")
    f.make_document(user=org.owner, record=account, direction="internal", title="Draft")
    f.make_document(
        user=org.other, record=AccountFactory(owner=org.other), direction="incoming", title="Theirs"
    )
    return account


def test_register_page_filters_what_the_user_sees(
    client: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    register_some(org)
    client.force_login(org.owner)

    with django_assert_max_num_queries(12):
        everything = client.get("/documents/register/").content.decode()
    incoming = client.get("/documents/register/", {"direction": "incoming"}).content.decode()

    assert ("Claim" in everything, "Answer" in everything) == (True, True)
    assert ("Draft" in everything, "Theirs" in everything) == (False, False)
    assert ("Claim" in incoming, "Answer" in incoming) == (True, False)


def test_register_export_as_xlsx(client: Any, org: Any) -> None:
    register_some(org)
    client.force_login(org.owner)

    response = client.get("/documents/register/", {"export": "xlsx", "direction": "outgoing"})

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Register number"
    assert [row[4] for row in rows[1:]] == ["Answer"]
    assert response["Content-Disposition"].startswith('attachment; filename="register-')


def test_register_page_says_what_to_do_when_empty(client: Any, org: Any) -> None:
    client.force_login(org.peer)

    page = client.get("/documents/register/").content.decode()

    assert "Nothing registered here yet." in page
    assert str(choices.Direction.INCOMING.label) in page  # the direction filter


def test_the_search_palette_finds_documents_the_user_may_see(org: Any) -> None:
    mine = f.make_document(
        user=org.owner, record=AccountFactory(owner=org.owner), direction="incoming", title="Claim"
    )
    f.make_document(user=org.other, record=AccountFactory(owner=org.other), title="Claim too")

    hits = [h for h in registry.search(org.owner, mine.register_number) if h.kind == "Document"]
    by_title = [h.title for h in registry.search(org.owner, "claim") if h.kind == "Document"]

    assert [(h.title, h.url) for h in hits] == [("Claim", f"/documents/{mine.pk}/")]
    assert hits[0].subtitle == f"{mine.register_number} · Letter"
    assert by_title == ["Claim"]

"""Generated contract documents: PDF and DOCX through the documents app, stored on the contract,
only for those who may change the contract and see its value."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils.formats import date_format, number_format
from docx import Document as WordDocument
from pypdf import PdfReader

from kam.accounts.models import Account
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.contracts import services
from kam.contracts.errors import ContractError
from kam.contracts.models import Contract
from kam.contracts.tests.factories import ObligationFactory, contract_data
from kam.core.errors import NotFoundError, PermissionDeniedError
from kam.documents.models import Document

pytestmark = pytest.mark.django_db
SECRET = Decimal("98765.43")


@pytest.fixture
def account(org: Any) -> Account:
    return AccountFactory(owner=org.owner, name="Acme", legal_name="Acme Pumps LLC")


@pytest.fixture
def contract(org: Any, account: Account) -> Contract:
    sister = AccountFactory(owner=org.owner, parent=account, name="Acme Sister", legal_name="")
    signer = ContactFactory(account=account, first_name="Anna", last_name="Orlova")
    contract = services.contract_create(
        user=org.owner,
        data=contract_data(
            account,
            number="K-77",
            title="Pump supply",
            value=SECRET,
            other_accounts=[sister],
            client_signatories=[signer],
            our_signatory=org.owner,
        ),
    )
    ObligationFactory(
        contract=contract,
        side="ours",
        description="Deliver 40 pumps",
        due_date=datetime.date(2026, 5, 15),
    )
    ObligationFactory(contract=contract, side="client", description="Pay within 30 days")
    return contract


def _file(document: Document) -> bytes:
    assert document.current_version is not None
    with document.current_version.file.open("rb") as handle:
        return handle.read()


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _docx_text(data: bytes) -> str:
    word = WordDocument(io.BytesIO(data))
    return "\n".join(p.text for p in word.paragraphs)


def _documents(contract: Contract) -> list[Document]:
    return list(
        Document.objects.filter(
            content_type=ContentType.objects.get_for_model(Contract), object_id=contract.pk
        )
    )


def _expected() -> list[str]:
    return [
        "K-77",
        "Pump supply",
        "Acme Pumps LLC",
        "Acme Sister",
        "Anna Orlova",
        date_format(datetime.date(2026, 1, 1), "SHORT_DATE_FORMAT"),
        date_format(datetime.date(2026, 12, 31), "SHORT_DATE_FORMAT"),
        "Deliver 40 pumps",
        date_format(datetime.date(2026, 5, 15), "SHORT_DATE_FORMAT"),
        "Pay within 30 days",
        number_format(SECRET, 2, force_grouping=True),
    ]


def test_a_generated_pdf_holds_the_number_parties_dates_obligations_and_value(
    org: Any, contract: Contract
) -> None:
    document = services.contract_generate_document(user=org.owner, contract=contract, fmt="pdf")

    text = _pdf_text(_file(document))
    assert [part for part in _expected() if part not in text] == []
    assert (document.kind, document.template_key, document.number) == (
        "contract",
        "contract",
        "K-77",
    )
    assert document.title == "K-77 Pump supply"
    assert _documents(contract) == [document]


def test_a_generated_docx_holds_the_number_parties_dates_obligations_and_value(
    org: Any, contract: Contract
) -> None:
    document = services.contract_generate_document(user=org.lead, contract=contract, fmt="docx")

    text = _docx_text(_file(document))
    assert [part for part in _expected() if part not in text] == []
    assert document.current_version is not None
    assert document.current_version.filename == "contract-k-77.docx"


def test_generating_again_adds_a_version_of_the_same_document(org: Any, contract: Contract) -> None:
    first = services.contract_generate_document(user=org.owner, contract=contract, fmt="pdf")
    second = services.contract_generate_document(user=org.owner, contract=contract, fmt="pdf")

    assert second.pk == first.pk
    assert second.current_version is not None
    assert second.current_version.number == 2


def test_generating_is_refused_to_who_may_change_but_not_see_the_value(org: Any) -> None:
    mine = AccountFactory(owner=org.marketing, name="Marketing's")
    contract = Contract.objects.create(
        number="K-78",
        kind="supply",
        title="Flyers",
        account=mine,
        owner=org.marketing,
        start_date=datetime.date(2026, 1, 1),
        value=SECRET,
    )

    with pytest.raises(PermissionDeniedError):
        services.contract_generate_document(user=org.marketing, contract=contract, fmt="pdf")

    assert _documents(contract) == []


@pytest.mark.parametrize(
    ("role", "error"),
    [
        ("peer", NotFoundError),
        ("kam", NotFoundError),
        ("staff", NotFoundError),
        ("auditor", PermissionDeniedError),
    ],
)
def test_generating_is_refused_to_who_may_not_change_the_contract(
    org: Any, contract: Contract, role: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        services.contract_generate_document(user=getattr(org, role), contract=contract, fmt="pdf")

    assert _documents(contract) == []


def test_an_unknown_format_is_refused(org: Any, contract: Contract) -> None:
    with pytest.raises(ContractError) as refused:
        services.contract_generate_document(user=org.owner, contract=contract, fmt="odt")

    assert refused.value.fields == {"fmt": ["Choose PDF or DOCX."]}
    assert _documents(contract) == []


# --- The buttons on the contract page ----------------------------------------------------------


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_buttons_generate_and_open_the_document(org: Any, contract: Contract) -> None:
    client = _client(org.owner)

    page = client.get(f"/contracts/{contract.pk}/").content.decode()
    response = client.post(f"/contracts/{contract.pk}/generate/", {"fmt": "docx"})

    [document] = _documents(contract)
    assert "Generate PDF" in page
    assert "Generate DOCX" in page
    assert response.status_code == 302
    assert response["Location"] == f"/documents/{document.pk}/"
    assert client.get(response["Location"]).status_code == 200


def test_a_bad_format_from_the_page_generates_nothing(org: Any, contract: Contract) -> None:
    response = _client(org.owner).post(f"/contracts/{contract.pk}/generate/", {"fmt": "exe"})

    assert response.status_code == 302
    assert response["Location"] == f"/contracts/{contract.pk}/"
    assert _documents(contract) == []


@pytest.mark.parametrize(("role", "status"), [("peer", 404), ("auditor", 302), ("anonymous", 302)])
def test_the_page_refuses_generation_to_those_who_may_not(
    org: Any, contract: Contract, role: str, status: int
) -> None:
    client = Client() if role == "anonymous" else _client(getattr(org, role))

    response = client.post(f"/contracts/{contract.pk}/generate/", {"fmt": "pdf"})

    assert response.status_code == status
    assert str(SECRET) not in response.content.decode()
    assert _documents(contract) == []
    if role == "auditor":
        page = client.get(f"/contracts/{contract.pk}/").content.decode()
        assert "Generate PDF" not in page


def test_the_buttons_are_hidden_from_who_may_not_see_the_value(org: Any) -> None:
    mine = AccountFactory(owner=org.marketing, name="Marketing's")
    contract = Contract.objects.create(
        number="K-79",
        kind="supply",
        title="Flyers",
        account=mine,
        owner=org.marketing,
        start_date=datetime.date(2026, 1, 1),
        value=SECRET,
    )
    client = _client(org.marketing)

    page = client.get(f"/contracts/{contract.pk}/").content.decode()
    client.post(f"/contracts/{contract.pk}/generate/", {"fmt": "pdf"})

    assert "Generate PDF" not in page
    assert str(SECRET) not in page
    assert _documents(contract) == []


def test_the_contract_page_lists_its_documents_in_the_documents_panel(
    org: Any, contract: Contract
) -> None:
    generated = services.contract_generate_document(user=org.owner, contract=contract, fmt="pdf")
    owner, other = Client(), Client()
    owner.force_login(org.owner)
    other.force_login(org.other)

    page = owner.get(f"/contracts/{contract.pk}/").content.decode()
    panel = owner.get(f"/documents/panel/contract/{contract.pk}/")
    refused = other.get(f"/documents/panel/contract/{contract.pk}/")

    assert f"/documents/panel/contract/{contract.pk}/" in page
    assert generated.title in panel.content.decode()
    assert f"/documents/{generated.pk}/" in panel.content.decode()
    assert refused.status_code == 404
    assert generated.title not in refused.content.decode()

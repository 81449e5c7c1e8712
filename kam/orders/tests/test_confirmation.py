"""Order confirmations: generated on confirmation and on demand, read back with pypdf and
python-docx (docs/orders.md, "Order confirmations")."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from docx import Document as WordDocument
from pypdf import PdfReader

from kam.accounts.models import Account
from kam.accounts.tests.factories import AccountFactory
from kam.documents.models import Document
from kam.orders import confirmations, services
from kam.orders.choices import OrderStatus
from kam.orders.models import Order
from kam.orders.tasks import generate_order_confirmation_task
from kam.orders.tests.factories import ProductFactory, make_order

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)
ROLES = ["owner", "lead", "peer", "other", "kam", "sales_head", "auditor", "admin", "staff"]
CHANGES = {"owner", "lead", "sales_head", "admin"}
SEES = CHANGES | {"auditor"}


@pytest.fixture(autouse=True)
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def account(org: Any) -> Account:
    return AccountFactory(owner=org.owner, name="Acme Industrie")


@pytest.fixture
def order(org: Any, account: Account) -> Order:
    pump = ProductFactory(sku="PMP-0001", name="Centrifugal pump", list_price=Decimal("1249.00"))
    seal = ProductFactory(sku="SEA-0007", name="Mechanical seal", list_price=Decimal("37.50"))
    return make_order(user=org.owner, account=account, products=[(pump, "2"), (seal, "4")])


def _bytes(document: Document) -> bytes:
    with document.current_version.file.open("rb") as handle:
        return handle.read()


def _pdf_text(data: bytes) -> str:
    """The PDF's text with line breaks (a long cell wraps) read as spaces."""
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages
    )


def _docx_text(data: bytes) -> str:
    word = WordDocument(io.BytesIO(data))
    cells = [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in word.paragraphs] + cells)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_confirming_generates_the_pdf_on_the_order(
    org: Any, order: Order, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.order_transition(user=org.owner, order=order, to=OrderStatus.CONFIRMED)

    (document,) = confirmations.order_confirmations(order=order)
    assert document.record == order
    assert document.title == f"Order confirmation {order.number}"
    assert document.current_version.filename.endswith(".pdf")
    text = _pdf_text(_bytes(document))
    assert order.number in text
    assert "PMP-0001 Centrifugal pump" in text
    assert "SEA-0007 Mechanical seal" in text
    assert "2,648.00" in text  # 2 x 1,249.00 + 4 x 37.50, net
    assert "Acme Industrie" in text


def test_the_task_runs_once_per_confirmation(
    org: Any, order: Order, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.order_transition(user=org.owner, order=order, to=OrderStatus.CONFIRMED)

    again = generate_order_confirmation_task(order.pk, org.owner.pk)

    assert again is None
    (document,) = confirmations.order_confirmations(order=order)
    assert document.versions.count() == 1


def test_a_received_order_gets_no_confirmation_from_the_task(org: Any, order: Order) -> None:
    assert generate_order_confirmation_task(order.pk, org.owner.pk) is None
    assert list(confirmations.order_confirmations(order=order)) == []


def test_docx_on_request_has_number_lines_and_total(org: Any, order: Order) -> None:
    document = confirmations.order_confirmation_generate(user=org.owner, order=order, fmt="docx")

    text = _docx_text(_bytes(document))
    assert document.current_version.filename.endswith(".docx")
    assert order.number in text
    assert "PMP-0001 Centrifugal pump" in text
    assert "SEA-0007 Mechanical seal" in text
    assert "1,249.00" in text
    assert "2,648.00" in text


def test_the_seller_is_our_company_as_configured(org: Any, order: Order, settings: Any) -> None:
    settings.KAM_COMPANY_NAME = "Nordpumpen GmbH"
    settings.KAM_COMPANY_ADDRESS = "Hafenstrasse 5, Hamburg"
    settings.KAM_COMPANY_DETAILS = "VAT DE123456789"

    document = confirmations.order_confirmation_generate(user=org.owner, order=order, fmt="docx")

    text = _docx_text(_bytes(document))
    assert "Nordpumpen GmbH" in text
    assert "Hafenstrasse 5, Hamburg" in text
    assert "VAT DE123456789" in text


def test_generating_again_adds_a_version(org: Any, order: Order) -> None:
    first = confirmations.order_confirmation_generate(user=org.owner, order=order)
    second = confirmations.order_confirmation_generate(user=org.owner, order=order, fmt="docx")

    assert second.pk == first.pk
    assert [v.number for v in second.versions.order_by("-number")] == [2, 1]


# --- the API ----------------------------------------------------------------------------------


def test_api_generates_on_request(org: Any, order: Order, api_as: Any) -> None:
    response = api_as(org.owner).post(
        f"/api/v1/orders/{order.pk}/confirmation/", {"fmt": "docx"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    document = Document.objects.get(pk=body["document"])
    assert body["version"] == 1
    assert body["filename"] == f"order-confirmation-{order.number.lower()}.docx"
    assert body["download_url"] == f"/documents/{document.pk}/versions/1/download/"
    assert order.number in _docx_text(_bytes(document))


def test_api_refuses_an_unknown_format(org: Any, order: Order, api_as: Any) -> None:
    response = api_as(org.owner).post(f"/api/v1/orders/{order.pk}/confirmation/", {"fmt": "odt"})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["fmt"]
    assert Document.objects.count() == 0


@pytest.mark.parametrize("who", ROLES)
def test_api_access_matrix(org: Any, order: Order, api_as: Any, who: str) -> None:
    response = api_as(getattr(org, who)).post(f"/api/v1/orders/{order.pk}/confirmation/", {})

    expected = 201 if who in CHANGES else 403 if who in SEES else 404
    assert response.status_code == expected
    assert Document.objects.count() == (1 if who in CHANGES else 0)


def test_api_anonymous(order: Order, api: Any) -> None:
    assert api.post(f"/api/v1/orders/{order.pk}/confirmation/", {}).status_code in (401, 403)
    assert Document.objects.count() == 0


# --- the order page ---------------------------------------------------------------------------


def test_order_page_loads_the_confirmations_fragment(org: Any, order: Order) -> None:
    page = _client(org.owner).get(f"/orders/{order.pk}/").content.decode()

    assert f'hx-get="/orders/{order.pk}/confirmations/"' in page


def test_button_generates_and_lists_it(org: Any, order: Order) -> None:
    client = _client(org.owner)
    assert (
        "None generated yet." in client.get(f"/orders/{order.pk}/confirmations/").content.decode()
    )

    response = client.post(
        f"/orders/{order.pk}/confirmations/", {"fmt": "pdf"}, HTTP_HX_REQUEST="true"
    )

    document = Document.objects.get()
    text = response.content.decode()
    assert f"Order confirmation {order.number}" in text
    assert f"/documents/{document.pk}/versions/1/download/" in text
    assert order.number in _pdf_text(_bytes(document))


def test_button_refuses_an_unknown_format(org: Any, order: Order) -> None:
    response = _client(org.owner).post(
        f"/orders/{order.pk}/confirmations/", {"fmt": "exe"}, HTTP_HX_REQUEST="true"
    )

    assert "Choose docx or pdf." in response.content.decode()
    assert Document.objects.count() == 0


@pytest.mark.parametrize("who", ROLES)
def test_page_access_matrix(org: Any, order: Order, who: str) -> None:
    client = _client(getattr(org, who))

    listed = client.get(f"/orders/{order.pk}/confirmations/")
    posted = client.post(f"/orders/{order.pk}/confirmations/", {"fmt": "pdf"})

    if who in CHANGES:
        assert listed.status_code == 200
        assert "Generate PDF" in listed.content.decode()
        assert posted.status_code == 302
        assert Document.objects.count() == 1
    elif who in SEES:
        assert listed.status_code == 200
        assert "Generate PDF" not in listed.content.decode()
        assert posted.status_code == 403
        assert Document.objects.count() == 0
    else:
        assert (listed.status_code, posted.status_code) == (404, 404)
        assert order.number not in listed.content.decode()
        assert Document.objects.count() == 0

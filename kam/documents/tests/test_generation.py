"""Generated documents: DOCX from templates, PDF from core.pdf, stored as versions."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from docx import Document as WordDocument
from pypdf import PdfReader

from kam.accounts.tests.factories import AccountFactory
from kam.core.errors import NotFoundError, PermissionDeniedError
from kam.documents import choices, services
from kam.documents.errors import TemplateError
from kam.documents.generation import SPECS, default_template_path
from kam.documents.models import Document, DocumentTemplate
from kam.documents.tests import factories as f

pytestmark = pytest.mark.django_db

CONTEXT: dict[str, Any] = {
    "number": "Q-2026-0042",
    "date": date(2026, 11, 28),
    "valid_until": date(2026, 12, 28),
    "currency": "EUR",
    "seller": {"name": "KAM Supplies GmbH", "address": "1 Main Street"},
    "client": {"name": "Acme & Sons <AG>", "address": "5 Market Square", "contact": "Anna Berg"},
    "lines": [
        {
            "description": "Pump P-100",
            "quantity": Decimal("2"),
            "unit": "pcs",
            "unit_price": Decimal("1250.00"),
            "amount": Decimal("2500.00"),
        },
        {
            "description": "Насос Н-7",
            "quantity": Decimal("1"),
            "unit": "pcs",
            "unit_price": Decimal("990.50"),
            "amount": Decimal("990.50"),
        },
    ],
    "total": Decimal("3490.50"),
    "notes": "Prices exclude VAT.",
}


def read_file(document: Document) -> bytes:
    assert document.current_version is not None
    with document.current_version.file.open("rb") as handle:
        return handle.read()


def docx_text(data: bytes) -> str:
    word = WordDocument(io.BytesIO(data))
    paragraphs = [p.text for p in word.paragraphs]
    cells = [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    return "\n".join(paragraphs + cells)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_quote_renders_as_docx_from_the_shipped_template(org: Any) -> None:
    account = AccountFactory(owner=org.owner)

    document = services.document_generate(
        record=account,
        kind=choices.Kind.OTHER,
        template="quote",
        context=CONTEXT,
        fmt="docx",
        actor=org.owner,
    )

    assert (document.title, document.number, document.date) == (
        "Quote Q-2026-0042",
        "Q-2026-0042",
        date(2026, 11, 28),
    )
    assert document.template_key == "quote"
    assert document.current_version is not None
    assert document.current_version.filename == "quote-q-2026-0042.docx"
    text = docx_text(read_file(document))
    assert "Quote Q-2026-0042" in text
    assert "Client: Acme & Sons <AG>, 5 Market Square Anna Berg" in text
    assert "Valid until: 12/28/2026" in text
    assert "Total: 3,490.50 EUR" in text
    assert {"Pump P-100", "Насос Н-7", "2,500.00", "990.50"} <= set(text.split("\n"))
    assert "{{" not in text
    assert "{%" not in text


def test_a_contract_renders_as_pdf_with_its_clauses(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    context = {
        **CONTEXT,
        "number": "C-7",
        "subject": "Supply of pumps",
        "clauses": [{"title": "Payment", "text": "Within 30 days of the invoice."}],
    }

    document = services.document_generate(
        record=account,
        kind=choices.Kind.CONTRACT,
        template="contract",
        context=context,
        fmt="pdf",
        actor=org.owner,
    )

    assert document.current_version is not None
    assert document.current_version.content_type == "application/pdf"
    text = pdf_text(read_file(document))
    for expected in (
        "Contract C-7",
        "Supply of pumps",
        "Acme & Sons <AG>",
        "Pump P-100",
        "Насос Н-7",
        "3,490.50",
        "Within 30 days of the invoice.",
    ):
        assert expected in text


def test_generating_again_stores_the_next_version_of_the_same_document(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    first = services.document_generate(
        record=account,
        kind=choices.Kind.OTHER,
        template="order_confirmation",
        context=CONTEXT,
        fmt="pdf",
        actor=org.owner,
    )

    again = services.document_generate(
        record=account,
        kind=choices.Kind.OTHER,
        template="order_confirmation",
        context={**CONTEXT, "delivery_date": date(2026, 12, 20)},
        fmt="docx",
        actor=org.owner,
    )

    assert again.pk == first.pk
    assert [v.number for v in again.versions.all()] == [2, 1]
    assert "Delivery: 12/20/2026" in docx_text(read_file(again))


def test_who_may_not_change_the_record_cannot_generate(org: Any) -> None:
    account = AccountFactory(owner=org.owner)

    with pytest.raises(NotFoundError):
        services.document_generate(
            record=account, kind="other", template="quote", context={}, fmt="pdf", actor=org.other
        )
    with pytest.raises(PermissionDeniedError):
        services.document_generate(
            record=account, kind="other", template="quote", context={}, fmt="pdf", actor=org.auditor
        )

    assert Document.all_objects.count() == 0


def test_unknown_template_and_format_are_refused(org: Any) -> None:
    account = AccountFactory(owner=org.owner)

    with pytest.raises(TemplateError) as template:
        services.document_generate(
            record=account, kind="other", template="memo", context={}, fmt="pdf", actor=org.owner
        )
    with pytest.raises(TemplateError) as fmt:
        services.document_generate(
            record=account, kind="other", template="quote", context={}, fmt="odt", actor=org.owner
        )

    assert template.value.fields == {"template": ["Unknown template."]}
    assert fmt.value.fields == {"fmt": ["Choose docx or pdf."]}


def word_template(*paragraphs: str) -> bytes:
    word = WordDocument()
    for text in paragraphs:
        word.add_paragraph(text)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def test_an_admin_template_replaces_the_shipped_one(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    custom = word_template("OUR OWN QUOTE {{ number }} for {{ client.name }}")

    services.template_upload(user=org.admin, key="quote", upload=custom, filename="mine.docx")
    document = services.document_generate(
        record=account, kind="other", template="quote", context=CONTEXT, fmt="docx", actor=org.owner
    )

    assert docx_text(read_file(document)) == "OUR OWN QUOTE Q-2026-0042 for Acme & Sons <AG>"
    services.template_reset(user=org.admin, key="quote")
    assert DocumentTemplate.objects.count() == 0


@pytest.mark.parametrize(
    ("paragraph", "reason"),
    [
        ("Dear {{ customer_name }}", "'customer_name' is undefined"),
        (
            "{{ number.__class__.__mro__ }}",
            "access to attribute '__class__' of 'str' object is unsafe.",
        ),
        ("{% for x in lines %}unclosed", "Unexpected end of template."),
    ],
    ids=["unknown-placeholder", "sandbox-escape", "syntax"],
)
def test_a_template_that_does_not_render_with_the_sample_is_refused(
    org: Any, paragraph: str, reason: str
) -> None:
    with pytest.raises(TemplateError) as refused:
        services.template_upload(
            user=org.admin, key="quote", upload=word_template(paragraph), filename="bad.docx"
        )

    assert reason in refused.value.fields["file"][0]
    assert DocumentTemplate.objects.count() == 0


def test_only_admins_upload_templates_and_only_docx(org: Any) -> None:
    with pytest.raises(PermissionDeniedError):
        services.template_upload(
            user=org.sales_head, key="quote", upload=word_template("x"), filename="t.docx"
        )
    with pytest.raises(TemplateError) as not_docx:
        services.template_upload(user=org.admin, key="quote", upload=f.PDF, filename="t.pdf")

    assert not_docx.value.fields == {"file": ["A template must be a Word (DOCX) file."]}
    assert DocumentTemplate.objects.count() == 0


def test_the_shipped_templates_render_their_samples() -> None:
    from kam.documents.generation import check_template

    for key, spec in SPECS.items():
        check_template(key=spec.key, content=default_template_path(spec.key).read_bytes())
        assert key in choices.TemplateKey.values


def test_the_build_command_writes_templates_that_render(tmp_path: Any) -> None:
    from django.core.management import call_command

    from kam.documents.generation import render_docx

    call_command("documents_build_templates", out=str(tmp_path), stdout=io.StringIO())

    written = sorted(path.name for path in tmp_path.iterdir())
    assert written == ["contract.docx", "order_confirmation.docx", "quote.docx"]
    text = docx_text(render_docx(source=(tmp_path / "contract.docx").read_bytes(), context=CONTEXT))
    assert "Contract Q-2026-0042" in text
    assert "Seller: KAM Supplies GmbH, 1 Main Street" in text

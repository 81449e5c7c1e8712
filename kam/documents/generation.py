"""Generated documents: a quote, a contract, an order confirmation rendered from a plain dict.

DOCX comes from a .docx template (docxtpl: Jinja placeholders in a Word file) shipped under
`templates_docx/` (regenerate them with `kam documents_build_templates`) or uploaded by an
administrator; it renders in a sandboxed, auto-escaping Jinja environment, so neither a
template nor a value can run code or break the document's XML. PDF is laid out with
`core.pdf` from the same context.

The context every template understands (values may be str, int, Decimal or date):

    number, date, title, currency, total, notes,
    seller: {name, address, details}, client: {name, address, contact},
    lines: [{description, quantity, unit, unit_price, amount}],
    quote: valid_until; contract: subject, starts_on, ends_on, clauses: [{title, text}];
    order_confirmation: delivery_date, delivery_address
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import formats
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, Undefined
from jinja2 import TemplateError as JinjaTemplateError
from jinja2.sandbox import SandboxedEnvironment

from kam.core.pdf import Block, Facts, Table, Text, render_blocks
from kam.documents.choices import TemplateKey
from kam.documents.errors import TemplateError

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates_docx"
LINE_FIELDS = ("description", "quantity", "unit", "unit_price", "amount")

SAMPLE_PARTIES: dict[str, Any] = {
    "seller": {"name": "KAM Supplies GmbH", "address": "1 Main Street, Berlin", "details": ""},
    "client": {"name": "Acme AG", "address": "5 Market Square, Munich", "contact": "Anna Berg"},
}
SAMPLE_LINES = [
    {
        "description": "Industrial pump P-100",
        "quantity": Decimal("2"),
        "unit": "pcs",
        "unit_price": Decimal("1250.00"),
        "amount": Decimal("2500.00"),
    }
]


@dataclass(frozen=True)
class TemplateSpec:
    key: TemplateKey
    heading: StrOrPromise  # the document's heading, before its number
    facts: tuple[tuple[str, StrOrPromise], ...]  # (context key, label) in the header block
    sample: Mapping[str, Any]


def _sample(**extra: Any) -> dict[str, Any]:
    return {
        "number": "2026-0001",
        "date": date(2026, 11, 28),
        "title": "",
        "currency": "EUR",
        "total": Decimal("2500.00"),
        "notes": "Prices exclude VAT.",
        "lines": SAMPLE_LINES,
        **SAMPLE_PARTIES,
        **extra,
    }


SPECS: dict[str, TemplateSpec] = {
    TemplateKey.QUOTE: TemplateSpec(
        TemplateKey.QUOTE,
        gettext_lazy("Quote"),
        (("date", gettext_lazy("Date")), ("valid_until", gettext_lazy("Valid until"))),
        _sample(valid_until=date(2026, 12, 28)),
    ),
    TemplateKey.CONTRACT: TemplateSpec(
        TemplateKey.CONTRACT,
        gettext_lazy("Contract"),
        (
            ("date", gettext_lazy("Date")),
            ("subject", gettext_lazy("Subject")),
            ("starts_on", gettext_lazy("From")),
            ("ends_on", gettext_lazy("Until")),
        ),
        _sample(
            subject="Supply of pumps",
            starts_on=date(2027, 1, 1),
            ends_on=date(2027, 12, 31),
            clauses=[{"title": "Payment", "text": "Within 30 days of the invoice."}],
        ),
    ),
    TemplateKey.ORDER_CONFIRMATION: TemplateSpec(
        TemplateKey.ORDER_CONFIRMATION,
        gettext_lazy("Order confirmation"),
        (
            ("date", gettext_lazy("Date")),
            ("delivery_date", gettext_lazy("Delivery")),
            ("delivery_address", gettext_lazy("Deliver to")),
        ),
        _sample(delivery_date=date(2026, 12, 15), delivery_address="5 Market Square, Munich"),
    ),
}


def plain(value: Any) -> Any:
    """Values as the document shows them: amounts with two decimals, dates in the locale."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        places = 2 if value != value.to_integral_value() or abs(value) >= 100 else 0
        return formats.number_format(value, places, force_grouping=True)
    if isinstance(value, datetime | date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if value is None:
        return ""
    return value


def context_date(context: Mapping[str, Any]) -> date | None:
    value = context.get("date")
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def title_for(*, key: TemplateKey, context: Mapping[str, Any]) -> str:
    if context.get("title"):
        return str(context["title"])[:255]
    number = context.get("number")
    heading = str(TemplateKey(key).label)
    return f"{heading} {number}" if number else heading


def filename_for(*, key: TemplateKey, context: Mapping[str, Any], fmt: str) -> str:
    number = slugify(str(context.get("number", ""))) or "draft"
    return f"{key.replace('_', '-')}-{number}.{fmt}"


def default_template_path(key: TemplateKey) -> Path:
    return TEMPLATE_DIR / f"{key}.docx"


def render(
    *, key: TemplateKey, context: Mapping[str, Any], fmt: str, custom: bytes | None
) -> bytes:
    if fmt == "pdf":
        return render_pdf(key=key, context=context)
    source = custom if custom is not None else default_template_path(key).read_bytes()
    return render_docx(source=source, context=context)


def _environment(undefined: type[Undefined]) -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True, undefined=undefined)


def render_docx(
    *, source: bytes, context: Mapping[str, Any], undefined: type[Undefined] = Undefined
) -> bytes:
    """The DOCX template `source` rendered with `context` (sandboxed, values escaped)."""
    try:
        template = DocxTemplate(io.BytesIO(source))
        template.render(plain(context), jinja_env=_environment(undefined), autoescape=True)
        out = io.BytesIO()
        template.save(out)
    except JinjaTemplateError as error:
        raise TemplateError(
            _("The template could not be rendered: %(error)s") % {"error": error},
            fields={"file": [str(error)]},
        ) from None
    except Exception as error:  # a broken Word file fails deep inside python-docx / lxml
        raise TemplateError(
            _("The template is not a usable Word document."),
            fields={"file": [type(error).__name__]},
        ) from None
    return out.getvalue()


def check_template(*, key: TemplateKey, content: bytes) -> None:
    """An uploaded template must render with the sample context, every placeholder known."""
    render_docx(source=content, context=SPECS[key].sample, undefined=StrictUndefined)


def render_pdf(*, key: TemplateKey, context: Mapping[str, Any]) -> bytes:
    spec = SPECS[key]
    values = plain(context)
    number = values.get("number", "")
    title = f"{spec.heading} {number}".strip()
    sections: list[tuple[str, Sequence[Block]]] = [("", [_facts(spec, values)])]
    sections.append((_("Parties"), [_parties(values)]))
    if values.get("lines"):
        sections.append((_("Items"), [_lines(values)]))
    for clause in values.get("clauses") or []:
        sections.append((str(clause.get("title", "")), [Text(str(clause.get("text", "")))]))
    if values.get("notes"):
        sections.append((_("Notes"), [Text(str(values["notes"]))]))
    footer = f"{spec.heading} {number}".strip()
    return render_blocks(title=title, sections=sections, footer_note=footer)


def _facts(spec: TemplateSpec, values: Mapping[str, Any]) -> Facts:
    rows = [(str(label), str(values.get(name, ""))) for name, label in spec.facts]
    return Facts(rows=[(label, value) for label, value in rows if value])


def _party(party: Any) -> str:
    if not isinstance(party, Mapping):
        return str(party or "")
    return "\n".join(str(v) for v in party.values() if v)


def _parties(values: Mapping[str, Any]) -> Facts:
    rows = [
        (_("Seller"), _party(values.get("seller"))),
        (_("Client"), _party(values.get("client"))),
    ]
    return Facts(rows=[(label, value) for label, value in rows if value])


def _lines(values: Mapping[str, Any]) -> Table:
    currency = str(values.get("currency", ""))
    columns = [_("Description"), _("Quantity"), _("Unit"), _("Price"), _("Amount")]
    columns[3:] = [f"{column} {currency}" for column in columns[3:]]
    rows = [[str(line.get(name, "")) for name in LINE_FIELDS] for line in values["lines"]]
    rows.append([_("Total"), "", "", "", str(values.get("total", ""))])
    return Table(columns=[c.strip() for c in columns], rows=rows)


def our_company() -> dict[str, str]:
    """The seller block of generated documents: our company as configured (KAM_COMPANY_*)."""
    return {
        "name": settings.KAM_COMPANY_NAME,
        "address": settings.KAM_COMPANY_ADDRESS,
        "details": settings.KAM_COMPANY_DETAILS,
    }

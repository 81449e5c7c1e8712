"""`kam documents_build_templates`: write the shipped DOCX templates (quote, contract, order
confirmation) under kam/documents/templates_docx/ with python-docx, so they can be regenerated
and reviewed as code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from docx import Document as WordDocument
from docx.shared import Pt

from kam.documents.choices import TemplateKey
from kam.documents.generation import SPECS, TEMPLATE_DIR, TemplateSpec

LINE_HEADERS = ("Description", "Quantity", "Unit", "Price", "Amount")
LINE_CELLS = (
    "{{ line.description }}",
    "{{ line.quantity }}",
    "{{ line.unit }}",
    "{{ line.unit_price }}",
    "{{ line.amount }}",
)


def build(spec: TemplateSpec, path: Path) -> None:
    word = WordDocument()
    word.styles["Normal"].font.name = "DejaVu Sans"
    word.styles["Normal"].font.size = Pt(10)
    word.add_heading(f"{spec.heading} {{{{ number }}}}", level=1)
    for name, label in spec.facts:
        word.add_paragraph(f"{label}: {{{{ {name} }}}}")
    word.add_heading("Parties", level=2)
    word.add_paragraph("Seller: {{ seller.name }}, {{ seller.address }} {{ seller.details }}")
    word.add_paragraph("Client: {{ client.name }}, {{ client.address }} {{ client.contact }}")
    word.add_heading("Items", level=2)
    _lines_table(word)
    word.add_paragraph("Total: {{ total }} {{ currency }}")
    if spec.key == TemplateKey.CONTRACT:
        word.add_heading("Terms", level=2)
        word.add_paragraph("{%p for clause in clauses %}")
        word.add_paragraph("{{ loop.index }}. {{ clause.title }}")
        word.add_paragraph("{{ clause.text }}")
        word.add_paragraph("{%p endfor %}")
    word.add_paragraph("{{ notes }}")
    word.core_properties.title = spec.heading
    word.core_properties.author = "KAM"
    word.save(str(path))


def _lines_table(word: Any) -> None:
    table = word.add_table(rows=4, cols=len(LINE_HEADERS))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, LINE_HEADERS, strict=True):
        cell.text = header
    table.rows[1].cells[0].text = "{%tr for line in lines %}"
    for cell, value in zip(table.rows[2].cells, LINE_CELLS, strict=True):
        cell.text = value
    table.rows[3].cells[0].text = "{%tr endfor %}"


class Command(BaseCommand):
    help = "Write the shipped DOCX templates of generated documents (quote, contract, order)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", default=str(TEMPLATE_DIR), help="Directory to write to.")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        for key, spec in SPECS.items():
            path = out / f"{key}.docx"
            build(spec, path)
            self.stdout.write(f"{path}")

"""PDF rendering shared by every app that prints: the meeting brief, generated documents,
contracts and orders.

A document is a title and a list of plain blocks (facts, tables, text, sub-headings) under
headed sections; `BlocksPDF` lays them out on A4 in DejaVu Sans, shipped with KAM under
`core/static/core/fonts`, so Cyrillic and other non-Latin names render without system fonts.

    pdf = BlocksPDF(title="Quote Q-1", footer_note="Prepared 28.11.2026")
    pdf.section("Lines")
    pdf.block(Table(columns=["Product", "Qty"], rows=[["Widget", "3"]]))
    data = pdf_bytes(pdf)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

FONT_DIR = Path(__file__).resolve().parent / "static" / "core" / "fonts"


@dataclass(frozen=True)
class Facts:
    """Label / value pairs (empty values are left out by the builders)."""

    rows: Sequence[tuple[str, str]]
    kind: ClassVar[str] = "facts"


@dataclass(frozen=True)
class Table:
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    kind: ClassVar[str] = "table"


@dataclass(frozen=True)
class Text:
    text: str
    kind: ClassVar[str] = "text"


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside a section (a deal's title above its needs and objections)."""

    text: str
    kind: ClassVar[str] = "heading"


Block = Facts | Table | Text | Heading


class BlocksPDF(FPDF):
    """An A4 document of headed sections made of blocks, in DejaVu Sans."""

    FONT = "DejaVu"

    def __init__(self, *, title: str, footer_note: str = "") -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc_title = title
        self.footer_note = footer_note
        self.add_font(self.FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(self.FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_title(title)
        self.set_creator("KAM")
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)
        self.add_page()
        self.set_font(self.FONT, "B", 15)
        self.multi_cell(0, 8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.FONT, "", 7)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.footer_note}   {self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0)

    def section(self, title: str) -> None:
        self.ln(3)
        self.set_font(self.FONT, "B", 12)
        self.set_fill_color(232, 238, 246)
        self.multi_cell(0, 7, title, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_fill_color(255, 255, 255)
        self.ln(1)

    def block(self, block: Block) -> None:
        if isinstance(block, Heading):
            self.ln(1)
            self.set_font(self.FONT, "B", 10)
            self.multi_cell(0, 6, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif isinstance(block, Text):
            self.set_font(self.FONT, "", 9)
            self.multi_cell(0, 5, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif isinstance(block, Facts):
            self._table([[label, value] for label, value in block.rows], None, (1, 3))
        else:
            self._table([list(row) for row in block.rows], list(block.columns), None)
        self.ln(1)

    def _table(
        self, rows: list[list[str]], columns: list[str] | None, widths: tuple[int, ...] | None
    ) -> None:
        if not rows:
            return
        self.set_font(self.FONT, "", 8.5)
        with self.table(
            col_widths=widths,
            first_row_as_headings=columns is not None,
            borders_layout="HORIZONTAL_LINES" if columns else "NONE",
            line_height=4.6,
            padding=(0.8, 1.2),
            text_align="LEFT",
            headings_style=FontFace(emphasis="BOLD", fill_color=(245, 245, 245)),
        ) as table:
            for row in ([columns] if columns else []) + rows:
                cells = table.row()
                for value in row:
                    cells.cell(value)


def pdf_bytes(pdf: FPDF) -> bytes:
    return bytes(pdf.output())


def render_blocks(
    *, title: str, sections: Sequence[tuple[str, Sequence[Block]]], footer_note: str = ""
) -> bytes:
    """A whole PDF from `(section title, blocks)` pairs; an empty title starts no section."""
    pdf = BlocksPDF(title=title, footer_note=footer_note)
    for section_title, blocks in sections:
        if section_title:
            pdf.section(section_title)
        for block in blocks:
            pdf.block(block)
    return pdf_bytes(pdf)

"""Test files of every accepted (and refused) kind, built in memory, and a document factory
that goes through the services like a user would."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from docx import Document as WordDocument
from openpyxl import Workbook
from PIL import Image

from kam.documents import choices, services
from kam.documents.models import Document

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
TEXT = "Protocol of the meeting\nAgreed: delivery in March.\nПротокол встречи.\n".encode()
CSV = b"sku;qty\nP-100;2\n"
EML = (
    b"From: anna@acme.example\r\nTo: owner@kam.example\r\nSubject: Claim 42\r\n"
    b"Date: Fri, 27 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@acme.example>\r\n\r\nHello.\r\n"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def docx_bytes(text: str = "Signed contract") -> bytes:
    word = WordDocument()
    word.add_paragraph(text)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    book = Workbook()
    book.active.append(["sku", "qty"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    return out.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def docm_bytes() -> bytes:
    """A Word file with macros: the container declares the macro-enabled main part."""
    types = (
        b'<?xml version="1.0"?><Types><Override PartName="/word/document.xml" ContentType='
        b'"application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>'
    )
    return zip_bytes({"[Content_Types].xml": types, "word/document.xml": b"<w/>"})


def odt_bytes() -> bytes:
    return zip_bytes(
        {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"}
    )


def make_document(
    *,
    user: Any,
    record: Any,
    kind: str = choices.Kind.LETTER,
    title: str = "Letter about delivery",
    data: bytes = PDF,
    filename: str = "letter.pdf",
    direction: str = choices.Direction.INTERNAL,
    **extra: Any,
) -> Document:
    return services.document_create(
        user=user,
        record=record,
        kind=kind,
        title=title,
        upload=data,
        filename=filename,
        direction=direction,
        **extra,
    )

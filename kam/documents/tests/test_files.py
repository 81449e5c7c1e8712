"""Uploads are recognised by their content, never by their name."""

from __future__ import annotations

import io

import pytest
from django.test import override_settings

from kam.documents.errors import UploadRefusedError
from kam.documents.files import inspect_upload
from kam.documents.tests import factories as f


def inspect(data: bytes, name: str) -> tuple[str, str, int]:
    result = inspect_upload(stream=io.BytesIO(data), filename=name)
    return result.file_type.mime, result.filename, result.size


@pytest.mark.parametrize(
    ("data", "name", "mime", "stored_name"),
    [
        (f.PDF, "Contract 12.pdf", "application/pdf", "Contract 12.pdf"),
        (
            f.docx_bytes(),
            "offer.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "offer.docx",
        ),
        (
            f.xlsx_bytes(),
            "prices.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "prices.xlsx",
        ),
        (f.odt_bytes(), "memo.odt", "application/vnd.oasis.opendocument.text", "memo.odt"),
        (f.png_bytes(), "scan.PNG", "image/png", "scan.png"),
        (f.TEXT, "protocol.txt", "text/plain", "protocol.txt"),
        (f.CSV, "lines.csv", "text/csv", "lines.csv"),
        (f.EML, "claim.eml", "message/rfc822", "claim.eml"),
        (f.EML, "claim.txt", "text/plain", "claim.txt"),
    ],
    ids=["pdf", "docx", "xlsx", "odt", "png", "text", "csv", "eml", "eml-as-text"],
)
def test_accepted_types_are_recognised_by_content(
    data: bytes, name: str, mime: str, stored_name: str
) -> None:
    assert inspect(data, name) == (mime, stored_name, len(data))


def test_text_is_stored_with_its_encoding() -> None:
    utf8 = inspect_upload(stream=io.BytesIO(f.TEXT), filename="a.txt")
    legacy = inspect_upload(stream=io.BytesIO("Протокол".encode("cp1251")), filename="b.csv")

    assert utf8.content_type == "text/plain; charset=utf-8"
    assert legacy.content_type == "text/csv; charset=windows-1251"


def test_a_name_without_extension_gets_the_one_of_its_content() -> None:
    assert inspect(f.PDF, "scan")[1] == "scan.pdf"


def test_paths_and_control_characters_are_taken_out_of_the_name() -> None:
    assert inspect(f.PDF, "../../etc/pass\x00wd.pdf")[1] == "pass_wd.pdf"
    assert inspect(f.PDF, "C:\\Users\\anna\\Договор №5.pdf")[1] == "Договор №5.pdf"
    assert inspect(f.PDF, "...")[1] == "document.pdf"


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (f.EXE, "invoice.pdf", "it is an executable program."),
        (f.HTML, "invoice.pdf", "it contains HTML, SVG or XML markup."),
        (f.SVG, "logo.png", "it contains HTML, SVG or XML markup."),
        (f.TEXT, "invoice.pdf", "it is named .pdf but its content is plain text."),
        (f.PDF, "invoice.html", "it is named .html but its content is PDF."),
        (f.docm_bytes(), "offer.docx", "Office files with macros are not accepted."),
        (f.zip_bytes({"a.txt": b"x"}), "archive.zip", "ZIP archives are not accepted."),
        (b"#!/bin/sh\nrm -rf /\n", "notes.txt", "it is a script."),
        (b"\x00\x01\x02binary", "data.txt", "its content is not of an accepted type."),
        (b"GIF89a" + b"\x00" * 10, "x.docx", "it is named .docx but its content is GIF."),
    ],
    ids=[
        "exe",
        "html",
        "svg",
        "text-as-pdf",
        "pdf-as-html",
        "docm",
        "zip",
        "script",
        "binary",
        "gif",
    ],
)
def test_refused_content_says_why(data: bytes, name: str, reason: str) -> None:
    with pytest.raises(UploadRefusedError) as refused:
        inspect(data, name)

    assert refused.value.fields == {"file": [reason]}
    assert refused.value.message == f"This file was refused: {reason}"


@override_settings(KAM_UPLOAD_MAX_BYTES=100)
def test_a_file_over_the_limit_is_refused() -> None:
    with pytest.raises(UploadRefusedError) as refused:
        inspect(f.TEXT * 3, "long.txt")

    assert refused.value.fields == {"file": ["The file is too large."]}
    assert refused.value.message == "The file is larger than the 100\xa0bytes allowed."


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(UploadRefusedError) as refused:
        inspect(b"", "empty.pdf")

    assert refused.value.fields == {"file": ["The file is empty."]}

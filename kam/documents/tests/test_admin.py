"""Administrators upload their own DOCX template in the Django admin; a bad one is refused."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document as WordDocument

from kam.documents.models import DocumentTemplate

pytestmark = pytest.mark.django_db
URL = "/admin/documents/documenttemplate/add/"


def word(text: str) -> SimpleUploadedFile:
    document = WordDocument()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return SimpleUploadedFile("quote.docx", out.getvalue())


@pytest.fixture
def admin_client(client: Any, org: Any) -> Any:
    org.admin.is_staff = org.admin.is_superuser = True
    org.admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(org.admin)
    return client


def test_an_admin_uploads_a_template_that_renders(admin_client: Any, org: Any) -> None:
    response = admin_client.post(URL, {"key": "quote", "upload": word("Quote {{ number }}")})

    assert response.status_code == 302
    template = DocumentTemplate.objects.get()
    assert (template.key, template.filename, template.uploaded_by) == (
        "quote",
        "quote.docx",
        org.admin,
    )


def test_a_template_with_an_unknown_placeholder_is_refused(admin_client: Any) -> None:
    response = admin_client.post(URL, {"key": "quote", "upload": word("Dear {{ nobody }}")})

    assert response.status_code == 200
    assert "&#x27;nobody&#x27; is undefined" in response.content.decode()
    assert DocumentTemplate.objects.count() == 0

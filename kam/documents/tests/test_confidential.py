"""Contracts, invoices and the like are confidential: roles without the confidential permission
(service agents, department staff, marketing) never see them, even on records they see."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kam.accounts.models import AccountTeamMember
from kam.accounts.tests.factories import AccountFactory
from kam.documents import selectors
from kam.documents.models import Document
from kam.documents.tests import factories as f

pytestmark = pytest.mark.django_db
URL = "/api/v1/documents/"


@pytest.fixture
def filed(org: Any) -> dict[str, Any]:
    account = AccountFactory(owner=org.owner)
    AccountTeamMember.objects.create(account=account, user=org.service, role="Support")
    contract = f.make_document(user=org.owner, record=account, kind="contract", title="Supply")
    letter = f.make_document(user=org.owner, record=account, kind="letter", title="Hello")
    return {"account": account, "contract": contract, "letter": letter}


def test_a_service_agent_on_the_account_team_sees_the_letter_not_the_contract(
    org: Any, api_as: Any, filed: dict[str, Any]
) -> None:
    client = api_as(org.service)
    by_record = client.get(
        URL, {"content_type": "accounts.account", "object_id": filed["account"].pk}
    )
    everything = client.get(URL)
    detail = client.get(f"{URL}{filed['contract'].pk}/")
    download = client.get(f"{URL}{filed['contract'].pk}/versions/1/download/")

    assert [d["title"] for d in by_record.json()["results"]] == ["Hello"]
    assert [d["title"] for d in everything.json()["results"]] == ["Hello"]
    assert (detail.status_code, download.status_code) == (404, 404)
    assert f.PDF not in download.content
    assert client.get(f"{URL}{filed['letter'].pk}/").status_code == 200


@pytest.mark.parametrize(
    ("who", "titles"),
    [
        ("owner", ["Hello", "Supply"]),
        ("sales_head", ["Hello", "Supply"]),
        ("auditor", ["Hello", "Supply"]),
        ("service", ["Hello"]),
    ],
)
def test_the_record_panel_lists_confidential_kinds_only_for_roles_that_may_read_them(
    org: Any, filed: dict[str, Any], who: str, titles: list[str]
) -> None:
    rows = selectors.record_documents(user=getattr(org, who), record=filed["account"])

    assert sorted(d.title for d in rows) == titles


def test_a_role_without_the_permission_may_not_file_a_contract(
    org: Any, api_as: Any, filed: dict[str, Any]
) -> None:
    response = api_as(org.service).post(
        URL,
        {
            "content_type": "accounts.account",
            "object_id": filed["account"].pk,
            "kind": "invoice",
            "title": "Invoice 7",
            "file": SimpleUploadedFile("i.pdf", f.PDF),
        },
        format="multipart",
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["kind"]
    assert Document.objects.count() == 2

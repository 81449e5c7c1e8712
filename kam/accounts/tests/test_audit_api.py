"""The audit-entries API hides confidential account fields from roles without the permission."""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.models import LogEntry

pytestmark = pytest.mark.django_db


def test_audit_entries_hide_confidential_changes(api_as: Any, org: Any) -> None:
    from kam.accounts.services import account_create

    account = account_create(user=org.owner, data={"name": "Acme", "credit_limit": 100})
    LogEntry.objects.log_create(
        account,
        action=LogEntry.Action.UPDATE,
        actor=org.marketing,
        changes={"credit_limit": ["100", "500"], "name": ["Acme", "Acme 2"]},
    )

    head_sees = (
        api_as(org.sales_head)
        .get("/api/v1/audit-entries/", {"model": "accounts.account", "actor": org.marketing.pk})
        .json()["results"][0]["changes"]
    )
    marketing_sees = api_as(org.marketing).get("/api/v1/audit-entries/").json()["results"]

    assert set(head_sees) == {"credit_limit", "name"}
    assert [entry["changes"] for entry in marketing_sees] == [{"name": ["Acme", "Acme 2"]}]

"""The chat/SMS provider reports whether a message arrived: signed like our requests to it;
`delivered` and `undelivered` move a sent chat message once, anything else changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from kam.accounts.choices import Channel
from kam.outreach import choices
from kam.outreach.models import Delivery
from kam.outreach.tests.delivery_support import make_campaign, make_contact, queue

pytestmark = pytest.mark.django_db
S = choices.DeliveryStatus
SECRET = "chat-secret-for-tests"  # noqa: S105
URL = "/api/v1/chat-reports/"


@pytest.fixture
def sent(org: Any, settings: Any) -> Delivery:
    settings.KAM_CHAT_WEBHOOK_SECRET = SECRET
    campaign = make_campaign(org.owner, channels=[Channel.CHAT])
    contact = make_contact("+4915112345678", channel=Channel.CHAT, first_name="Anna")
    row = queue(campaign, contact, channel=Channel.CHAT)
    Delivery.objects.filter(pk=row.pk).update(status=S.SENT)
    return row


def _post(api: Any, payload: dict[str, Any], secret: str = SECRET) -> Any:
    body = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return api.generic(
        "POST",
        URL,
        body,
        content_type="application/json",
        HTTP_X_KAM_SIGNATURE=f"sha256={digest}",
    )


def test_a_delivered_report_marks_the_message_delivered_once(api: Any, sent: Delivery) -> None:
    first = _post(api, {"reference": sent.token, "status": "delivered"})
    again = _post(api, {"reference": sent.token, "status": "undelivered", "reason": "late"})

    sent.refresh_from_db()
    assert (first.status_code, first.json()) == (200, {"changed": True})
    assert (again.status_code, again.json()) == (200, {"changed": False})
    assert sent.status == S.DELIVERED
    assert sent.delivered_at is not None
    assert sent.reason == ""


def test_an_undelivered_report_bounces_the_message_with_the_providers_reason(
    api: Any, sent: Delivery
) -> None:
    response = _post(
        api, {"reference": sent.token, "status": "undelivered", "reason": "Number not in use"}
    )

    sent.refresh_from_db()
    assert response.json() == {"changed": True}
    assert (sent.status, sent.reason) == (S.BOUNCED, "Number not in use")
    assert sent.failed_at is not None


@pytest.mark.parametrize("secret", ["another-secret", ""])
def test_a_report_not_signed_with_our_secret_is_401_and_changes_nothing(
    api: Any, sent: Delivery, secret: str
) -> None:
    payload = {"reference": sent.token, "status": "delivered"}
    response = (
        _post(api, payload, secret)
        if secret
        else api.post(URL, payload, format="json")  # no signature at all
    )

    sent.refresh_from_db()
    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    assert sent.status == S.SENT


def test_without_a_configured_secret_every_report_is_refused(
    api: Any, sent: Delivery, settings: Any
) -> None:
    settings.KAM_CHAT_WEBHOOK_SECRET = ""

    response = _post(api, {"reference": sent.token, "status": "delivered"})

    assert response.status_code == 401
    assert Delivery.objects.get(pk=sent.pk).status == S.SENT


def test_a_bad_status_is_a_field_error_and_an_unknown_reference_changes_nothing(
    api: Any, sent: Delivery
) -> None:
    bad = _post(api, {"reference": sent.token, "status": "read"})
    unknown = _post(api, {"reference": "no-such-token", "status": "delivered"})

    assert bad.status_code == 400
    assert list(bad.json()["fields"]) == ["status"]
    assert unknown.json() == {"changed": False}
    assert Delivery.objects.get(pk=sent.pk).status == S.SENT


def test_an_email_message_is_not_moved_by_a_chat_report(api: Any, org: Any, settings: Any) -> None:
    settings.KAM_CHAT_WEBHOOK_SECRET = SECRET
    row = queue(make_campaign(org.owner), make_contact("anna@example.com"))
    Delivery.objects.filter(pk=row.pk).update(status=S.SENT)

    response = _post(api, {"reference": row.token, "status": "delivered"})

    assert response.json() == {"changed": False}
    assert Delivery.objects.get(pk=row.pk).status == S.SENT

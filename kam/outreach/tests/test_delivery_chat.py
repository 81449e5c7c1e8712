"""Chat and SMS go to the admin's webhook, signed, with consent checked like e-mail."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.test import Client

from kam.accounts.choices import Channel
from kam.accounts.models import ContactConsent
from kam.outreach import choices, providers
from kam.outreach.models import ChatProvider, Delivery
from kam.outreach.services import delivery as outbox
from kam.outreach.tests.delivery_support import make_campaign, make_contact, queue

S = choices.DeliveryStatus
SECRET = "chat-secret-for-tests"  # noqa: S105


class Gateway(BaseHTTPRequestHandler):
    """A chat gateway: keeps each request; answers with the status its `reply` says."""

    requests: list[tuple[Any, bytes]]
    reply = 202

    def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.requests.append((self.headers, body))
        self.send_response(self.reply)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway(settings: Any) -> Iterator[tuple[type[Gateway], str]]:
    settings.KAM_CHAT_WEBHOOK_SECRET = SECRET
    settings.KAM_CHAT_WEBHOOK_TIMEOUT = 5
    handler = type("G", (Gateway,), {"requests": [], "reply": 202})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    ChatProvider.objects.create(name="Gateway", url=url)
    yield handler, url
    server.shutdown()
    server.server_close()


def _chat_row(org: Any, phone: str = "+4915112345678", consent: bool = True) -> Delivery:
    campaign = make_campaign(
        org.owner, channels=[Channel.CHAT], body="Hi {{ contact.first_name }}, see our new line."
    )
    contact = make_contact(phone, channel=Channel.CHAT, consent=consent, first_name="Anna")
    return queue(campaign, contact, channel=Channel.CHAT)


def test_a_chat_message_is_posted_signed_to_the_webhook(org: Any, gateway: Any) -> None:
    handler, _url = gateway
    row = _chat_row(org)

    counts = outbox.campaign_send(campaign_id=row.campaign_id)

    assert counts == {"sent": 1}
    [(headers, body)] = handler.requests
    payload = json.loads(body)
    assert payload["to"] == "+4915112345678"
    assert payload["reference"] == row.token
    assert payload["text"].startswith("Hi Anna, see our new line.")
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-KAM-Signature"] == f"sha256={expected}"
    assert headers["Content-Type"] == "application/json"
    assert Delivery.objects.get(pk=row.pk).status == S.SENT


def test_no_chat_consent_means_no_request(org: Any, gateway: Any) -> None:
    handler, _url = gateway
    row = _chat_row(org, consent=False)
    ContactConsent.objects.create(
        contact=row.contact, channel=Channel.CHAT, is_granted=False, given_at=row.created_at
    )

    counts = outbox.campaign_send(campaign_id=row.campaign_id)

    row.refresh_from_db()
    assert counts == {"suppressed": 1}
    assert (row.status, row.reason) == (S.SUPPRESSED, "No consent on SMS / chat.")
    assert handler.requests == []


@pytest.mark.parametrize(
    ("reply", "status", "count"),
    [(400, S.BOUNCED, "bounced"), (503, S.QUEUED, "retried"), (429, S.QUEUED, "retried")],
)
def test_the_gateways_refusal_bounces_or_retries(
    org: Any, gateway: Any, reply: int, status: str, count: str
) -> None:
    handler, _url = gateway
    handler.reply = reply
    row = _chat_row(org)

    counts = outbox.campaign_send(campaign_id=row.campaign_id)

    row.refresh_from_db()
    assert counts == {count: 1}
    assert (row.status, row.reason) == (status, f"The chat provider answered HTTP {reply}.")


def test_without_a_provider_the_message_fails_with_the_reason(org: Any, settings: Any) -> None:
    row = _chat_row(org)

    counts = outbox.campaign_send(campaign_id=row.campaign_id)

    row.refresh_from_db()
    assert counts == {"failed": 1}
    assert (row.status, row.reason) == (S.FAILED, "No chat provider is set up.")


def test_an_unreachable_gateway_is_retried(org: Any, gateway: Any) -> None:
    ChatProvider.objects.update(url="http://127.0.0.1:9/hook")
    row = _chat_row(org)

    counts = outbox.campaign_send(campaign_id=row.campaign_id)

    row.refresh_from_db()
    assert counts == {"retried": 1}
    assert row.reason.startswith("The chat provider could not be reached: ")


def test_without_a_secret_nothing_is_posted(org: Any, gateway: Any, settings: Any) -> None:
    handler, url = gateway
    settings.KAM_CHAT_WEBHOOK_SECRET = ""

    result = providers.webhook_send(url=url, to="+49", text="x", reference="r")

    assert (result.is_accepted, result.is_permanent) == (False, True)
    assert result.detail == "KAM_CHAT_WEBHOOK_SECRET is not set."
    assert handler.requests == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x"])
def test_only_web_addresses_are_accepted(db: Any, settings: Any, url: str) -> None:
    settings.KAM_CHAT_WEBHOOK_SECRET = SECRET
    with pytest.raises(ValidationError) as error:
        ChatProvider(name="Bad", url=url).full_clean()

    result = providers.webhook_send(url=url, to="+49", text="x", reference="r")

    assert "url" in error.value.message_dict
    assert (result.is_accepted, result.is_permanent) == (False, True)


# --- the admin page: admins only --------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("owner", 302), ("sales_head", 302), ("auditor", 302), (None, 302)],
)
def test_only_admins_reach_the_provider_setting(
    client: Client, org: Any, who: str | None, status: int
) -> None:
    if who:
        client.force_login(getattr(org, who))

    response = client.get("/admin/outreach/chatprovider/")

    assert response.status_code == status


def test_a_staff_user_who_is_not_an_admin_cannot_change_it(client: Client, org: Any) -> None:
    org.sales_head.is_staff = True
    org.sales_head.save()
    client.force_login(org.sales_head)

    response = client.post(
        "/admin/outreach/chatprovider/add/", {"name": "Mine", "url": "https://x.example.com"}
    )

    assert response.status_code == 403
    assert ChatProvider.objects.count() == 0


def test_an_admin_sets_the_url_and_a_bad_scheme_is_refused(client: Client, org: Any) -> None:
    client.force_login(org.admin)

    bad = client.post(
        "/admin/outreach/chatprovider/add/",
        {"name": "Bad", "url": "file:///etc/passwd", "is_active": "on"},
    )
    good = client.post(
        "/admin/outreach/chatprovider/add/",
        {"name": "Gateway", "url": "https://sms.example.com/hook", "is_active": "on"},
    )

    assert bad.status_code == 200  # the form again, with the error
    assert good.status_code == 302
    assert list(ChatProvider.objects.values_list("url", flat=True)) == [
        "https://sms.example.com/hook"
    ]


def test_changing_the_provider_is_audited_with_the_admin(client: Client, org: Any) -> None:
    client.force_login(org.admin)

    client.post(
        "/admin/outreach/chatprovider/add/",
        {"name": "Gateway", "url": "https://sms.example.com/hook", "is_active": "on"},
    )

    provider = ChatProvider.objects.get()
    entry = LogEntry.objects.get_for_object(provider).get()
    assert entry.actor == org.admin
    assert entry.changes_dict["url"] == ["None", "https://sms.example.com/hook"]

"""Shared by the calls tests: signing a webhook body, a client with a phone, lines."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from kam.accounts import services as account_services
from kam.outreach.models import TelephonyLine

SECRET = "telephony-test-secret"  # noqa: S105 - the tests' webhook secret
URL = "/api/v1/telephony/events/"


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event(**fields: Any) -> dict[str, Any]:
    """A valid "ended" inbound call from Jens Weber's number to the owner's line."""
    payload = {
        "from": "+49 30 1234567",
        "to": "+49 30 9990001",
        "direction": "inbound",
        "start": "2026-11-28T10:00:00+01:00",
        "duration": 125,
        "call_id": "c-1",
        "event": "ended",
    }
    payload.update(fields)
    return {key: value for key, value in payload.items() if value is not None}


def post(api: Any, payload: Any, *, secret: str = SECRET, signature: str | None = None) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {} if signature == "" else {"HTTP_X_KAM_SIGNATURE": signature or sign(body, secret)}
    return api.post(URL, data=body, content_type="application/json", **headers)


def client(user: Any, *, name: str = "Globex", phone: str = "030 1234567") -> Any:
    """An account owned by `user` with one contact, Jens Weber, reachable at `phone` (DE)."""
    account = account_services.account_create(
        user=user, data={"name": name, "country": "DE", "kind": "customer", "status": "active"}
    )
    contact = account_services.contact_create(
        user=user,
        data={"account": account, "first_name": "Jens", "last_name": "Weber", "phones": [phone]},
    )
    return account, contact


def line(user: Any, number: str = "+49309990001") -> TelephonyLine:
    return TelephonyLine.objects.create(number=number, user=user)

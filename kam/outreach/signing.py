"""The one signature KAM's webhooks use, both ways: `X-KAM-Signature: sha256=<hex HMAC-SHA256 of
the raw body>` (telephony events in, chat messages out, chat delivery reports in)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-KAM-Signature"
SIGNATURE_PREFIX = "sha256="


def sign(body: bytes, secret: str) -> str:
    """The signature header's value for `body`."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_is_valid(*, body: bytes, header: str, secret: str) -> bool:
    """Whether `header` is `sign(body, secret)` (compared in constant time). No secret: never."""
    if not secret or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = sign(body, secret).removeprefix(SIGNATURE_PREFIX)
    given = header.removeprefix(SIGNATURE_PREFIX).strip().lower()
    return hmac.compare_digest(expected.encode(), given.encode("ascii", "replace"))

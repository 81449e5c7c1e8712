"""Chat and SMS providers. The one shipped: an HTTP webhook an admin points at a gateway.

Each message is POSTed as JSON `{"to": ..., "text": ..., "reference": ...}` with the header
`X-KAM-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw body under KAM_CHAT_WEBHOOK_SECRET,
so the gateway can tell the request came from us; `reference` is the delivery's token, the same
on a retry, so the gateway can drop a duplicate. Redirects are not followed.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from kam.outreach.signing import SIGNATURE_HEADER, sign

# Answers worth trying again later: timeouts, rate limits, server trouble.
_TEMPORARY = {408, 425, 429}


@dataclass(frozen=True)
class SendResult:
    is_accepted: bool
    is_permanent: bool = False
    detail: str = ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def webhook_send(*, url: str, to: str, text: str, reference: str) -> SendResult:
    """POST one message to the provider's webhook; 2xx means it was accepted."""
    if urlsplit(url).scheme not in ("http", "https"):
        return SendResult(False, True, _("The chat provider's address is not a web address."))
    secret = settings.KAM_CHAT_WEBHOOK_SECRET
    if not secret:
        return SendResult(False, True, _("KAM_CHAT_WEBHOOK_SECRET is not set."))
    body = json.dumps({"to": to, "text": text, "reference": reference}).encode()
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)},
    )
    try:
        with _opener.open(request, timeout=settings.KAM_CHAT_WEBHOOK_TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (urllib.error.URLError, OSError) as error:
        return SendResult(False, False, _("The chat provider could not be reached: %s") % error)
    if 200 <= status < 300:
        return SendResult(True)
    permanent = 400 <= status < 500 and status not in _TEMPORARY
    return SendResult(False, permanent, _("The chat provider answered HTTP %d.") % status)

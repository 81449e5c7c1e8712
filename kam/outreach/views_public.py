"""Pages reached from a campaign message without signing in: by an unguessable token only.

They show nothing but the recipient's masked address, are never indexed or cached, and send no
referrer (the token is in the address).
"""

from __future__ import annotations

import base64

from django.core import signing
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from kam.outreach import rendering
from kam.outreach.models import Delivery
from kam.outreach.selectors.delivery import delivery_by_token, mask_address
from kam.outreach.services.delivery import (
    delivery_mark_clicked,
    delivery_mark_opened,
    delivery_unsubscribe,
)

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    add_never_cache_headers(response)
    return response


# RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no cookie and no CSRF token;
# the POST only ever withdraws consent and is idempotent, so a forged one can do no harm.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    delivery = delivery_by_token(token=token)
    if delivery is None:
        raise Http404
    if request.method == "POST":
        try:
            delivery = delivery_unsubscribe(token=token)
        except Delivery.DoesNotExist:
            raise Http404 from None
    context = {
        "address": mask_address(delivery.address),
        "is_unsubscribed": delivery.unsubscribed_at is not None,
        "token": token,
    }
    return _private(render(request, "outreach/public_unsubscribe.html", context))


@require_GET
def opened(request: HttpRequest, token: str) -> HttpResponse:
    """The open pixel: the same GIF for every token, known or not."""
    if delivery_by_token(token=token) is not None:
        delivery_mark_opened(token=token)
    return _private(HttpResponse(PIXEL, content_type="image/gif"))


@require_GET
def clicked(request: HttpRequest, token: str) -> HttpResponse:
    """A tracked link: only to the address we signed for this token (never an open redirect)."""
    try:
        target = rendering.click_target(token, request.GET.get("u", ""))
    except signing.BadSignature:
        return _private(HttpResponseBadRequest(_("This link is not valid.")))
    if delivery_by_token(token=token) is not None:
        delivery_mark_clicked(token=token)
    return _private(HttpResponseRedirect(target))

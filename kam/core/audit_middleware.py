"""The audit's remote address: the peer's own, or the client a trusted proxy names."""

from __future__ import annotations

from typing import Any

from auditlog.middleware import AuditlogMiddleware
from django.conf import settings


def client_address(request: Any) -> str | None:
    """REMOTE_ADDR, unless it is one of KAM_TRUSTED_PROXIES: then the right-most address in
    X-Forwarded-For that is not a trusted proxy (what the outermost proxy saw)."""
    peer = request.META.get("REMOTE_ADDR")
    trusted = set(settings.KAM_TRUSTED_PROXIES)
    if peer not in trusted:
        return peer
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
    for address in reversed([part for part in forwarded if part]):
        if address not in trusted:
            return address
    return peer


class KamAuditlogMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, without believing an X-Forwarded-For from anyone."""

    @staticmethod
    def _get_remote_addr(request: Any) -> str | None:
        return client_address(request)

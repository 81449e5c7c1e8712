"""Reads of the outbox for the public pages."""

from __future__ import annotations

from kam.outreach.models import Delivery


def delivery_by_token(*, token: str) -> Delivery | None:
    """The delivery a public link names, or None (a bad token and a missing row look alike)."""
    if not token or len(token) > 64:
        return None
    return (
        Delivery.objects.filter(token=token)
        .only("id", "token", "address", "unsubscribed_at")
        .first()
    )


def mask_address(address: str) -> str:
    """`ivan.petrov@example.com` → `i•••@example.com`: enough to recognise, not to harvest."""
    local, at, domain = address.partition("@")
    if not at:
        return "•••"
    return f"{local[:1]}•••@{domain}"

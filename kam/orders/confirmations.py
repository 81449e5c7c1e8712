"""Order confirmations: the "order_confirmation" document of `kam.documents`, generated from an
order and stored on it (each new one is the next version of the same document).

Generated when an order is confirmed (queued after commit, `generate_order_confirmation_task`)
and on demand from the order page or the API, as PDF or, on request, DOCX.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.choices import AddressKind
from kam.documents import choices as document_choices
from kam.documents.generation import our_company
from kam.documents.models import Document
from kam.documents.services import document_generate
from kam.orders.models import Order

TEMPLATE = document_choices.TemplateKey.ORDER_CONFIRMATION


def _address(order: Order) -> str:
    addresses = {address.kind: address for address in order.account.addresses.all()}
    address = addresses.get(AddressKind.DELIVERY) or addresses.get(AddressKind.LEGAL)
    return str(address) if address is not None else ""


def confirmation_context(order: Order) -> dict[str, Any]:
    """The plain context the documents app renders (docs/documents.md): the order's number,
    day, parties, lines (product, quantity, unit, net unit price, net amount), net total."""
    lines = order.lines.select_related("product").order_by("position", "pk")
    return {
        "number": order.number,
        "date": timezone.localdate(),
        "title": _("Order confirmation %(number)s") % {"number": order.number},
        "currency": order.currency,
        # The seller's own letterhead: a deployment setting (none yet: blank).
        "seller": our_company(),
        "client": {"name": order.account.name, "address": _address(order), "contact": ""},
        "lines": [
            {
                "description": f"{line.product.sku} {line.product.name}",
                "quantity": line.quantity,
                "unit": line.product.unit,
                "unit_price": line.unit_price,
                "amount": line.total_net,
            }
            for line in lines
        ],
        "total": order.total_net,
        "notes": order.notes,
        "delivery_date": order.promised_date or order.requested_date or "",
        "delivery_address": _address(order),
    }


@transaction.atomic
def order_confirmation_generate(*, user: Any, order: Order, fmt: str = "pdf") -> Document:
    """Render the order's confirmation (PDF, or DOCX on request) and store it on the order.

    `user` must be allowed to change the order (documents checks it: NotFound when he may not
    see it, PermissionDenied when he only sees it); an unknown format is a TemplateError."""
    return document_generate(
        record=order,
        kind=document_choices.Kind.OTHER,
        template=TEMPLATE,
        context=confirmation_context(order),
        fmt=fmt,
        actor=user,
        title=_("Order confirmation %(number)s") % {"number": order.number},
        direction=document_choices.Direction.OUTGOING,
    )


def order_confirmations(*, order: Order) -> QuerySet[Document]:
    """The confirmations generated for the order (live documents, newest first)."""
    return (  # type: ignore[no-any-return]
        Document.objects.filter(
            content_type=ContentType.objects.get_for_model(Order),
            object_id=order.pk,
            template_key=TEMPLATE,
        )
        .select_related("current_version")
        .order_by("-created_at", "-pk")
    )


def confirmation_on_confirm(*, order_id: int, user_id: int) -> int | None:
    """The confirmation of a just-confirmed order, generated as the user who confirmed it.
    Nothing when the order is gone, no longer confirmed-or-later, or already has a confirmation
    generated since it was confirmed (a second run); returns the document's id."""
    from django.contrib.auth import get_user_model

    order = Order.objects.select_related("account").filter(pk=order_id).first()
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if order is None or user is None or order.confirmed_at is None:
        return None
    if order_confirmations(order=order).filter(updated_at__gte=order.confirmed_at).exists():
        return None
    return order_confirmation_generate(user=user, order=order).pk

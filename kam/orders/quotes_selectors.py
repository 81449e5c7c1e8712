"""Reads of quotes, always scoped to what the user may see (`kam.core.access`)."""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, Prefetch, Q, QuerySet
from django.db.models.expressions import ExpressionWrapper
from django.utils import timezone

from kam.core import access
from kam.orders.choices import QuoteStatus
from kam.orders.models import Quote, QuoteLine

PANEL_QUOTES = 10


def with_expiry(queryset: QuerySet[Quote]) -> QuerySet[Quote]:
    """Annotate `is_expired`: expired, or sent and past its validity (before the nightly run)."""
    today = timezone.localdate()
    return queryset.annotate(
        is_expired=ExpressionWrapper(
            Q(status=QuoteStatus.EXPIRED) | Q(status=QuoteStatus.SENT, valid_until__lt=today),
            output_field=BooleanField(),
        )
    )


def quote_list(*, user: Any) -> QuerySet[Quote]:
    return with_expiry(
        Quote.objects.visible_to(user)
        .select_related("account", "owner", "deal")
        .order_by("-created_at", "-pk")
    )


def quote_detail(*, user: Any, quote_id: Any, action: access.Action = "view") -> Quote:
    queryset = with_expiry(
        Quote.objects.select_related(
            "account", "owner", "deal", "created_by", "pdf_document", "docx_document"
        ).prefetch_related(
            Prefetch("lines", queryset=QuoteLine.objects.select_related("product")),
            "orders",
        )
    )
    quote: Quote = access.get_for(user, queryset, quote_id, action)
    return quote


def deal_quotes(*, user: Any, deal: Any) -> list[Quote]:
    return list(
        with_expiry(Quote.objects.visible_to(user).filter(deal=deal))
        .select_related("owner")
        .order_by("-created_at", "-pk")[:PANEL_QUOTES]
    )


def deal_has_quote(deal: Any) -> bool:
    """Whether a live quote (not rejected or expired) was made from the deal."""
    if deal.pk is None:
        return False
    return (
        Quote.objects.filter(deal=deal)
        .exclude(status__in=(QuoteStatus.REJECTED, QuoteStatus.EXPIRED))
        .exists()
    )


def quotes_by_id(ids: list[int]) -> dict[int, Quote]:
    """The quotes approvals are about, in one query (for lists of approvals)."""
    return {
        quote.pk: quote for quote in Quote.all_objects.filter(pk__in=ids).select_related("account")
    }

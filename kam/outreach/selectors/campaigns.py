"""Reads of campaigns: lists, the audience and its consent plan, the report, the responders.

A campaign is seen by its owner, his team lead and the roles that see everything (core.access);
the recipient rows of its report are scoped again, per row, by the recipient's account, so a
manager never learns the names behind a colleague's accounts from a shared campaign.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, DateTimeField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.http import QueryDict
from django.utils.translation import gettext_lazy

from kam.accounts.choices import Channel
from kam.accounts.filters import ContactFilterSet
from kam.accounts.models import Contact, SavedFilter
from kam.core import access
from kam.core.registry import TimelineCursor
from kam.core.roles import Role
from kam.outreach import choices, consent
from kam.outreach.models import Campaign, CampaignDeal, Delivery, Event

# The list name contact filters are saved under (accounts.SavedFilter.list_name).
CONTACTS_LIST = "contacts"
LAUNCH_CHUNK = 2000
RESPONSES_TIMELINE = "outreach.campaign_responses"
S = choices.DeliveryStatus
# The report's rows, in the order a reader follows a message.
REPORT_STATUSES = (
    S.QUEUED,
    S.SENT,
    S.DELIVERED,
    S.BOUNCED,
    S.OPENED,
    S.CLICKED,
    S.UNSUBSCRIBED,
    S.FAILED,
    S.SUPPRESSED,
)
_CONTACT_COLUMNS = (
    "pk",
    "account_id",
    "first_name",
    "last_name",
    "emails",
    "phones",
    "preferred_channel",
    "do_not_contact",
)


# Counted per listed row (a sub-select), not by grouping every delivery of every campaign.
_recipient_count = (
    Delivery.objects.filter(campaign=OuterRef("pk"))
    .order_by()
    .values("campaign")
    .annotate(n=Count("pk"))
    .values("n")
)


def campaign_list(*, user: Any) -> QuerySet[Campaign]:
    """The campaigns `user` may see, newest first, each with its number of recipients."""
    return (
        Campaign.objects.visible_to(user)
        .select_related("owner", "event")
        .annotate(recipients=Coalesce(Subquery(_recipient_count), 0))
        .order_by("-created_at", "-pk")
    )


def campaign_detail(*, user: Any, campaign_id: Any) -> Campaign:
    queryset = Campaign.objects.select_related(
        "owner", "product", "promotion", "event", "audience_filter"
    )
    campaign: Campaign = access.get_for(user, queryset, campaign_id)
    return campaign


def visible_event(*, user: Any, event_id: Any) -> Event | None:
    """The event `user` may see with this id, or None (a bad or foreign id prefills nothing)."""
    if not str(event_id or "").isdigit():
        return None
    event: Event | None = Event.objects.visible_to(user).filter(pk=int(event_id)).first()
    return event


def audience_filters(*, user: Any) -> QuerySet[SavedFilter]:
    """The saved contact filters `user` may take an audience from: his own and the shared."""
    return (
        SavedFilter.objects.filter(list_name=CONTACTS_LIST)
        .filter(Q(owner=user) | Q(is_shared=True))
        .select_related("owner")
        .order_by("name", "pk")
    )


def audience_filterset(query: str, queryset: QuerySet[Contact]) -> ContactFilterSet:
    return ContactFilterSet(QueryDict(query or "", mutable=False), queryset=queryset)


def audience_reach_q(owner: Any) -> Q:
    """Whom a campaign of `owner` may address: the contacts he may see; for marketing, whose
    work is the company's announcements, every contact (consent still decides who gets what).
    Reaching is not seeing: marketing reads only the campaign's totals, and the recipient rows
    of a report stay limited to the accounts the reader may see."""
    if access.is_active_user(owner) and getattr(owner, "role", None) == Role.MARKETING:
        return Q()
    return access.visible_q(owner, Contact)


def audience_contacts(*, campaign: Campaign) -> QuerySet[Contact]:
    """The live contacts of live accounts that the campaign's owner may reach
    (`audience_reach_q`) and that match the snapshotted filters (an invalid query matches
    nobody)."""
    base = Contact.objects.filter(account__deleted_at__isnull=True).filter(
        audience_reach_q(campaign.owner)
    )
    filters = audience_filterset(campaign.audience_query, base)
    if not filters.is_valid():
        return base.none()
    return filters.qs.order_by("pk")


@dataclass(slots=True)
class Recipient:
    """The columns the consent rule and a delivery row need, without a model instance."""

    pk: int
    account_id: int
    first_name: str
    last_name: str
    emails: list[str]
    phones: list[str]
    preferred_channel: str
    do_not_contact: bool
    deleted_at: None = None


def audience_chunks(
    *, campaign: Campaign, chunk: int = LAUNCH_CHUNK
) -> Iterator[list[tuple[Recipient, consent.Choice]]]:
    """The audience in chunks of `chunk` contacts (by primary key, so each chunk is one
    indexed query), each with the consent rule's choice: 2 or 3 queries per chunk."""
    contacts = audience_contacts(campaign=campaign)
    allowed = [c for c in campaign.channels if c in consent.CAMPAIGN_CHANNELS]
    needs_post = Channel.POST in allowed
    last = 0
    while True:
        rows = [
            Recipient(*row)
            for row in contacts.filter(pk__gt=last).values_list(*_CONTACT_COLUMNS)[:chunk]
        ]
        if not rows:
            return
        last = rows[-1].pk
        granted = consent.granted_channels(r.pk for r in rows)
        postal = consent.postal_addresses({r.account_id for r in rows}) if needs_post else {}
        yield [
            (r, consent.choose(r, allowed, granted.get(r.pk, set()), postal=postal)) for r in rows
        ]


@dataclass
class AudiencePreview:
    total: int = 0
    reachable: Counter[str] = field(default_factory=Counter)
    suppressed: Counter[str] = field(default_factory=Counter)

    @property
    def reachable_total(self) -> int:
        return sum(self.reachable.values())

    @property
    def suppressed_total(self) -> int:
        return sum(self.suppressed.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "reachable": self.reachable_total,
            "by_channel": {c: self.reachable.get(c, 0) for c in consent.CAMPAIGN_CHANNELS},
            "suppressed": self.suppressed_total,
            "suppressed_reasons": [
                {"reason": reason, "count": n} for reason, n in self.suppressed.most_common()
            ],
        }


def audience_preview(*, campaign: Campaign) -> AudiencePreview:
    """Who the campaign would reach now: total, reachable per channel, suppressed by reason."""
    preview = AudiencePreview()
    for chunk in audience_chunks(campaign=campaign):
        for _recipient, choice in chunk:
            preview.total += 1
            if choice.channel:
                preview.reachable[choice.channel] += 1
            else:
                preview.suppressed[choice.reason] += 1
    return preview


# --- The report -------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _status_key(status: str) -> str:
    """In-flight rows count as queued in the report (they have not left yet)."""
    return S.QUEUED if status in choices.DELIVERY_PENDING else status


def campaign_report(*, campaign: Campaign) -> dict[str, Any]:
    """Counts per status and per channel, the funnel's rates (of the messages sent), the
    responses and the deals they became. Three aggregate queries whatever the size."""
    by_status: Counter[str] = Counter()
    by_channel: dict[str, Counter[str]] = {}
    for row in campaign.deliveries.values("channel", "status").annotate(n=Count("pk")):
        key = _status_key(row["status"])
        by_status[key] += row["n"]
        by_channel.setdefault(row["channel"] or "", Counter())[key] += row["n"]
    sent_q = Q(status__in=choices.DELIVERY_SENT)
    funnel = campaign.deliveries.aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=sent_q),
        bounced=Count("pk", filter=Q(status=S.BOUNCED)),
        opened=Count(
            "pk", filter=sent_q & (Q(opened_at__isnull=False) | Q(clicked_at__isnull=False))
        ),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        replied=Count("pk", filter=Q(replied_at__isnull=False)),
        unsubscribed=Count(
            "pk", filter=Q(unsubscribed_at__isnull=False) | Q(status=S.UNSUBSCRIBED)
        ),
    )
    sent = funnel["sent"]
    counts: dict[str, int] = {str(status): by_status.get(status, 0) for status in REPORT_STATUSES}
    counts["replied"] = funnel["replied"]
    return {
        "total": funnel["total"],
        "counts": counts,
        "by_channel": {
            channel: {status: row.get(status, 0) for status in REPORT_STATUSES}
            for channel, row in sorted(by_channel.items())
        },
        "rates": {
            "delivered": _rate(sent - funnel["bounced"], sent),
            "opened": _rate(funnel["opened"], sent),
            "clicked": _rate(funnel["clicked"], sent),
            "replied": _rate(funnel["replied"], sent),
            "unsubscribed": _rate(funnel["unsubscribed"], sent),
            "bounced": _rate(funnel["bounced"], sent),
        },
        "deals": CampaignDeal.objects.filter(campaign=campaign).count(),
    }


STATUS_LABELS: dict[str, Any] = {
    **{str(status): str(status.label) for status in REPORT_STATUSES},
    "replied": gettext_lazy("Replied"),
}
RATE_LABELS: dict[str, Any] = {
    "delivered": gettext_lazy("Delivered"),
    "opened": gettext_lazy("Opened"),
    "clicked": gettext_lazy("Clicked"),
    "replied": gettext_lazy("Replied"),
    "unsubscribed": gettext_lazy("Unsubscribed"),
    "bounced": gettext_lazy("Bounced"),
}


def labelled(values: dict[str, Any], labels: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(key, translated label, value) rows for a page."""
    return [(key, str(labels.get(key, key)), value) for key, value in values.items()]


def reason_counts(*, campaign: Campaign, status: str) -> list[dict[str, Any]]:
    """The reasons of failed (or suppressed) messages with how many had each, most first."""
    rows = (
        campaign.deliveries.filter(status=status)
        .values("reason")
        .annotate(count=Count("pk"))
        .order_by("-count", "reason")
    )
    return [{"reason": row["reason"], "count": row["count"]} for row in rows[:50]]


def campaign_recipients(*, user: Any, campaign: Campaign, status: str = "") -> QuerySet[Delivery]:
    """The campaign's recipient rows that `user` may see (by the recipient's account)."""
    rows = (
        Delivery.objects.filter(campaign=campaign)
        .filter(access.visible_q(user, Delivery))
        .select_related("contact", "account", "campaign_deal")
        .order_by("pk")
    )
    if status == "replied":
        return rows.filter(replied_at__isnull=False)
    if status == S.QUEUED:
        return rows.filter(status__in=choices.DELIVERY_PENDING)
    if status:
        return rows.filter(status=status)
    return rows


def responders(*, user: Any, campaign: Campaign) -> QuerySet[Delivery]:
    """Recipients who answered (a reply or a click) and whose account `user` may change."""
    return (
        Delivery.objects.filter(campaign=campaign)
        .filter(Q(replied_at__isnull=False) | Q(clicked_at__isnull=False))
        .filter(access.visible_q(user, Delivery, "change"))
        .select_related("contact", "account", "campaign")
        .order_by("pk")
    )


# --- Timeline: responses on the account page ------------------------------------------------

# When a recipient last answered: his reply or his click, whichever came last.
_RESPONDED_AT = Coalesce(
    Greatest("replied_at", "clicked_at"), "replied_at", "clicked_at", output_field=DateTimeField()
)


def responses_for_account(
    *, user: Any, account: Any, before: TimelineCursor | None, limit: int
) -> list[Delivery]:
    """The account's campaign responses (replies, clicks) `user` may see, newest first, each
    annotated with `responded_at`: one indexed query per timeline page."""
    rows = (
        Delivery.objects.filter(account=account)
        .filter(Q(replied_at__isnull=False) | Q(clicked_at__isnull=False))
        .filter(access.visible_q(user, Delivery))
        .annotate(responded_at=_RESPONDED_AT)
    )
    if before is not None:
        rows = rows.filter(before.older(RESPONSES_TIMELINE, "responded_at"))
    return list(rows.select_related("campaign", "contact").order_by("-responded_at", "-pk")[:limit])

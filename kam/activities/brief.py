"""The meeting brief: one page (HTML, printable, and PDF) that prepares a manager for a meeting.

A brief is a list of sections, each a list of plain blocks (facts, tables, text) that both the
HTML page and the PDF render. The sections here cover what the activities app and the apps below
it know: the account and its group, the people at the table, open deals with their needs and
objections, recent interactions. Higher apps (orders, contracts, service, insights) add theirs
from their `AppConfig.ready()`:

    from kam.activities.brief import BriefSource, register_brief_section

    register_brief_section(BriefSource("orders", _("Open orders"), order=50, build=open_orders))

`build(context)` returns the section's blocks, costs a constant number of queries whatever the
history's size, and shows only what `context.user` may see (`core.access`), with confidential
fields (`access.hidden_fields`) left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from kam.accounts.models import Account, Contact
from kam.activities.choices import Kind, Status
from kam.activities.models import Activity
from kam.core import access
from kam.core.pdf import Block, BlocksPDF, Facts, Heading, Table, Text, pdf_bytes
from kam.sales.choices import Outcome
from kam.sales.models import Deal

RECENT_INTERACTIONS = 10
MAX_DEALS = 20
MAX_SUBSIDIARIES = 25


@dataclass(frozen=True)
class BriefContext:
    user: Any
    meeting: Activity
    account: Account
    # Whether the user may open the account's record (a meeting's owner may not, on an account
    # that is not his): sections about the account show its name only, then.
    sees_account: bool
    now: datetime


@dataclass(frozen=True)
class BriefSource:
    key: str
    title: StrOrPromise
    build: Callable[[BriefContext], list[Block]]
    order: int = 100
    empty: StrOrPromise = gettext_lazy("Nothing to show.")
    visible: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class BriefSection:
    key: str
    title: str
    blocks: list[Block]
    empty: str


@dataclass
class MeetingBrief:
    meeting: Activity
    account: Account
    header: Facts
    sections: list[BriefSection] = field(default_factory=list)

    @property
    def header_blocks(self) -> list[Block]:
        return [self.header]

    @property
    def title(self) -> str:
        return _("Meeting brief: %(subject)s") % {"subject": self.meeting.subject}


_sources: dict[str, BriefSource] = {}


def register_brief_section(source: BriefSource) -> None:
    """Add (or replace, by key) a section of every meeting brief."""
    _sources[source.key] = source


def brief_sources(user: Any) -> list[BriefSource]:
    return sorted(
        (s for s in _sources.values() if s.visible is None or s.visible(user)),
        key=lambda s: (s.order, s.key),
    )


# --- Building the brief -----------------------------------------------------------------------


def meeting_for_brief(*, user: Any, meeting_id: Any) -> Activity:
    """The meeting, if `user` may see it (NotFound otherwise, for missing and hidden alike)."""
    queryset = Activity.objects.filter(kind=Kind.MEETING).select_related(
        "owner", "deal", "account", "account__owner", "account__parent"
    )
    meeting: Activity = access.get_for(user, queryset, meeting_id)
    return meeting


def meeting_brief(*, user: Any, meeting_id: Any, now: datetime | None = None) -> MeetingBrief:
    """Everything the manager should know before the meeting, as `user` may see it."""
    meeting = meeting_for_brief(user=user, meeting_id=meeting_id)
    context = BriefContext(
        user=user,
        meeting=meeting,
        account=meeting.account,
        sees_account=access.can(user, meeting.account),
        now=now or timezone.now(),
    )
    brief = MeetingBrief(meeting=meeting, account=meeting.account, header=_header(meeting))
    for source in brief_sources(user):
        brief.sections.append(
            BriefSection(
                key=source.key,
                title=str(source.title),
                blocks=source.build(context),
                empty=str(source.empty),
            )
        )
    return brief


def when(value: datetime | date | None) -> str:
    """A date or time as the user reads it (his time zone and locale)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return ""
    number = formats.number_format(amount, 2, use_l10n=True, force_grouping=True)
    return f"{number} {currency}"


def _facts(rows: list[tuple[str, Any]]) -> Facts:
    return Facts(rows=[(label, str(value)) for label, value in rows if value not in (None, "")])


def _header(meeting: Activity) -> Facts:
    end = f" – {when(meeting.ends_at)}" if meeting.ends_at else ""
    return _facts(
        [
            (_("When"), when(meeting.occurred_at) + end),
            (_("Where"), meeting.location),
            (_("Account"), meeting.account.name),
            (_("Organizer"), meeting.owner),
            (_("Status"), meeting.get_status_display()),
            (_("Deal"), meeting.deal.title if meeting.deal else ""),
            (_("Agenda"), meeting.agenda),
        ]
    )


def _account_section(context: BriefContext) -> list[Block]:
    account = context.account
    if not context.sees_account:
        return [Text(_("You may not open this account's record; only its name is shown."))]
    hidden = set(access.hidden_fields(context.user, Account))
    rows: list[tuple[str, Any]] = [
        (_("Name"), account.name),
        (_("Legal name"), account.legal_name),
        (_("Kind"), account.get_kind_display()),
        (_("Tier"), account.get_tier_display()),
        (_("Lifecycle status"), account.get_status_display()),
        (_("Industry"), account.industry),
        (_("Size"), account.get_size_band_display() if account.size_band else ""),
        (_("Country"), getattr(account.country, "name", "") if account.country else ""),
        (_("Website"), account.website),
        (_("Phones"), ", ".join(account.phones)),
        (_("E-mails"), ", ".join(account.emails)),
        (_("Owner"), account.owner),
    ]
    if "credit_limit" not in hidden and account.credit_limit is not None:
        rows.append((_("Credit limit"), money(account.credit_limit, account.currency)))
    if "payment_terms_days" not in hidden and account.payment_terms_days is not None:
        rows.append((_("Payment terms (days)"), account.payment_terms_days))
    return [_facts(rows), *_group_blocks(context)]


def _group_blocks(context: BriefContext) -> list[Block]:
    account, user = context.account, context.user
    parent = account.parent
    rows: list[tuple[str, Any]] = []
    if parent is not None and access.can(user, parent):
        rows.append((_("Parent company"), parent.name))
    subsidiaries = list(
        access.scope(Account.objects.filter(parent=account), user)
        .order_by("name", "pk")
        .values_list("name", flat=True)[: MAX_SUBSIDIARIES + 1]
    )
    if subsidiaries:
        names = ", ".join(subsidiaries[:MAX_SUBSIDIARIES])
        more = _(" and more") if len(subsidiaries) > MAX_SUBSIDIARIES else ""
        rows.append((_("Subsidiaries"), names + more))
    if not rows:
        return []
    return [Heading(_("Group")), _facts(rows)]


def _people_section(context: BriefContext) -> list[Block]:
    meeting = context.meeting
    contacts = Contact.objects.filter(activities=meeting).order_by("last_name", "first_name", "pk")
    client_rows = [
        [
            contact.full_name or str(contact),
            contact.job_title,
            contact.get_buying_role_display() if contact.buying_role else "",
            ", ".join([*contact.emails[:1], *contact.phones[:1]]),
            _("do not contact") if contact.do_not_contact else "",
        ]
        for contact in contacts
    ]
    ours = meeting.participants.order_by("last_name", "first_name", "pk")
    our_rows = [[str(person), person.get_role_display(), person.email] for person in ours]
    blocks: list[Block] = [Heading(_("From the client"))]
    if client_rows:
        columns = [_("Name"), _("Job title"), _("Buying role"), _("Reach"), _("Note")]
        blocks.append(Table(columns=columns, rows=client_rows))
    else:
        blocks.append(Text(_("No contacts are linked to this meeting.")))
    blocks.append(Heading(_("From our side")))
    organizer = [[str(meeting.owner), _("Organizer"), meeting.owner.email]]
    blocks.append(Table(columns=[_("Name"), _("Role"), _("E-mail")], rows=organizer + our_rows))
    return blocks


def _deals_section(context: BriefContext) -> list[Block]:
    hidden = set(access.hidden_fields(context.user, Deal))
    open_deals: QuerySet[Deal] = access.scope(
        Deal.objects.filter(account=context.account, status=Outcome.OPEN), context.user
    )
    deals = (
        open_deals.select_related("stage", "owner")
        .prefetch_related("needs", "objections")  # their default order: priority, open first
        .order_by("expected_close_date", "pk")[:MAX_DEALS]
    )
    blocks: list[Block] = []
    for deal in deals:
        blocks.append(Heading(deal.title))
        blocks.append(_deal_facts(deal, hidden))
        needs = [[n.description, n.get_priority_display(), n.products] for n in deal.needs.all()]
        if needs:
            blocks.append(Table(columns=[_("Need"), _("Priority"), _("Products")], rows=needs))
        objections = [
            [
                o.get_kind_display(),
                o.description,
                o.answer,
                _("resolved") if o.is_resolved else _("open"),
            ]
            for o in deal.objections.all()
        ]
        if objections:
            columns = [_("Objection"), _("What the client said"), _("Our answer"), _("Status")]
            blocks.append(Table(columns=columns, rows=objections))
    return blocks


def _deal_facts(deal: Deal, hidden: set[str]) -> Facts:
    rows: list[tuple[str, Any]] = [
        (_("Stage"), deal.stage.name),
        (_("Probability"), f"{deal.probability} %" if "probability" not in hidden else ""),
        (_("Amount"), money(deal.amount, deal.currency) if "amount" not in hidden else ""),
        (_("Expected close"), when(deal.expected_close_date)),
        (_("Next step"), " · ".join(p for p in (when(deal.next_step_date), deal.next_step) if p)),
        (_("Owner"), deal.owner),
    ]
    return _facts(rows)


def _recent_section(context: BriefContext) -> list[Block]:
    recent = (
        access.scope(Activity.objects.filter(account=context.account), context.user)
        .exclude(pk=context.meeting.pk)
        .exclude(kind=Kind.TASK)
        .exclude(status__in=[Status.CANCELLED, Status.PLANNED])
        .filter(occurred_at__lte=context.now)
        .select_related("owner")
        .order_by("-occurred_at", "-pk")[:RECENT_INTERACTIONS]
    )
    rows = [
        [
            when(activity.occurred_at),
            activity.get_kind_display(),
            activity.subject,
            activity.outcome,
            str(activity.owner),
        ]
        for activity in recent
    ]
    if not rows:
        return []
    columns = [_("When"), _("Type"), _("Subject"), _("Outcome"), _("By")]
    return [Table(columns=columns, rows=rows)]


register_brief_section(
    BriefSource("account", gettext_lazy("The account"), _account_section, order=10)
)
register_brief_section(
    BriefSource("people", gettext_lazy("Who takes part"), _people_section, order=20)
)
register_brief_section(
    BriefSource(
        "deals",
        gettext_lazy("Open deals, needs and objections"),
        _deals_section,
        order=30,
        empty=gettext_lazy("No open deals with this account."),
    )
)
register_brief_section(
    BriefSource(
        "recent",
        gettext_lazy("Recent interactions"),
        _recent_section,
        order=90,
        empty=gettext_lazy("No interactions recorded yet."),
    )
)


# --- PDF --------------------------------------------------------------------------------------


def brief_pdf(brief: MeetingBrief) -> bytes:
    """The brief as a PDF (A4, fonts embedded)."""
    note = _("Prepared %(when)s") % {"when": when(timezone.now())}
    pdf = BlocksPDF(title=brief.title, footer_note=note)
    pdf.block(brief.header)
    for section in brief.sections:
        pdf.section(section.title)
        for block in section.blocks or [Text(section.empty)]:
            pdf.block(block)
    return pdf_bytes(pdf)

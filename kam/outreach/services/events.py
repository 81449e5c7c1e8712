"""Write use cases of events: the event itself, RSVP answers, check-in, leads captured.

Every write checks access through `kam.core.access` (changing an event's guests or leads needs
the right to change the event), validates, runs in one transaction and is audited under the
acting user. The public RSVP answer has no user: it is authorised by its unguessable token only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts import services as account_services
from kam.accounts.choices import Source
from kam.accounts.models import Account, Contact
from kam.core import access
from kam.core.audit import acting_as
from kam.core.errors import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from kam.core.services import field_values, soft_delete
from kam.outreach.choices import GuestStatus
from kam.outreach.models import Delivery, Event, EventGuest, EventLead
from kam.outreach.selectors.events import lead_duplicates
from kam.sales import services as sales_services
from kam.sales.models import Deal

EVENT_FIELDS = frozenset(
    [
        "name",
        "kind",
        "starts_at",
        "ends_at",
        "place",
        "description",
        "budget",
        "currency",
        "owner",
        "staff",
        "is_cancelled",
    ]
)
# A lead's deal gets a first next step this many days after it was captured.
LEAD_FOLLOW_UP_DAYS = 3


class EventError(ApplicationError):
    code = "invalid_event"
    default_message = "Some values are not valid."


class RsvpClosedError(ApplicationError):
    """The event was cancelled or is over: the answer is not taken."""

    code = "rsvp_closed"
    status_code = 409


class PossibleDuplicatesError(ApplicationError):
    """A captured lead's company looks like accounts we already have (see `extra`)."""

    code = "possible_duplicates"
    default_message = (
        "This company may already be an account. Pick it, or confirm that it is a new one."
    )


def new_token() -> str:
    """An unguessable token for a public link (256 bits)."""
    return secrets.token_urlsafe(32)


def _require(user: Any, obj: Any, action: access.Action) -> None:
    if not access.can(user, obj, action):
        raise PermissionDeniedError() if access.can(user, obj, "view") else NotFoundError()


# --- Events ----------------------------------------------------------------------------------


def _clean_money(cleaned: dict[str, Any]) -> None:
    if "currency" in cleaned:
        cleaned["currency"] = str(cleaned["currency"] or "").strip().upper()
        if len(cleaned["currency"]) != 3 or not cleaned["currency"].isalpha():
            raise EventError(fields={"currency": [_("Give a three-letter ISO 4217 code.")]})
    if "budget" in cleaned:
        try:
            cleaned["budget"] = Decimal(str(cleaned["budget"] or 0))
        except InvalidOperation:
            raise EventError(fields={"budget": [_("Give an amount.")]}) from None
        if not cleaned["budget"].is_finite() or cleaned["budget"] < 0:
            raise EventError(fields={"budget": [_("The budget cannot be negative.")]})


def _clean_event(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - EVENT_FIELDS
    if unknown:
        raise EventError(fields={name: [_("Unknown field.")] for name in sorted(unknown)})
    cleaned = dict(data)
    for name in ("name", "place", "description"):
        if name in cleaned:
            cleaned[name] = str(cleaned[name] or "").strip()
    if "name" in cleaned and not cleaned["name"]:
        raise EventError(fields={"name": [_("This field is required.")]})
    _clean_money(cleaned)
    for name in ("starts_at", "ends_at"):
        value = cleaned.get(name)
        if name in cleaned and not isinstance(value, datetime):
            raise EventError(fields={name: [_("Give a date and time.")]})
    return cleaned


def _check_dates(event: Event) -> None:
    if event.starts_at and event.ends_at and event.ends_at < event.starts_at:
        raise EventError(fields={"ends_at": [_("The event cannot end before it starts.")]})


def _users(values: Any, field: str) -> list[Any]:
    """The active users named by `values` (users or ids); any other value names the field."""
    try:
        ids = list(dict.fromkeys(int(getattr(value, "pk", value)) for value in values or []))
    except (TypeError, ValueError):
        ids = [-1]
    users = list(get_user_model().objects.filter(pk__in=ids, is_active=True))
    if len(users) != len(ids):
        raise EventError(fields={field: [_("Choose active users.")]})
    return users


def _resolve_people(user: Any, cleaned: dict[str, Any], event: Event | None) -> None:
    if "owner" in cleaned:
        if cleaned["owner"] in (None, ""):
            raise EventError(fields={"owner": [_("Choose an active user.")]})
        owner = _users([cleaned["owner"]], "owner")[0]
        current = event.owner_id if event is not None else user.pk
        if owner.pk != current and not access.changes_all(user):
            raise PermissionDeniedError(
                _("Only the head of sales or an admin can give an event to someone else.")
            )
        cleaned["owner"] = owner
    if "staff" in cleaned:
        cleaned["staff"] = _users(cleaned["staff"], "staff")


def _full_clean(event: Event) -> None:
    _check_dates(event)
    try:
        event.full_clean(exclude=["staff"])
    except ValidationError as exc:
        raise EventError(fields=exc.message_dict) from None


@transaction.atomic
def event_create(*, user: Any, data: dict[str, Any]) -> Event:
    """Create an event owned by `user` (or, for the head of sales and admins, by the owner
    given), with its staff. Audited."""
    if access.is_read_only(user) or not access.is_active_user(user):
        raise PermissionDeniedError()
    cleaned = _clean_event(data)
    for name in ("name", "kind", "starts_at", "ends_at"):
        if name not in cleaned:
            raise EventError(fields={name: [_("This field is required.")]})
    _resolve_people(user, cleaned, None)
    staff = cleaned.pop("staff", [])
    cleaned.setdefault("owner", user)
    event = Event(**cleaned)
    _full_clean(event)
    with acting_as(user):
        event.save()
        event.staff.set(staff)
    return event


@transaction.atomic
def event_update(*, user: Any, event: Event, expected_version: int, data: dict[str, Any]) -> Event:
    """Edit an event if nobody saved it since `expected_version` was read (else ConflictError
    carrying the current values; nothing is written)."""
    _require(user, event, "change")
    locked = Event.all_objects.select_for_update().get(pk=event.pk)
    cleaned = _clean_event(data)
    if locked.version != expected_version:
        names = [name for name in cleaned if name != "staff"]
        raise ConflictError(
            extra={"current": field_values(locked, names), "version": locked.version}
        )
    _resolve_people(user, cleaned, locked)
    staff = cleaned.pop("staff", None)
    for name, value in cleaned.items():
        setattr(locked, name, value)
    _full_clean(locked)
    with acting_as(user):
        locked.save()
        if staff is not None:
            locked.staff.set(staff)
    return locked


@transaction.atomic
def event_delete(*, user: Any, event: Event) -> Event:
    """Move the event to the trash (its guests and leads stay, and come back on restore)."""
    return soft_delete(instance=event, user=user)


# --- RSVP (public, by token) -----------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    """What a public RSVP link leads to: the event, the contact, the delivery (if any)."""

    event: Event
    contact: Contact
    delivery: Delivery | None
    guest: EventGuest | None


def invitation_for_token(token: str) -> Invitation:
    """The invitation a token opens: a delivery of one of the event's campaigns, or a guest's
    own token. Unknown tokens, deliveries of campaigns without an event, events in the trash:
    NotFoundError (the same answer, nothing is learnt)."""
    token = str(token or "")[:128]
    if not token:
        raise NotFoundError()
    delivery = (
        Delivery.objects.select_related("campaign__event", "contact")
        .filter(
            token=token, campaign__event__isnull=False, campaign__event__deleted_at__isnull=True
        )
        .first()
    )
    if delivery is not None:
        event = delivery.campaign.event
        assert event is not None  # filtered above
        guest = EventGuest.objects.filter(event=event, contact=delivery.contact_id).first()
        return Invitation(event, delivery.contact, delivery, guest)
    guest = (
        EventGuest.objects.select_related("event", "contact")
        .filter(token=token, event__deleted_at__isnull=True)
        .first()
    )
    if guest is None:
        raise NotFoundError()
    return Invitation(guest.event, guest.contact, guest.delivery, guest)


def rsvp_refusal(event: Event, *, now: datetime | None = None) -> str:
    """Why answers are no longer taken ("" while they are)."""
    if event.is_cancelled:
        return _("This event has been cancelled.")
    if event.ends_at < (now or timezone.now()):
        return _("This event is over.")
    return ""


@transaction.atomic
def rsvp_answer(*, token: str, is_attending: bool) -> EventGuest:
    """The invited contact's answer: registered (yes) or declined (no). Idempotent: the same
    answer twice changes nothing, a new answer replaces the old; a guest already checked in
    stays attended. Refused (RsvpClosedError) for a cancelled or past event."""
    invitation = invitation_for_token(token)
    reason = rsvp_refusal(invitation.event)
    if reason:
        raise RsvpClosedError(reason)
    status = GuestStatus.REGISTERED if is_attending else GuestStatus.DECLINED
    guest = _guest_row(invitation)
    if guest.status in (status, GuestStatus.ATTENDED):
        return guest
    guest.status = status
    guest.responded_at = timezone.now()
    if guest.delivery_id is None and invitation.delivery is not None:
        guest.delivery = invitation.delivery
    guest.full_clean()
    guest.save()
    return guest


def _guest_row(invitation: Invitation) -> EventGuest:
    """The guest row of the invitation, locked; created (invited) on the first answer."""
    contact = invitation.contact
    guest = (
        EventGuest.objects.select_for_update()
        .filter(event=invitation.event, contact=contact)
        .first()
    )
    if guest is not None:
        return guest
    try:
        with transaction.atomic():
            return EventGuest.objects.create(
                event=invitation.event,
                contact=contact,
                account_id=contact.account_id,
                delivery=invitation.delivery,
                token=new_token(),
            )
    except IntegrityError:
        # The same link answered twice at once: the other answer made the row.
        return EventGuest.objects.select_for_update().get(event=invitation.event, contact=contact)


# --- Check-in --------------------------------------------------------------------------------


def _check_in(user: Any, guest: EventGuest) -> EventGuest:
    if guest.status == GuestStatus.ATTENDED:
        return guest
    guest.status = GuestStatus.ATTENDED
    guest.checked_in_at = timezone.now()
    guest.checked_in_by = user
    with acting_as(user):
        guest.save()
    return guest


@transaction.atomic
def guest_check_in(*, user: Any, guest: EventGuest) -> EventGuest:
    """Mark a guest attended (at the stand or the door), with who and when. Needs the right to
    change the event; checking in twice keeps the first check-in."""
    _require(user, guest.event, "change")
    locked = EventGuest.objects.select_for_update().select_related("event").get(pk=guest.pk)
    return _check_in(user, locked)


@transaction.atomic
def guest_walk_in(*, user: Any, event: Event, contact: Contact) -> EventGuest:
    """A contact who was not invited comes in: added as a guest, attended at once (an invited
    one is simply checked in). Needs the right to change the event and to see the contact."""
    _require(user, event, "change")
    if contact.deleted_at is not None or not access.can(user, contact):
        raise NotFoundError(_("The contact does not exist or is not visible to you."))
    guest = EventGuest.objects.select_for_update().filter(event=event, contact=contact).first()
    if guest is None:
        with acting_as(user):
            return EventGuest.objects.create(
                event=event,
                contact=contact,
                account_id=contact.account_id,
                token=new_token(),
                status=GuestStatus.ATTENDED,
                checked_in_at=timezone.now(),
                checked_in_by=user,
            )
    return _check_in(user, guest)


# --- Leads captured at the event -------------------------------------------------------------


@dataclass(frozen=True)
class LeadInput:
    """What the quick form at the stand takes. `account` (an existing one) or `company_name`."""

    contact_last_name: str
    account: Account | None = None
    company_name: str = ""
    contact_first_name: str = ""
    email: str = ""
    phone: str = ""
    notes: str = ""
    create_deal: bool = False
    deal_amount: Decimal | None = None
    deal_currency: str = ""
    ignore_duplicates: bool = False


def _lead_account(user: Any, lead: LeadInput) -> Account:
    if lead.account is not None:
        if lead.account.deleted_at is not None or not access.can(user, lead.account, "change"):
            raise NotFoundError(_("The account does not exist or is not yours to change."))
        return lead.account
    name = lead.company_name.strip()
    if not name:
        raise EventError(
            fields={"company_name": [_("Give the company's name or pick an account.")]}
        )
    if not lead.ignore_duplicates:
        candidates = lead_duplicates(user=user, company_name=name, email=lead.email)
        if candidates:
            raise PossibleDuplicatesError(extra={"duplicates": candidates})
    return account_services.account_create(
        user=user,
        data={"name": name, "source": Source.EXHIBITION},
    )


def _lead_deal(
    user: Any, event: Event, account: Account, contact: Contact, lead: LeadInput
) -> Deal:
    amount = lead.deal_amount if lead.deal_amount is not None else Decimal("0.00")
    if not amount.is_finite() or amount < 0:
        raise EventError(fields={"deal_amount": [_("The amount cannot be negative.")]})
    return sales_services.deal_create(
        user=user,
        data={
            "account": account,
            "contacts": [contact],
            "title": _("%(event)s: %(company)s") % {"event": event.name, "company": account.name},
            "amount": amount,
            "currency": lead.deal_currency or event.currency,
            "source": Source.EXHIBITION,
            "next_step": _("Follow up on the talk at %(event)s") % {"event": event.name},
            "next_step_date": timezone.localdate() + timedelta(days=LEAD_FOLLOW_UP_DAYS),
            "notes": lead.notes,
        },
    )


@transaction.atomic
def lead_capture(*, user: Any, event: Event, lead: LeadInput) -> EventLead:
    """A lead met at the event: a new account (source exhibition; possible duplicates refused
    unless confirmed) or an existing one, a new contact, optionally a deal (source exhibition)
    — all made by the accounts and sales services — linked by an EventLead. All or nothing;
    audited. Needs the right to change the event."""
    _require(user, event, "change")
    if not lead.contact_last_name.strip():
        raise EventError(fields={"contact_last_name": [_("This field is required.")]})
    account = _lead_account(user, lead)
    contact = account_services.contact_create(
        user=user,
        data={
            "account": account,
            "first_name": lead.contact_first_name.strip(),
            "last_name": lead.contact_last_name.strip(),
            "emails": [lead.email] if lead.email else [],
            "phones": [lead.phone] if lead.phone else [],
            "notes": lead.notes,
        },
    )
    deal = _lead_deal(user, event, account, contact, lead) if lead.create_deal else None
    with acting_as(user):
        return EventLead.objects.create(
            event=event,
            account=account,
            contact=contact,
            deal=deal,
            captured_by=user,
            notes=lead.notes,
        )

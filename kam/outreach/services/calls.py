"""Incoming and outgoing phone calls: what the telephony webhook does with an event, the caller
card's dismissal, and the admins' telephony lines.

The webhook is not a user: an event is recorded by the system. The call activity it leads to is
logged through `kam.activities.services.activity_create` on behalf of the user who took the call
when he may change the client's account, else on behalf of the account's owner; that person owns
the activity and the audit names him.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Account, Contact, MatchKey
from kam.accounts.validation import clean_phone
from kam.activities.choices import Kind
from kam.activities.services import activity_create
from kam.core import access
from kam.core.audit import acting_as
from kam.core.errors import ApplicationError, PermissionDeniedError
from kam.core.services import versioned_update
from kam.outreach.choices import (
    CALL_FINAL_STATES,
    CALL_STATE_RANK,
    CallDirection,
    CallState,
)
from kam.outreach.models import Call, TelephonyLine

logger = logging.getLogger(__name__)

EXTENSION = re.compile(r"\d{1,8}")
WITHHELD = frozenset({"", "anonymous", "unknown", "withheld", "private"})
# The most candidates read for one number (a switchboard number shared by many contacts).
MATCH_CANDIDATES = 20


class CallError(ApplicationError):
    code = "invalid_call"
    default_message = "The call could not be recorded."


class SignatureError(ApplicationError):
    status_code = 401
    code = "bad_signature"
    default_message = "The request is not signed with the telephony secret."


# --- the webhook ------------------------------------------------------------------------------


def normalise_number(value: str, *, allow_withheld: bool = False) -> str:
    """An internal extension's digits, or the number in E.164; "" for a withheld caller.
    Raises ValidationError for anything else."""
    value = (value or "").strip()
    if allow_withheld and value.lower() in WITHHELD:
        return ""
    if EXTENSION.fullmatch(value):
        return value
    return clean_phone(value)


@dataclass(frozen=True)
class CallEvent:
    """One event of a call as the provider posted it, already validated and normalised."""

    event: str
    direction: str
    from_number: str
    to_number: str
    started_at: datetime
    duration_seconds: int | None = None
    recording_url: str = ""
    call_id: str = ""

    @property
    def key(self) -> str:
        """The call's identity: the provider's id, else a digest of from, to and start."""
        if self.call_id:
            return f"id:{self.call_id}"
        start = self.started_at.astimezone(UTC).isoformat()
        raw = f"{self.from_number}|{self.to_number}|{start}"
        return "h:" + hashlib.sha256(raw.encode()).hexdigest()

    @property
    def line_number(self) -> str:
        return self.to_number if self.direction == CallDirection.INBOUND else self.from_number

    @property
    def client_number(self) -> str:
        return self.from_number if self.direction == CallDirection.INBOUND else self.to_number


@dataclass(frozen=True)
class Receipt:
    call: Call
    is_new: bool


@transaction.atomic
def call_event_record(*, event: CallEvent) -> Receipt:
    """Record one telephony event: the first event of a call creates it (matched to our user
    by line and to the client by number), later ones move it forward, a repeated or late one
    changes nothing. When the call is over and its client is known, the call activity is
    logged, once. Locks the call row, so concurrent posts of one call are applied in turn."""
    call = Call.objects.select_for_update().filter(key=event.key).first()
    is_new = False
    if call is None:
        call, is_new = _call_create(event)
    else:
        _call_advance(call, event)
    if call.state in CALL_FINAL_STATES and call.activity_id is None and call.account_id:
        _log_activity(call)
    return Receipt(call=call, is_new=is_new)


def _call_create(event: CallEvent) -> tuple[Call, bool]:
    user = _line_user(event.line_number)
    contact, account = _match_client(event.client_number, user)
    call = Call(
        key=event.key,
        provider_call_id=event.call_id,
        direction=event.direction,
        state=event.event,
        from_number=event.from_number,
        to_number=event.to_number,
        started_at=event.started_at,
        duration_seconds=event.duration_seconds,
        recording_url=event.recording_url,
        user=user,
        contact=contact,
        account=account,
    )
    try:
        with transaction.atomic():
            call.save()
    except IntegrityError:
        # The same call arrived on another connection a moment ago: apply this event to it.
        call = Call.objects.select_for_update().get(key=event.key)
        _call_advance(call, event)
        return call, False
    return call, True


def _call_advance(call: Call, event: CallEvent) -> None:
    """Move the call forward to the event's state; never back, never twice."""
    if CALL_STATE_RANK[CallState(event.event)] <= CALL_STATE_RANK[CallState(call.state)]:
        return
    call.state = event.event
    if event.duration_seconds is not None:
        call.duration_seconds = event.duration_seconds
    if event.recording_url:
        call.recording_url = event.recording_url
    call.save(update_fields=["state", "duration_seconds", "recording_url", "updated_at"])


def _line_user(number: str) -> Any:
    line = (
        TelephonyLine.objects.select_related("user")
        .filter(number=number, is_active=True, user__is_active=True)
        .first()
    )
    return line.user if line else None


def _match_client(number: str, user: Any) -> tuple[Contact | None, Account | None]:
    """The contact (and his account), else the account, whose phone is `number` (E.164).
    Among several, the ones the called user may see first, then the most recently updated."""
    if not number.startswith("+"):
        return None, None
    keys = MatchKey.objects.filter(kind=MatchKey.Kind.PHONE, value=number)
    contacts = list(
        Contact.objects.filter(
            pk__in=keys.filter(contact__isnull=False).values("contact_id"),
            account__deleted_at__isnull=True,
        )
        .select_related("account")
        .order_by("-updated_at", "-pk")[:MATCH_CANDIDATES]
    )
    if contacts:
        contact = _prefer_visible(contacts, user)
        return contact, contact.account
    accounts = list(
        Account.objects.filter(
            pk__in=keys.filter(account__isnull=False).values("account_id")
        ).order_by("-updated_at", "-pk")[:MATCH_CANDIDATES]
    )
    return None, (_prefer_visible(accounts, user) if accounts else None)


def _prefer_visible(rows: list[Any], user: Any) -> Any:
    if user is None or len(rows) == 1:
        return rows[0]
    model = type(rows[0])
    visible = set(
        access.scope(model.objects.filter(pk__in=[row.pk for row in rows]), user).values_list(
            "pk", flat=True
        )
    )
    return next((row for row in rows if row.pk in visible), rows[0])


def _activity_actor(call: Call) -> Any:
    """Who the activity is logged for: the user on the call if he may change the account,
    else the account's owner; nobody when neither is an active user."""
    account = call.account
    assert account is not None
    if call.user is not None and access.can(call.user, account, "change"):
        return call.user
    owner = account.owner
    return owner if owner.is_active and not access.is_read_only(owner) else None


def _log_activity(call: Call) -> None:
    """Log the call activity; a refusal keeps the call (and the provider's post succeeds)."""
    actor = _activity_actor(call)
    if actor is None:
        return
    try:
        with transaction.atomic():
            activity = activity_create(user=actor, data=_activity_data(call))
    except ApplicationError as error:
        logger.warning("call %s: no activity logged: %s %s", call.pk, error.message, error.fields)
        return
    call.activity = activity
    call.save(update_fields=["activity", "updated_at"])


def _activity_data(call: Call) -> dict[str, Any]:
    missed = call.state == CallState.MISSED
    duration = call.duration_seconds if not missed else 0
    data: dict[str, Any] = {
        "kind": Kind.CALL,
        "account": call.account,
        "subject": _call_subject(call),
        "body": _call_body(call),
        "occurred_at": call.started_at,
        "direction": call.direction,
        "duration_seconds": duration,
        "outcome": _("Missed") if missed else _("Answered"),
    }
    if duration:
        data["ends_at"] = call.started_at + timedelta(seconds=duration)
    if call.contact is not None:
        data["contacts"] = [call.contact]
    return data


def _call_subject(call: Call) -> str:
    who = str(call.contact) if call.contact else call.client_number or _("a withheld number")
    if call.state == CallState.MISSED:
        return _("Missed call from %(who)s") % {"who": who}
    if call.direction == CallDirection.INBOUND:
        return _("Incoming call from %(who)s") % {"who": who}
    return _("Outgoing call to %(who)s") % {"who": who}


def _call_body(call: Call) -> str:
    lines = [
        _("From: %(number)s") % {"number": call.from_number or _("withheld")},
        _("To: %(number)s") % {"number": call.to_number},
    ]
    if call.recording_url:
        lines.append(_("Recording: %(url)s") % {"url": call.recording_url})
    return "\n".join(lines)


# --- the caller card --------------------------------------------------------------------------


@transaction.atomic
def call_dismiss(*, user: Any, call: Call) -> Call:
    """Close the caller card (only the person called does; see permissions_calls)."""
    if call.dismissed_at is None:
        call.dismissed_at = timezone.now()
        call.save(update_fields=["dismissed_at", "updated_at"])
    return call


# --- telephony lines (admins) -----------------------------------------------------------------


LINE_FIELDS = frozenset({"number", "user", "label", "is_active"})


def _require_admin(user: Any) -> None:
    if not access.can_administer(user):
        raise PermissionDeniedError(_("Only an admin manages telephony lines."))


def _clean_line(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - LINE_FIELDS
    errors: dict[str, list[str]] = {name: [_("Unknown field.")] for name in sorted(unknown)}
    cleaned = {key: value for key, value in data.items() if key in LINE_FIELDS}
    if "number" in cleaned:
        try:
            cleaned["number"] = normalise_number(str(cleaned["number"]))
        except ValidationError as error:
            errors["number"] = error.messages
    user = cleaned.get("user")
    if user is not None and not user.is_active:
        errors["user"] = [_("Choose an active user.")]
    if errors:
        raise CallError(_("Some values are not valid."), fields=errors)
    return cleaned


def _save_line(line: TelephonyLine, user: Any) -> TelephonyLine:
    try:
        line.full_clean()
    except ValidationError as error:
        raise CallError(_("Some values are not valid."), fields=error.message_dict) from None
    with acting_as(user):
        line.save()
    return line


@transaction.atomic
def line_create(*, user: Any, data: dict[str, Any]) -> TelephonyLine:
    """Make a number or extension ring a user (admins only)."""
    _require_admin(user)
    cleaned = _clean_line(data)
    if not cleaned.get("number") or cleaned.get("user") is None:
        missing = [name for name in ("number", "user") if not cleaned.get(name)]
        raise CallError(fields={name: [_("This field is required.")] for name in missing})
    return _save_line(TelephonyLine(**cleaned), user)


@transaction.atomic
def line_update(
    *, user: Any, line: TelephonyLine, expected_version: int, data: dict[str, Any]
) -> TelephonyLine:
    _require_admin(user)
    cleaned = _clean_line(data)
    try:
        updated: TelephonyLine = versioned_update(
            instance=line, expected_version=expected_version, changes=cleaned, user=user
        )
    except ValidationError as error:
        raise CallError(_("Some values are not valid."), fields=error.message_dict) from None
    return updated


@transaction.atomic
def line_delete(*, user: Any, line: TelephonyLine) -> None:
    _require_admin(user)
    with acting_as(user):
        line.delete()

"""The calendar: each user's private iCalendar feed, and meetings sent out as .ics invitations.

The feed answers to a secret token (no session): it carries the meetings the user owns or takes
part in and the deadlines of his tasks, within a window around today, and only the activities
`core.access` still lets him see. The same event (same UID, SEQUENCE from the activity's version)
goes out by e-mail as an invitation, so a calendar program merges the two instead of doubling them.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import formataddr
from typing import Any

from auditlog.models import LogEntry
from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from kam.accounts.choices import Channel
from kam.accounts.models import Contact, ContactConsent
from kam.activities.choices import Kind, Status
from kam.activities.models import Activity
from kam.core import access
from kam.core.audit import acting_as, log_event
from kam.core.errors import ApplicationError
from kam.users.models import User

PRODID = "-//KAM//Account management calendar//EN"
# The feed's window: what a calendar program needs, without replaying years of history.
FEED_PAST = timedelta(days=90)
FEED_FUTURE = timedelta(days=366)
# Bounds the feed's size whatever a user's history (the nearest events are kept).
FEED_MAX_EVENTS = 5000
# A meeting saved without an end lasts this long in calendars.
DEFAULT_MEETING_LENGTH = timedelta(hours=1)
FEED_KEY_LENGTH = 16


class InvitationError(ApplicationError):
    code = "invitation_refused"


# --- The feed ---------------------------------------------------------------------------------


def feed_owner(*, token: str) -> User | None:
    """The active user whose feed token this is, or None (unknown, revoked, deactivated).

    The key part finds the row through a unique index; the secret part is compared in constant
    time, so response times tell nothing about how much of a guess was right.
    """
    key, secret = token[:FEED_KEY_LENGTH], token[FEED_KEY_LENGTH:]
    if len(key) != FEED_KEY_LENGTH or not secret:
        return None
    user = User.objects.filter(calendar_feed_key=key, is_active=True).first()
    if user is None or not user.calendar_feed_secret:
        return None
    if not hmac.compare_digest(user.calendar_feed_secret.encode(), secret.encode()):
        return None
    return user


def feed_meetings(*, user: Any, now: datetime) -> QuerySet[Activity]:
    """Meetings `user` owns or takes part in, within the feed window, that he may still see."""
    taking_part = Activity.participants.through.objects.filter(user_id=user.pk).values(
        "activity_id"
    )
    return (
        access.scope(Activity.objects.all(), user)
        .filter(kind=Kind.MEETING, occurred_at__gte=now - FEED_PAST)
        .filter(occurred_at__lt=now + FEED_FUTURE)
        .filter(Q(owner_id=user.pk) | Q(pk__in=taking_part))
        .select_related("account")
        .order_by("occurred_at", "pk")
    )


def feed_tasks(*, user: Any, now: datetime) -> QuerySet[Activity]:
    """Tasks due within the window: assigned to `user`, or his own and assigned to nobody."""
    return (
        access.scope(Activity.objects.all(), user)
        .filter(kind=Kind.TASK, due_at__gte=now - FEED_PAST, due_at__lt=now + FEED_FUTURE)
        .filter(Q(assignee_id=user.pk) | Q(owner_id=user.pk, assignee__isnull=True))
        .select_related("account")
        .order_by("due_at", "pk")
    )


def feed_ics(*, user: Any, base_url: str, now: datetime | None = None) -> bytes:
    """The user's calendar as an iCalendar document: two queries whatever its size."""
    now = now or timezone.now()
    calendar = _calendar(name=_("KAM: %(user)s") % {"user": user})
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for meeting in feed_meetings(user=user, now=now)[:FEED_MAX_EVENTS]:
        calendar.add_component(meeting_event(meeting, stamp=now, base_url=base_url))
    for task in feed_tasks(user=user, now=now)[:FEED_MAX_EVENTS]:
        calendar.add_component(_task_event(task, stamp=now, base_url=base_url))
    return bytes(calendar.to_ical())


def event_uid(activity: Activity) -> str:
    """Stable for the activity's life: the feed and every invitation share it."""
    return f"kam-activity-{activity.pk}@kam"


def _calendar(*, name: str, method: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    calendar.add("x-wr-calname", name)
    return calendar


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _base_event(activity: Activity, *, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", event_uid(activity))
    event.add("dtstamp", _utc(stamp))
    event.add("sequence", activity.version)
    event.add("last-modified", _utc(activity.updated_at))
    event.add("created", _utc(activity.created_at))
    cancelled = activity.status == Status.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def meeting_event(
    meeting: Activity, *, stamp: datetime, base_url: str, attendees: list[Any] | None = None
) -> Event:
    """One meeting as a VEVENT (times in UTC). `attendees` adds ORGANIZER and ATTENDEE lines."""
    event = _base_event(meeting, stamp=stamp)
    start = _utc(meeting.occurred_at)
    end = _utc(meeting.ends_at) if meeting.ends_at else start + DEFAULT_MEETING_LENGTH
    event.add("summary", meeting.subject)
    event.add("dtstart", start)
    event.add("dtend", max(end, start))
    if meeting.location:
        event.add("location", meeting.location)
    lines = [_("Account: %(account)s") % {"account": meeting.account.name}]
    if meeting.agenda:
        lines += ["", _("Agenda:"), meeting.agenda]
    event.add("description", "\n".join(lines))
    event.add("transp", "TRANSPARENT" if meeting.status == Status.CANCELLED else "OPAQUE")
    if base_url:
        event.add("url", base_url + reverse("calendar:brief", args=[meeting.pk]))
    if attendees is not None:
        _add_people(event, meeting, attendees)
    return event


def _task_event(task: Activity, *, stamp: datetime, base_url: str) -> Event:
    event = _base_event(task, stamp=stamp)
    due = task.due_at
    assert due is not None
    prefix = _("Done") if task.status == Status.DONE else _("Due")
    event.add("summary", f"{prefix}: {task.subject}")
    # A deadline is an instant: DTSTART without DTEND is an event of no duration (RFC 5545).
    event.add("dtstart", _utc(due))
    event.add("description", _("Account: %(account)s") % {"account": task.account.name})
    event.add("transp", "TRANSPARENT")
    event.add("priority", {"high": 1, "normal": 5, "low": 9}.get(task.priority, 5))
    if base_url:
        event.add("url", base_url + reverse("accounts:account_detail", args=[task.account_id]))
    return event


# --- Invitations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str
    is_ours: bool  # one of our users (a participant), not a client's contact


@dataclass
class InvitationOutcome:
    method: str  # REQUEST or CANCEL
    sequence: int
    sent_to: list[str] = field(default_factory=list)
    # Who was left out and why ("do not contact", "no e-mail address").
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _meeting_for_change(*, user: Any, meeting_id: Any) -> Activity:
    meeting: Activity = access.get_for(
        user,
        Activity.objects.filter(kind=Kind.MEETING).select_related("account", "owner"),
        meeting_id,
        "change",
    )
    return meeting


def meeting_invitations_queue(*, meeting_id: Any, user: Any) -> Activity:
    """Check that `user` may change the meeting, then send its invitations on the mail queue
    once the current transaction commits. Missing or invisible: NotFound; read-only: denied."""
    meeting = _meeting_for_change(user=user, meeting_id=meeting_id)
    if meeting.status == Status.DONE:
        raise InvitationError(_("This meeting already took place; there is nobody to invite."))
    meeting_pk, user_pk = meeting.pk, user.pk
    transaction.on_commit(lambda: send_meeting_invitations_task.delay(meeting_pk, user_pk))
    return meeting


def meeting_recipients(meeting: Activity) -> tuple[list[Attendee], list[tuple[str, str]]]:
    """Who receives the meeting's invitation, and who is left out and why.

    Contacts of the meeting with an e-mail address unless they asked not to be contacted (the
    do-not-contact flag, or e-mail consent refused); our participants with an e-mail address.
    The organizer (the owner) gets none. Three queries.
    """
    attendees: list[Attendee] = []
    skipped: list[tuple[str, str]] = []
    refused = set(
        ContactConsent.objects.filter(
            contact__activities=meeting, channel=Channel.EMAIL, is_granted=False
        ).values_list("contact_id", flat=True)
    )
    contacts = Contact.objects.filter(activities=meeting).order_by("last_name", "first_name", "pk")
    for contact in contacts:
        name = contact.full_name or str(contact)
        if contact.do_not_contact or contact.pk in refused:
            skipped.append((name, _("asked not to be contacted")))
        elif not contact.emails:
            skipped.append((name, _("no e-mail address")))
        else:
            attendees.append(Attendee(name=name, email=contact.emails[0], is_ours=False))
    people = meeting.participants.filter(is_active=True).exclude(pk=meeting.owner_id)
    for person in people.order_by("last_name", "first_name", "pk"):
        if person.email:
            attendees.append(Attendee(name=str(person), email=person.email, is_ours=True))
        else:
            skipped.append((str(person), _("no e-mail address")))
    return attendees, skipped


def _organizer_address(meeting: Activity) -> tuple[str, str]:
    owner = meeting.owner
    return str(owner), owner.email or settings.DEFAULT_FROM_EMAIL


def _add_people(event: Event, meeting: Activity, attendees: list[Attendee]) -> None:
    name, email = _organizer_address(meeting)
    organizer = vCalAddress(f"mailto:{email}")
    organizer.params["CN"] = vText(name)
    event["organizer"] = organizer
    for attendee in attendees:
        address = vCalAddress(f"mailto:{attendee.email}")
        address.params["CN"] = vText(attendee.name)
        address.params["ROLE"] = vText("REQ-PARTICIPANT")
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("TRUE")
        address.params["CUTYPE"] = vText("INDIVIDUAL")
        event.add("attendee", address, encode=False)


def invitation_ics(*, meeting: Activity, attendees: list[Attendee], method: str) -> bytes:
    calendar = _calendar(name=meeting.subject, method=method)
    calendar.add_component(
        meeting_event(meeting, stamp=timezone.now(), base_url="", attendees=attendees)
    )
    return bytes(calendar.to_ical())


def _invitation_text(meeting: Activity, method: str) -> tuple[str, str]:
    values = {
        "subject": meeting.subject,
        "start": _utc(meeting.occurred_at).strftime("%Y-%m-%d %H:%M UTC"),
        "place": meeting.location or "—",
        "organizer": str(meeting.owner),
        "agenda": meeting.agenda or "—",
    }
    if method == "CANCEL":
        subject = _("Cancelled: %(subject)s") % values
        body = _("The meeting “%(subject)s” on %(start)s is cancelled.\n\n%(organizer)s") % values
    else:
        subject = _("Invitation: %(subject)s") % values
        body = (
            _(
                "%(organizer)s invites you to “%(subject)s”.\n\n"
                "When: %(start)s\nWhere: %(place)s\n\nAgenda:\n%(agenda)s\n\n"
                "The attached invitation adds it to your calendar."
            )
            % values
        )
    return subject, body


def meeting_invitations_send(*, meeting_id: int, user_id: int) -> InvitationOutcome:
    """Send the meeting's invitation (METHOD:REQUEST, or CANCEL once it is cancelled) to each
    recipient in a mail of his own, then audit it on the meeting.

    Access is checked again for `user_id` at sending time. SEQUENCE is the meeting's version, so
    a calendar takes a re-sent invitation as an update of the one it has; sending the same
    version twice changes nothing there.
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    meeting = _meeting_for_change(user=user, meeting_id=meeting_id)
    method = "CANCEL" if meeting.status == Status.CANCELLED else "REQUEST"
    attendees, skipped = meeting_recipients(meeting)
    outcome = InvitationOutcome(method=method, sequence=meeting.version, skipped=skipped)
    if attendees:
        ics = invitation_ics(meeting=meeting, attendees=attendees, method=method)
        subject, body = _invitation_text(meeting, method)
        messages = [_invitation_mail(meeting, a, subject, body, ics, method) for a in attendees]
        get_connection().send_messages(messages)
        outcome.sent_to = [attendee.email for attendee in attendees]
    with acting_as(user):
        log_event(
            obj=meeting,
            action=LogEntry.Action.UPDATE,
            data={
                "event": "meeting_invitation",
                "method": method,
                "sequence": meeting.version,
                "sent_to": outcome.sent_to,
                "skipped": [name for name, _reason in skipped],
            },
        )
    return outcome


def _invitation_mail(
    meeting: Activity, attendee: Attendee, subject: str, body: str, ics: bytes, method: str
) -> EmailMultiAlternatives:
    organizer_name, organizer_email = _organizer_address(meeting)
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=formataddr((organizer_name, settings.DEFAULT_FROM_EMAIL)),
        to=[formataddr((attendee.name, attendee.email))],
        reply_to=[organizer_email],
    )
    # The calendar part inline (what Outlook and Gmail act on) and as a file (for the rest).
    message.attach_alternative(ics.decode(), f'text/calendar; charset="utf-8"; method={method}')
    message.attach("invite.ics", ics, "application/ics")
    return message


@shared_task(name="kam.activities.calendar.send_meeting_invitations_task", queue="mail")
def send_meeting_invitations_task(meeting_id: int, user_id: int) -> dict[str, Any]:
    """Send a meeting's invitations (queued on commit by `meeting_invitations_queue`)."""
    outcome = meeting_invitations_send(meeting_id=meeting_id, user_id=user_id)
    return {"method": outcome.method, "sequence": outcome.sequence, "sent": len(outcome.sent_to)}

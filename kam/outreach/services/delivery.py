"""The outbox: sends each queued campaign message (a Delivery row) exactly once.

A worker claims a few queued rows at a time under a lease (status `sending`, `lease_until`,
`claim`, attempts + 1, committed), so several workers never take the same row. Just before a
message goes out its consent is checked again. An e-mail is written to the SMTP server up to, not
including, the final "." of DATA; then the row is committed `handed_over`; then the "." is
written and the reply read, and the outcome committed. A worker killed before the hand-over
leaves a partial DATA the server discards (the row goes back to `queued` when the lease
expires); killed after it, the "." was already on its way (the row becomes `sent`). The window
left is the microseconds between the hand-over commit and the write of "." (see
docs/outreach-delivery.md).
"""

from __future__ import annotations

import secrets
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.template import Template, TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.choices import Channel
from kam.accounts.models import ContactConsent
from kam.core.audit import acting_as
from kam.outreach import choices, providers, rendering
from kam.outreach.consent import granted_channels, refusal
from kam.outreach.models import Campaign, CampaignWindow, ChatProvider, Delivery
from kam.outreach.services import delivery_smtp

S = choices.DeliveryStatus
# The channels the outbox sends itself; letters (post, fax) are printed by the campaigns topic.
OUTBOX_CHANNELS = (Channel.EMAIL, Channel.CHAT)
IN_FLIGHT = (S.QUEUED, S.SENDING, S.HANDED_OVER)
ACTIVE = (choices.CampaignStatus.SCHEDULED, choices.CampaignStatus.SENDING)


@dataclass(frozen=True)
class Outcome:
    """What became of one message: a final status, or `queued` to try again later."""

    status: str
    reason: str = ""


@dataclass(frozen=True)
class Templates:
    subject: Template
    body: Template


# --- the send loop ----------------------------------------------------------------------------


def campaign_send(*, campaign_id: int, budget_seconds: float = 600) -> dict[str, int]:
    """Send what is due of campaign `campaign_id`; returns counts by outcome.

    Safe to run twice or on several workers at once: each batch is claimed under a lease.
    Recovers the campaign's expired leases first and completes the campaign when nothing is
    left in flight. Stops after `budget_seconds` (at a batch's end) with `more: 1` in the
    counts, so a huge campaign runs as a chain of bounded tasks, far from the task time limit.
    Must not run inside a transaction (each step commits on its own).
    """
    campaign = _campaign_due(campaign_id)
    if campaign is None:
        return {}
    outbox_recover(campaign_id=campaign_id)
    totals: Counter[str] = Counter()
    try:
        templates = Templates(
            rendering.compile_template(campaign.subject), rendering.compile_template(campaign.body)
        )
    except TemplateSyntaxError as error:
        templates = None
        totals["failed"] += _fail_all(campaign, _("The message cannot be written: %s") % error)
    deadline = time.monotonic() + budget_seconds
    while templates is not None and (claim := _claim(campaign)):
        totals.update(_send_batch(campaign, claim, templates))
        if time.monotonic() >= deadline:
            totals["more"] = 1
            break
    campaign_complete_if_done(campaign_id=campaign_id)
    return dict(totals)


def _campaign_due(campaign_id: int) -> Campaign | None:
    campaign = (
        Campaign.objects.select_related("product", "promotion", "event")
        .filter(pk=campaign_id, status__in=ACTIVE)
        .first()
    )
    now = timezone.now()
    if campaign is None or (campaign.scheduled_at and campaign.scheduled_at > now):
        return None
    if campaign.status == choices.CampaignStatus.SCHEDULED:
        Campaign.objects.filter(pk=campaign.pk, status=campaign.status).update(
            status=choices.CampaignStatus.SENDING
        )
        campaign.status = choices.CampaignStatus.SENDING
    return campaign


def _due(campaign_id: int, now: datetime) -> QuerySet[Delivery]:
    # The campaign's status is asked at every claim: a cancelled campaign stops at the next batch.
    return Delivery.objects.filter(
        campaign_id=campaign_id,
        campaign__status__in=ACTIVE,
        status=S.QUEUED,
        channel__in=OUTBOX_CHANNELS,
    ).filter(Q(not_before__isnull=True) | Q(not_before__lte=now))


def _claim(campaign: Campaign) -> str:
    """Take up to a batch of the campaign's due rows for this worker; "" when there are none
    (or the minute's quota is used up). Commits before returning."""
    now = timezone.now()
    claim = secrets.token_hex(16)
    lease_until = now + timedelta(seconds=settings.KAM_OUTBOX_LEASE_SECONDS)
    with transaction.atomic():
        quota = _quota(campaign, now)
        if quota == 0:
            return ""
        due = _due(campaign.pk, now).order_by("id")
        if connection.vendor == "postgresql":
            # Rows another worker is claiming right now are skipped, not waited for.
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:quota])
        # Conditional: a row claimed meanwhile (SQLite has no SKIP LOCKED) is not taken twice.
        taken = Delivery.objects.filter(id__in=ids, status=S.QUEUED).update(
            status=S.SENDING,
            claim=claim,
            lease_until=lease_until,
            attempts=F("attempts") + 1,
            not_before=None,
        )
        if taken and campaign.throttle_per_minute:
            CampaignWindow.objects.filter(campaign_id=campaign.pk).update(
                claimed=F("claimed") + taken
            )
    return claim if taken else ""


def _quota(campaign: Campaign, now: datetime) -> int:
    """How many rows this claim may take: a batch, within the campaign's per-minute limit
    shared by all workers (the window row is locked until the claim commits)."""
    size = max(1, settings.KAM_OUTBOX_BATCH_SIZE)
    per_minute = campaign.throttle_per_minute
    if not per_minute:
        return size
    window, _created = CampaignWindow.objects.select_for_update().get_or_create(
        campaign_id=campaign.pk, defaults={"started_at": now}
    )
    if window.started_at <= now - timedelta(minutes=1):
        window.started_at, window.claimed = now, 0
        window.save(update_fields=["started_at", "claimed"])
    return max(0, min(size, per_minute - window.claimed))


def _send_batch(campaign: Campaign, claim: str, templates: Templates) -> Counter[str]:
    rows = list(
        Delivery.objects.filter(claim=claim, status=S.SENDING)
        .select_related("contact", "account")
        .order_by("id")
    )
    granted = granted_channels(row.contact_id for row in rows)
    outcomes: dict[int, Outcome | None] = {}
    by_channel: dict[str, list[Delivery]] = defaultdict(list)
    for row in rows:
        row.campaign = campaign
        # Consent may have been withdrawn since the launch: asked again, just before sending.
        reason = refusal(row.contact, row.channel, granted.get(row.contact_id, set()))
        if reason:
            outcomes[row.pk] = Outcome(S.SUPPRESSED, reason)
        else:
            by_channel[row.channel].append(row)
    if by_channel[Channel.EMAIL]:
        outcomes.update(_send_emails(by_channel[Channel.EMAIL], claim, templates))
    if by_channel[Channel.CHAT]:
        outcomes.update(_send_chats(by_channel[Channel.CHAT], claim, templates))
    return _record(rows, outcomes, claim)


def hand_over(row: Delivery, claim: str, message_id: str = "") -> bool:
    """Commit that `row` is being handed to the server, if this claim still holds it.

    False when the lease was lost (the row was recovered and maybe claimed by another worker):
    the caller must then abandon the message without completing it.
    """
    return (
        Delivery.objects.filter(pk=row.pk, claim=claim, status=S.SENDING).update(
            status=S.HANDED_OVER, message_id=message_id
        )
        == 1
    )


# --- outcomes ---------------------------------------------------------------------------------

_COUNT_AS: dict[str, str] = {
    S.SENT: "sent",
    S.BOUNCED: "bounced",
    S.FAILED: "failed",
    S.SUPPRESSED: "suppressed",
}


def _record(rows: list[Delivery], outcomes: dict[int, Outcome | None], claim: str) -> Counter[str]:
    """Commit each row's outcome (grouped, a few UPDATEs per batch); rows whose lease was lost
    (outcome None) are left to whoever holds them now."""
    now = timezone.now()
    counts: Counter[str] = Counter()
    groups: dict[Outcome, list[int]] = defaultdict(list)
    for row in rows:
        outcome = outcomes.get(row.pk)
        if outcome is None:
            continue
        if outcome.status == S.QUEUED:
            counts[_retry(row, outcome.reason, claim, now)] += 1
        else:
            groups[outcome].append(row.pk)
    for outcome, ids in groups.items():
        counts[_COUNT_AS[outcome.status]] += _finish(ids, outcome, claim, now)
    return counts


def _finish(ids: list[int], outcome: Outcome, claim: str, now: datetime) -> int:
    changes: dict[str, Any] = {"status": outcome.status, "reason": outcome.reason[:500]}
    if outcome.status == S.SENT:
        changes["sent_at"] = now
    elif outcome.status in (S.BOUNCED, S.FAILED):
        changes["failed_at"] = now
    return Delivery.objects.filter(
        id__in=ids, claim=claim, status__in=(S.SENDING, S.HANDED_OVER)
    ).update(claim="", lease_until=None, **changes)


def _retry(row: Delivery, reason: str, claim: str, now: datetime) -> str:
    """A temporary failure: back to the queue after a growing wait, or failed for good."""
    mine = Delivery.objects.filter(pk=row.pk, claim=claim, status__in=(S.SENDING, S.HANDED_OVER))
    if row.attempts >= settings.KAM_OUTBOX_MAX_ATTEMPTS:
        text = _("Gave up after %(n)d attempts: %(reason)s") % {"n": row.attempts, "reason": reason}
        mine.update(status=S.FAILED, reason=text[:500], failed_at=now, claim="", lease_until=None)
        return "failed"
    wait = settings.KAM_OUTBOX_RETRY_SECONDS * 2 ** max(0, row.attempts - 1)
    mine.update(
        status=S.QUEUED,
        reason=reason[:500],
        not_before=now + timedelta(seconds=wait),
        claim="",
        lease_until=None,
    )
    return "retried"


def _fail_all(campaign: Campaign, reason: str) -> int:
    return _due(campaign.pk, timezone.now()).update(
        status=S.FAILED, reason=reason[:500], failed_at=timezone.now()
    )


# --- e-mail ----------------------------------------------------------------------------------


def _send_emails(
    rows: list[Delivery], claim: str, templates: Templates
) -> dict[int, Outcome | None]:
    """Send a batch over one SMTP connection (reopened once if it drops)."""
    outcomes: dict[int, Outcome | None] = {}
    unreachable: Outcome | None = None
    with delivery_smtp.Session() as session:
        for row in rows:
            # The server went away: the rest of the batch waits for the retry instead of
            # each paying a connection timeout (which could outlast the lease).
            outcome = unreachable or _send_email(session, row, claim, templates)
            if outcome is not None and outcome.status == S.QUEUED and session.smtp is None:
                unreachable = outcome
            outcomes[row.pk] = outcome
    return outcomes


def _send_email(
    session: delivery_smtp.Session, row: Delivery, claim: str, templates: Templates
) -> Outcome | None:
    try:
        rendered = rendering.render(row, templates.subject, templates.body)
    except rendering.RenderError as error:
        return Outcome(S.FAILED, _("The message cannot be written: %s") % error)
    message_id = delivery_smtp.message_id_for(row.token, row.campaign_id)
    message = delivery_smtp.build_message(to=row.address, rendered=rendered, message_id=message_id)
    result = session.transmit(
        message, recipient=row.address, hand_over=lambda: hand_over(row, claim, message_id)
    )
    if result.is_lease_lost:
        return None
    if result.code is not None and 200 <= result.code < 300:
        return Outcome(S.SENT, result.note)
    if result.code is not None and result.code >= 500:
        return Outcome(S.BOUNCED, result.reply)
    return Outcome(S.QUEUED, result.reply)


# --- chat -------------------------------------------------------------------------------------


def _send_chats(
    rows: list[Delivery], claim: str, templates: Templates
) -> dict[int, Outcome | None]:
    provider = ChatProvider.objects.filter(is_active=True).first()
    if provider is None:
        return {row.pk: Outcome(S.FAILED, _("No chat provider is set up.")) for row in rows}
    outcomes: dict[int, Outcome | None] = {}
    for row in rows:
        try:
            text = rendering.render(row, templates.subject, templates.body).text
        except rendering.RenderError as error:
            outcomes[row.pk] = Outcome(S.FAILED, _("The message cannot be written: %s") % error)
            continue
        if not hand_over(row, claim):
            outcomes[row.pk] = None
            continue
        result = providers.webhook_send(
            url=provider.url, to=row.address, text=text, reference=row.token
        )
        if result.is_accepted:
            outcomes[row.pk] = Outcome(S.SENT)
        else:
            status = S.BOUNCED if result.is_permanent else S.QUEUED
            outcomes[row.pk] = Outcome(status, result.detail)
    return outcomes


# --- recovery and completion ------------------------------------------------------------------


def outbox_recover(*, campaign_id: int | None = None) -> dict[str, int]:
    """Settle rows whose lease expired (their worker died or lost its task).

    `sending` rows were never handed over, so the server discarded the partial message: they go
    back to the queue. `handed_over` rows had their final "." written right after the hand-over
    commit: they are counted as sent.
    """
    now = timezone.now()
    expired = Delivery.objects.filter(lease_until__lt=now)
    if campaign_id is not None:
        expired = expired.filter(campaign_id=campaign_id)
    # A message whose worker died at every try (does it crash the worker?) is given up.
    given_up = expired.filter(
        status=S.SENDING, attempts__gte=settings.KAM_OUTBOX_MAX_ATTEMPTS
    ).update(
        status=S.FAILED,
        claim="",
        lease_until=None,
        failed_at=now,
        reason=_("Gave up: the worker stopped while sending, at every attempt."),
    )
    requeued = expired.filter(status=S.SENDING).update(status=S.QUEUED, claim="", lease_until=None)
    confirmed = expired.filter(status=S.HANDED_OVER).update(
        status=S.SENT,
        claim="",
        lease_until=None,
        sent_at=now,
        reason=_("Confirmed by the outbox after a restart."),
    )
    return {"requeued": requeued, "confirmed": confirmed, "given_up": given_up}


def campaign_complete_if_done(*, campaign_id: int) -> bool:
    """Mark a sending campaign completed when none of its outbox messages is in flight."""
    busy = Delivery.objects.filter(
        campaign_id=OuterRef("pk"), status__in=IN_FLIGHT, channel__in=OUTBOX_CHANNELS
    )
    done = (
        Campaign.objects.filter(pk=campaign_id, status=choices.CampaignStatus.SENDING)
        .filter(~Exists(busy))
        .update(status=choices.CampaignStatus.COMPLETED, completed_at=timezone.now())
    )
    return done == 1


def outbox_resume() -> list[int]:
    """Recover expired leases everywhere and name the campaigns with messages due, so a lost
    task or a restarted broker never loses a message (run every minute by the beat)."""
    outbox_recover()
    now = timezone.now()
    due = (
        Delivery.objects.filter(
            status=S.QUEUED, channel__in=OUTBOX_CHANNELS, campaign__status__in=ACTIVE
        )
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .filter(Q(campaign__scheduled_at__isnull=True) | Q(campaign__scheduled_at__lte=now))
        .values_list("campaign_id", flat=True)
        .distinct()
    )
    sending = Campaign.objects.filter(status=choices.CampaignStatus.SENDING)
    for campaign_id in sending.values_list("pk", flat=True):
        campaign_complete_if_done(campaign_id=campaign_id)
    return sorted(set(due))


# --- the public links -------------------------------------------------------------------------


@transaction.atomic
def delivery_unsubscribe(*, token: str) -> Delivery:
    """Withdraw the recipient's e-mail consent (one click from the message; no login).

    Idempotent: a second call changes nothing. The consent change is audited with no actor
    (the system), naming the campaign in `how`. Raises Delivery.DoesNotExist for a bad token.
    """
    delivery = (
        Delivery.objects.select_for_update().select_related("contact", "campaign").get(token=token)
    )
    if delivery.unsubscribed_at is not None:
        return delivery
    now = timezone.now()
    how = _("Unsubscribed from the campaign “%(name)s” (link in its e-mail)") % {
        "name": delivery.campaign.name
    }
    with acting_as(None):
        ContactConsent.objects.update_or_create(
            contact=delivery.contact,
            channel=Channel.EMAIL,
            defaults={"is_granted": False, "given_at": now, "how": how[:200]},
        )
    delivery.unsubscribed_at = now
    fields = ["unsubscribed_at", "updated_at"]
    if delivery.status not in IN_FLIGHT:
        delivery.status = S.UNSUBSCRIBED
        fields.append("status")
    delivery.save(update_fields=fields)
    return delivery


def delivery_mark_opened(*, token: str) -> bool:
    """Record the first open (the pixel); later opens change nothing."""
    now = timezone.now()
    first = Delivery.objects.filter(token=token, opened_at__isnull=True).update(opened_at=now)
    Delivery.objects.filter(token=token, status__in=(S.SENT, S.DELIVERED)).update(status=S.OPENED)
    return first == 1


def delivery_mark_clicked(*, token: str) -> bool:
    """Record the first click (a click also means the message was opened)."""
    now = timezone.now()
    first = Delivery.objects.filter(token=token, clicked_at__isnull=True).update(clicked_at=now)
    Delivery.objects.filter(token=token, opened_at__isnull=True).update(opened_at=now)
    Delivery.objects.filter(token=token, status__in=(S.SENT, S.DELIVERED, S.OPENED)).update(
        status=S.CLICKED
    )
    return first == 1


# --- delivery reports -------------------------------------------------------------------------

REPORT_OUTCOMES = ("delivered", "undelivered")


def delivery_report(*, token: str, outcome: str, reason: str = "") -> bool:
    """A chat/SMS provider's report on a message we handed it: `delivered`, or `undelivered`
    (bounced, with the provider's reason). Only a sent chat message moves, once: a repeated,
    late or unknown report changes nothing. Returns whether the row changed."""
    if outcome not in REPORT_OUTCOMES:
        raise ValueError(outcome)
    rows = Delivery.objects.filter(token=token, channel=Channel.CHAT, status=S.SENT)
    now = timezone.now()
    if outcome == "delivered":
        return rows.update(status=S.DELIVERED, delivered_at=now) == 1
    reason = reason.strip()[:500] or _("The provider could not deliver the message.")
    return rows.update(status=S.BOUNCED, failed_at=now, reason=reason) == 1

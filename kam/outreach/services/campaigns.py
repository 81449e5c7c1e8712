"""Write use cases of campaigns: create, edit (versioned), trash, schedule, launch, cancel, and
turning responses into deals.

The launch writes the outbox: in one transaction it claims the campaign (draft or scheduled →
sending), resolves its audience, asks the consent rule for each contact and writes one Delivery
per contact (queued, or suppressed with the reason); the sending task is queued on commit. The
unique (campaign, contact) constraint and the claim make a second or concurrent launch write
nothing. Every write is audited under the acting user.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.choices import Source
from kam.accounts.models import Contact, SavedFilter
from kam.catalog.models import Product, Promotion
from kam.core import access, roles
from kam.core.audit import acting_as, log_event
from kam.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from kam.core.services import soft_delete, versioned_update
from kam.outreach import choices, consent
from kam.outreach.models import Campaign, CampaignDeal, Delivery, Event
from kam.outreach.selectors import campaigns as selectors
from kam.outreach.services import campaign_templates as templates
from kam.sales.services import deal_create

CAMPAIGN_FIELDS = frozenset(
    [
        "name",
        "kind",
        "subject",
        "body",
        "channels",
        "audience_filter",
        "audience_query",
        "product",
        "promotion",
        "event",
        "scheduled_at",
        "throttle_per_minute",
    ]
)
# Who may start a campaign (the owner edits it; head of sales and admins edit all).
CREATOR_ROLES = frozenset(
    {
        roles.Role.ACCOUNT_MANAGER,
        roles.Role.KEY_ACCOUNT_MANAGER,
        roles.Role.SALES_HEAD,
        roles.Role.MARKETING,
        roles.Role.ADMIN,
    }
)
logger = logging.getLogger(__name__)
CS = choices.CampaignStatus
# Days until the follow-up of a deal opened from a campaign response.
FOLLOW_UP_DAYS = 2
DS = choices.DeliveryStatus


class CampaignError(ApplicationError):
    code = "campaign_invalid"
    default_message = "The campaign could not be saved."


class CampaignStateError(ApplicationError):
    status_code = 409
    code = "campaign_state"
    default_message = "The campaign is not in a state that allows this."


def can_create(user: Any) -> bool:
    return access.is_active_user(user) and (
        user.is_superuser or getattr(user, "role", None) in CREATOR_ROLES
    )


def _require(user: Any, obj: Any, action: access.Action) -> None:
    if not access.can(user, obj, action):
        raise PermissionDeniedError() if access.can(user, obj, "view") else NotFoundError()


def require_change(*, user: Any, campaign: Campaign) -> None:
    """Refuse (403 if he sees it, else 404) a user who may not change the campaign."""
    _require(user, campaign, "change")


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


# --- Validation of what the author typed --------------------------------------------------------


def _clean_channels(value: Any) -> list[str]:
    channels = list(dict.fromkeys(str(c) for c in (value or [])))
    wrong = [c for c in channels if c not in consent.CAMPAIGN_CHANNELS]
    if wrong or not channels:
        raise CampaignError(
            fields={"channels": [_("Choose one or more of: e-mail, SMS / chat, post, fax.")]}
        )
    return channels


def _clean_templates(cleaned: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    for name in ("subject", "body"):
        if name in cleaned:
            cleaned[name] = str(cleaned[name] or "")
            problem = templates.template_error(cleaned[name])
            if problem:
                errors[name] = [_("The template is not valid: %(error)s") % {"error": problem}]
    if errors:
        raise CampaignError(fields=errors)


def _clean_audience(user: Any, cleaned: dict[str, Any]) -> None:
    """A saved contact filter the user may use; its query is snapshotted unless one is given."""
    saved = cleaned.get("audience_filter")
    if saved not in (None, ""):
        found = selectors.audience_filters(user=user).filter(pk=_pk(saved)).first()
        if found is None:
            raise CampaignError(fields={"audience_filter": [_("Choose a saved contact filter.")]})
        cleaned["audience_filter"] = found
        if not cleaned.get("audience_query"):
            cleaned["audience_query"] = found.query
    elif "audience_filter" in cleaned:
        cleaned["audience_filter"] = None
    if "audience_query" in cleaned:
        query = str(cleaned["audience_query"] or "").strip().lstrip("?")
        if not selectors.audience_filterset(query, Contact.objects.none()).is_valid():
            raise CampaignError(
                fields={"audience_query": [_("These are not filters of the contact list.")]}
            )
        cleaned["audience_query"] = query


def _linked(user: Any, cleaned: dict[str, Any]) -> None:
    """The product, promotion and event: rows the user may see (else a field error)."""
    for name, model in (("product", Product), ("promotion", Promotion), ("event", Event)):
        value = cleaned.get(name)
        if value in (None, ""):
            if name in cleaned:
                cleaned[name] = None
            continue
        row = model.objects.filter(pk=_pk(value)).filter(access.visible_q(user, model)).first()
        if row is None:
            raise CampaignError(fields={name: [_("Choose one you can see.")]})
        cleaned[name] = row


def _clean(user: Any, data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - CAMPAIGN_FIELDS
    if unknown:
        raise CampaignError(fields={name: [_("Unknown field.")] for name in sorted(unknown)})
    cleaned = dict(data)
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"] or "").strip()
    if "channels" in cleaned:
        cleaned["channels"] = _clean_channels(cleaned["channels"])
    _clean_templates(cleaned)
    _clean_audience(user, cleaned)
    _linked(user, cleaned)
    scheduled = cleaned.get("scheduled_at")
    if scheduled is not None and scheduled <= timezone.now():
        raise CampaignError(fields={"scheduled_at": [_("Choose a time in the future.")]})
    return cleaned


def _status_for(campaign: Campaign) -> str:
    return CS.SCHEDULED if campaign.scheduled_at else CS.DRAFT


def _full_clean(campaign: Campaign) -> None:
    try:
        campaign.full_clean()
    except ValidationError as error:
        raise CampaignError(_("Some values are not valid."), fields=error.message_dict) from None


# --- Create, edit, delete ----------------------------------------------------------------------


@transaction.atomic
def campaign_create(*, user: Any, data: dict[str, Any]) -> Campaign:
    """A draft campaign owned by `user` (scheduled when `scheduled_at` is given)."""
    if not can_create(user):
        raise PermissionDeniedError(_("Your role cannot start campaigns."))
    cleaned = _clean(user, data)
    cleaned.setdefault("channels", [])
    if not cleaned["channels"]:
        raise CampaignError(fields={"channels": [_("Choose at least one channel.")]})
    campaign = Campaign(owner=user, **cleaned)
    campaign.status = _status_for(campaign)
    _full_clean(campaign)
    with acting_as(user):
        campaign.save()
    return campaign


def campaign_update(
    *, user: Any, campaign: Campaign, expected_version: int, data: dict[str, Any]
) -> Campaign:
    """Edit a draft or scheduled campaign; a stale version is a conflict (nothing written)."""
    _require(user, campaign, "change")
    if campaign.status not in choices.CAMPAIGN_OPEN:
        raise CampaignStateError(_("A launched or cancelled campaign cannot be edited."))
    changes = _clean(user, data)
    with transaction.atomic():
        scheduled = changes.get("scheduled_at", campaign.scheduled_at)
        changes["status"] = CS.SCHEDULED if scheduled else CS.DRAFT
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status not in choices.CAMPAIGN_OPEN:
            raise CampaignStateError(_("A launched or cancelled campaign cannot be edited."))
        try:
            return versioned_update(
                instance=campaign, expected_version=expected_version, changes=changes, user=user
            )
        except ValidationError as error:
            raise CampaignError(fields=error.message_dict) from None


def campaign_delete(*, user: Any, campaign: Campaign) -> Campaign:
    """To the trash; a campaign that is sending must be cancelled first."""
    _require(user, campaign, "delete")
    if campaign.status == CS.SENDING:
        raise CampaignStateError(_("Cancel the campaign before deleting it."))
    return soft_delete(instance=campaign, user=user)


@transaction.atomic
def campaign_cancel(*, user: Any, campaign: Campaign) -> Campaign:
    """Stop a campaign: a draft or scheduled one never goes out; a sending one stops, and its
    messages not yet handed to a channel become failed ("cancelled"). Sent ones stay sent."""
    _require(user, campaign, "change")
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status not in (*choices.CAMPAIGN_OPEN, CS.SENDING):
        raise CampaignStateError(_("Only a draft, scheduled or sending campaign can be cancelled."))
    now = timezone.now()
    stopped = locked.deliveries.filter(status=DS.QUEUED).update(
        status=DS.FAILED, reason=_("The campaign was cancelled."), failed_at=now
    )
    locked.status = CS.CANCELLED
    locked.completed_at = now
    with acting_as(user):
        locked.save(update_fields=["status", "completed_at"])
        log_event(
            obj=locked, action=LogEntry.Action.UPDATE, data={"event": "cancel", "stopped": stopped}
        )
    return locked


# --- Launch ------------------------------------------------------------------------------------


def _claim(campaign: Campaign, now: datetime) -> bool:
    """Draft/scheduled → sending in one conditional UPDATE: exactly one launcher wins, on
    PostgreSQL (the row lock) and SQLite (the write lock) alike."""
    return bool(
        Campaign.objects.filter(pk=campaign.pk, status__in=choices.CAMPAIGN_OPEN).update(
            status=CS.SENDING, launched_at=now, updated_at=now
        )
    )


def _delivery(campaign_id: int, recipient: Any, choice: consent.Choice) -> Delivery:
    return Delivery(
        campaign_id=campaign_id,
        contact_id=recipient.pk,
        account_id=recipient.account_id,
        channel=choice.channel,
        address=choice.address[:500],
        status=DS.QUEUED if choice.channel else DS.SUPPRESSED,
        reason=choice.reason[:500],
        token=secrets.token_urlsafe(32),
    )


def _write_outbox(campaign: Campaign, chunk_size: int) -> dict[str, int]:
    counts = {"queued": 0, "suppressed": 0}
    for chunk in selectors.audience_chunks(campaign=campaign, chunk=chunk_size):
        rows = [_delivery(campaign.pk, recipient, choice) for recipient, choice in chunk]
        Delivery.objects.bulk_create(rows, batch_size=chunk_size)
        for row in rows:
            counts["queued" if row.status == DS.QUEUED else "suppressed"] += 1
    return counts


def _queue_sending(campaign_id: int) -> None:
    from kam.outreach.tasks.delivery import send_campaign_task

    send_campaign_task.delay(campaign_id)


def campaign_launch(
    *, user: Any, campaign: Campaign, chunk_size: int = selectors.LAUNCH_CHUNK
) -> dict[str, int]:
    """Write the campaign's outbox and start sending.

    One transaction: lock and claim the campaign (a draft or scheduled one; anything else is
    refused with nothing written), resolve the audience over what the OWNER may see, one
    Delivery per contact (queued on his channel, or suppressed with the reason). Queues
    `send_campaign_task` on commit. Returns {"queued": n, "suppressed": m}.
    """
    _require(user, campaign, "change")
    with transaction.atomic():
        locked = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("owner", "product", "promotion", "event")
            .get(pk=campaign.pk)
        )
        now = timezone.now()
        if not _claim(locked, now):
            raise CampaignStateError(_("The campaign has already been launched or cancelled."))
        counts = _write_outbox(locked, chunk_size)
        with acting_as(user):
            log_event(obj=locked, action=LogEntry.Action.UPDATE, data={"event": "launch", **counts})
        transaction.on_commit(lambda: _queue_sending(locked.pk))
    return counts


def launch_due_campaigns(*, now: datetime | None = None) -> list[int]:
    """Launch the scheduled campaigns whose time has come, each once (the claim), as their
    owner. A campaign another run launched meanwhile is skipped. Answers the launched ids."""
    now = now or timezone.now()
    due = Campaign.objects.filter(status=CS.SCHEDULED, scheduled_at__lte=now).select_related(
        "owner"
    )
    launched = []
    for campaign in due.order_by("scheduled_at", "pk"):
        try:
            campaign_launch(user=campaign.owner, campaign=campaign)
        except CampaignStateError:
            continue  # another run launched (or someone cancelled) it meanwhile
        except (NotFoundError, PermissionDeniedError):
            logger.warning(
                "campaign %s not launched: its owner may no longer change it", campaign.pk
            )
            continue
        except Exception:
            # One broken campaign must not hold back the others due this minute.
            logger.exception("campaign %s could not be launched", campaign.pk)
            continue
        launched.append(campaign.pk)
    return launched


# --- Preview -----------------------------------------------------------------------------------


def campaign_preview(*, user: Any, campaign: Campaign, contact_id: Any) -> dict[str, str]:
    """The subject and body as `contact_id` (a contact `user` may see) would get them, and the
    channel and address the consent rule would choose."""
    try:
        contact = access.get_for(user, Contact.objects.select_related("account"), contact_id)
    except NotFoundError:
        raise CampaignError(fields={"contact": [_("Choose a contact you can see.")]}) from None
    context = templates.recipient_context(
        campaign=campaign,
        contact=contact,
        account=contact.account,
        token="preview",  # noqa: S106
    )
    granted = consent.granted_channels([contact.pk]).get(contact.pk, set())
    choice = consent.choose(contact, campaign.channels, granted)
    return {
        "subject": templates.render_subject(campaign.subject, context),
        "body": templates.render(campaign.body, context),
        "channel": choice.channel,
        "address": choice.address,
        "reason": choice.reason,
    }


# --- Responses into deals ----------------------------------------------------------------------


def _deal_for(user: Any, delivery: Delivery) -> CampaignDeal | None:
    existing = CampaignDeal.objects.filter(delivery=delivery).first()
    if existing is not None:
        return None
    deal = deal_create(
        user=user,
        data={
            "account": delivery.account,
            "contacts": [delivery.contact],
            "title": f"{delivery.campaign.name}: {delivery.contact}"[:255],
            "source": Source.CAMPAIGN,
            "next_step": _("Follow up the answer to “%(campaign)s”")
            % {"campaign": delivery.campaign.name},
            "next_step_date": timezone.localdate() + timedelta(days=FOLLOW_UP_DAYS),
        },
    )
    link = CampaignDeal.objects.create(
        delivery=delivery, campaign=delivery.campaign, deal=deal, created_by=user
    )
    with acting_as(user):
        log_event(
            obj=delivery.campaign,
            action=LogEntry.Action.UPDATE,
            data={"event": "response_to_deal", "delivery": delivery.pk, "deal": deal.pk},
        )
    return link


@transaction.atomic
def responses_to_deals(
    *, user: Any, campaign: Campaign, delivery_ids: list[int] | None = None
) -> int:
    """Open a deal (source: campaign) for each responder (a reply or a click) whose account
    `user` may change, once per response; `delivery_ids` narrows to those. Answers how many
    deals were opened now."""
    if access.is_read_only(user):
        raise PermissionDeniedError()
    rows = selectors.responders(user=user, campaign=campaign).select_for_update(of=("self",))
    if delivery_ids is not None:
        rows = rows.filter(pk__in=delivery_ids)
    return sum(1 for delivery in rows if _deal_for(user, delivery) is not None)


def saved_audience_create(*, user: Any, name: str, query: str) -> SavedFilter:
    """Keep a contact-list query as a named audience (accounts' saved filters), the user's own
    (replacing his audience of the same name)."""
    from kam.accounts.services import saved_filter_save

    if access.is_read_only(user) or not access.is_active_user(user):
        raise PermissionDeniedError()

    cleaned = {"audience_query": query}
    _clean_audience(user, cleaned)
    return saved_filter_save(
        user=user, list_name=selectors.CONTACTS_LIST, name=name, query=cleaned["audience_query"]
    )


def audience_query_from(params: QueryDict) -> str:
    """The contact list's filters of a query string (page and empty values dropped)."""
    kept = QueryDict(mutable=True)
    for key, values in params.lists():
        if key == "page":
            continue
        for value in values:
            if value:
                kept.appendlist(key, value)
    return kept.urlencode()

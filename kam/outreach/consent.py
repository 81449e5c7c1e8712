"""Whom we may reach on which channel: the one rule every outreach channel asks.

A campaign message goes to a contact on a channel only when
- the contact is not marked "do not contact" and is not in the trash,
- he has given consent on that channel and not withdrawn it (opt-in, recorded in
  `accounts.ContactConsent`), and
- we hold an address for that channel (an e-mail address, a phone number, a postal address).

Among the channels a campaign may use, his preferred one comes first, then the campaign's order.
The functions are pure over what the caller loaded, so a launch over 100,000 contacts reads the
consents in one query (`granted_channels`) instead of one per contact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from kam.accounts.choices import AddressKind, Channel
from kam.accounts.models import AccountAddress, ContactConsent

# Channels a campaign can send on (a phone call is not a campaign channel).
CAMPAIGN_CHANNELS: tuple[str, ...] = (Channel.EMAIL, Channel.CHAT, Channel.POST, Channel.FAX)
# Which postal address a letter goes to, best first.
_POSTAL_KINDS = (AddressKind.POSTAL, AddressKind.LEGAL, AddressKind.DELIVERY)


@dataclass(frozen=True)
class Choice:
    """The channel and address to use, or (channel "") the reason nothing may be sent."""

    channel: str
    address: str
    reason: str = ""


def granted_channels(contact_ids: Iterable[int]) -> dict[int, set[str]]:
    """The channels each contact has consented to (withdrawn consents excluded)."""
    granted: dict[int, set[str]] = defaultdict(set)
    rows = ContactConsent.objects.filter(
        contact_id__in=list(contact_ids), is_granted=True
    ).values_list("contact_id", "channel")
    for contact_id, channel in rows:
        granted[contact_id].add(channel)
    return granted


def postal_addresses(account_ids: Iterable[int]) -> dict[int, str]:
    """One printable postal address per account (postal, else legal, else delivery)."""
    best: dict[int, tuple[int, str]] = {}
    rows = AccountAddress.objects.filter(account_id__in=list(account_ids)).values_list(
        "account_id", "kind", "street", "postal_code", "city", "region", "country"
    )
    for account_id, kind, street, postal_code, city, region, country in rows:
        rank = _POSTAL_KINDS.index(kind) if kind in _POSTAL_KINDS else len(_POSTAL_KINDS)
        lines = [street, " ".join(part for part in (postal_code, city) if part), region]
        text = "\n".join(line for line in [*lines, str(country or "")] if line)
        # A letter needs somewhere to go: a street or a city, not a country alone.
        if (street or city) and (account_id not in best or rank < best[account_id][0]):
            best[account_id] = (rank, text)
    return {account_id: text for account_id, (_rank, text) in best.items()}


def address_for(contact: Any, channel: str, *, postal: dict[int, str] | None = None) -> str:
    """The contact's address on `channel`, or "" when we have none."""
    if channel == Channel.EMAIL:
        return next((str(e) for e in contact.emails or [] if e), "")
    if channel in (Channel.CHAT, Channel.PHONE, Channel.FAX):
        return next((str(p) for p in contact.phones or [] if p), "")
    if channel == Channel.POST:
        addresses = postal if postal is not None else postal_addresses([contact.account_id])
        return addresses.get(contact.account_id, "")
    return ""


def _label(channel: str) -> str:
    return str(Channel(channel).label) if channel in Channel.values else channel


def _blocked(contact: Any) -> str:
    """Why `contact` may get nothing at all, on any channel ("" when he may get something)."""
    if contact.do_not_contact:
        return _("The contact is marked do not contact.")
    if getattr(contact, "deleted_at", None) is not None:
        return _("The contact is in the trash.")
    return ""


def refusal(contact: Any, channel: str, granted: set[str]) -> str:
    """Why `contact` may not get a campaign message on `channel` ("" when he may)."""
    blocked = _blocked(contact)
    if blocked:
        return blocked
    if channel not in granted:
        return _("No consent on %(channel)s.") % {"channel": _label(channel)}
    return ""


def choose(
    contact: Any,
    allowed: Sequence[str],
    granted: set[str],
    *,
    postal: dict[int, str] | None = None,
) -> Choice:
    """The contact's preferred consented channel among `allowed`, else the first that works."""
    blocked = _blocked(contact)
    if blocked:
        return Choice("", "", blocked)
    ordered = list(dict.fromkeys(allowed))
    if contact.preferred_channel in ordered:
        ordered.remove(contact.preferred_channel)
        ordered.insert(0, contact.preferred_channel)
    reasons: list[str] = []
    for channel in ordered:
        reason = refusal(contact, channel, granted)
        address = "" if reason else address_for(contact, channel, postal=postal)
        if address:
            return Choice(channel, address)
        reasons.append(reason or _("No address for %(channel)s.") % {"channel": _label(channel)})
    return Choice("", "", " ".join(reasons) or _("The campaign has no channel."))


def may_send(contact: Any, channel: str) -> str:
    """Checked again just before sending (consent may be withdrawn after the launch): the
    reason the message must not go out, or ""."""
    return refusal(contact, channel, granted_channels([contact.pk]).get(contact.pk, set()))

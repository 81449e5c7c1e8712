"""Consents through the API: give or withdraw a contact's consent on a channel.

The record itself is `accounts.ContactConsent`, written by `kam.accounts.services`
(`contact_set_consent`: access to change the contact, audited under the acting user); this
module only adds what the consents endpoint needs around it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from kam.accounts.models import Contact, ContactConsent
from kam.accounts.services import contact_set_consent
from kam.core import access


@transaction.atomic
def consent_record(
    *, user: Any, contact_id: Any, channel: str, is_granted: bool, how: str = ""
) -> tuple[ContactConsent, bool]:
    """Give or withdraw consent on `channel` for the contact (which `user` must be allowed to
    change; a contact he may not see is not found). Returns the consent and whether it is new."""
    contact: Contact = access.get_for(user, Contact.objects.all(), contact_id, "change")
    is_new = not ContactConsent.objects.filter(contact=contact, channel=channel).exists()
    consent = contact_set_consent(
        user=user, contact=contact, channel=channel, is_granted=is_granted, how=how
    )
    return consent, is_new


@transaction.atomic
def consent_change(
    *, user: Any, consent: ContactConsent, is_granted: bool, how: str | None = None
) -> ContactConsent:
    """Give or withdraw an existing consent (the manner kept unless a new one is given)."""
    return contact_set_consent(
        user=user,
        contact=consent.contact,
        channel=consent.channel,
        is_granted=is_granted,
        how=consent.how if how is None else how,
    )

"""Fetch one call or consent and authorise it: missing and forbidden are both 404."""

from __future__ import annotations

from typing import Any

from kam.accounts.models import ContactConsent
from kam.core.access import get_for
from kam.core.errors import NotFoundError
from kam.outreach.models import Call
from kam.outreach.selectors.calls import consent_list


def access_own_call(*, user: Any, call_id: Any) -> Call:
    """A call that rang `user` himself: only the person called may close its card."""
    call: Call = get_for(user, Call.objects.filter(user=user), call_id, "view")
    return call


def access_consent(*, user: Any, consent_id: Any) -> ContactConsent:
    """A consent of a contact `user` may see (changing it is the contact service's check)."""
    try:
        consent: ContactConsent | None = consent_list(user=user).filter(pk=int(consent_id)).first()
    except (TypeError, ValueError):
        consent = None
    if consent is None:
        raise NotFoundError()
    return consent

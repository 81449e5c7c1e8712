"""User-written templates (campaign subjects and bodies, e-mail templates): Django templates
rendered in a sandbox, the one engine KAM renders users' templates with.

The author of a campaign writes `Dear {{ contact.first_name }}, ...`. The template sees only the
recipient's context built here: read-only mappings of plain values (no model instance, so no
`{{ contact.account.owner.password }}` traversal reaches anything), and an engine of its own
whose tags are the harmless subset of Django's (no `load`, `include`, `extends`, `debug`,
`csrf_token`, `url`), with no template loaders and unknown variables rendered as "".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.template import Context, Engine, Library, Template, TemplateSyntaxError, defaultfilters
from django.template import defaulttags as _defaulttags
from django.urls import reverse
from django.utils.translation import gettext as _

# The tags a campaign template may use; everything else is a syntax error at save.
SAFE_TAGS = (
    "autoescape",
    "comment",
    "cycle",
    "filter",
    "firstof",
    "for",
    "if",
    "ifchanged",
    "now",
    "spaceless",
    "templatetag",
    "verbatim",
    "widthratio",
    "with",
)
_UNKNOWN_TAG = re.compile(r"Invalid block tag on line \d+: '([^']+)'")
# Filters that could blow a message up to any size on the author's word.
_UNSAFE_FILTERS = frozenset({"ljust", "rjust", "center", "pprint"})

register = Library()
for _name in SAFE_TAGS:
    register.tags[_name] = _defaulttags.register.tags[_name]
for _name, _filter in defaultfilters.register.filters.items():
    if _name not in _UNSAFE_FILTERS:
        register.filters[_name] = _filter


class _SandboxEngine(Engine):
    """An engine whose only built-ins are this module's `register` (the safe subset)."""

    default_builtins = ["kam.outreach.services.campaign_templates"]


_ENGINE = _SandboxEngine(
    dirs=[], app_dirs=False, loaders=[], libraries={}, debug=False, autoescape=False
)

Value = str | int | Decimal | date | datetime | None
RecipientContext = dict[str, "Mapping[str, Value] | str"]


def compile_template(source: str) -> Template:
    """`source` compiled by the sandbox; raises TemplateSyntaxError."""
    return _ENGINE.from_string(source)


def template_error(source: str) -> str:
    """Why `source` is not a valid template ("" when it is); a tag outside the safe subset is
    named as such."""
    try:
        _ENGINE.from_string(source)
    except TemplateSyntaxError as error:
        unknown = _UNKNOWN_TAG.match(str(error))
        if unknown:
            return _("The tag {%% %(tag)s %%} is not allowed.") % {"tag": unknown.group(1)}
        return str(error)
    return ""


def render(source: str, context: Mapping[str, Any]) -> str:
    """`source` rendered over `context` (plain text: nothing is HTML-escaped)."""
    return _ENGINE.from_string(source).render(Context(dict(context), autoescape=False))


def render_subject(source: str, context: Mapping[str, Any]) -> str:
    """A subject on one line: line breaks a contact's fields might bring are flattened (no
    header injection through a name)."""
    return " ".join(render(source, context).split())


def _frozen(values: dict[str, Value]) -> Mapping[str, Value]:
    return MappingProxyType(values)


def contact_values(contact: Any) -> Mapping[str, Value]:
    emails = [str(e) for e in (contact.emails or []) if e]
    return _frozen(
        {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "middle_name": contact.middle_name,
            "full_name": " ".join(
                p for p in (contact.first_name, contact.middle_name, contact.last_name) if p
            ),
            "job_title": contact.job_title,
            "email": emails[0] if emails else "",
        }
    )


def account_values(account: Any) -> Mapping[str, Value]:
    return _frozen(
        {
            "name": account.name,
            "legal_name": account.legal_name or account.name,
            "website": account.website,
            "country": str(getattr(account.country, "name", "") or ""),
        }
    )


def _product(product: Any) -> Mapping[str, Value]:
    if product is None:
        return _frozen({})
    return _frozen(
        {
            "name": product.name,
            "sku": product.sku,
            "description": product.description,
            "unit": product.unit,
            "list_price": product.list_price,
            "currency": product.currency,
            "launch_date": product.launch_date,
        }
    )


def _promotion(promotion: Any) -> Mapping[str, Value]:
    if promotion is None:
        return _frozen({})
    return _frozen(
        {
            "name": promotion.name,
            "description": promotion.description,
            "starts_on": promotion.starts_on,
            "ends_on": promotion.ends_on,
        }
    )


def _event(event: Any) -> Mapping[str, Value]:
    if event is None:
        return _frozen({})
    return _frozen(
        {
            "name": event.name,
            "kind": str(event.get_kind_display()),
            "starts_at": event.starts_at,
            "ends_at": event.ends_at,
            "place": event.place,
            "description": event.description,
        }
    )


def base_url() -> str:
    """Where recipients reach KAM (`KAM_BASE_URL`); a local address when it is not set."""
    return settings.KAM_BASE_URL or "http://localhost:8000"


def public_url(name: str, token: str) -> str:
    """An absolute link to a public page by token (unsubscribe, RSVP, open, click)."""
    return base_url() + reverse(f"outreach:{name}", args=[token])


def campaign_values(campaign: Any) -> dict[str, Mapping[str, Value]]:
    """The parts of the context that are the same for every recipient (read once per launch)."""
    return {
        "campaign": _frozen({"name": campaign.name, "kind": str(campaign.get_kind_display())}),
        "product": _product(campaign.product),
        "promotion": _promotion(campaign.promotion),
        "event": _event(campaign.event),
    }


def recipient_context(
    *,
    campaign: Any,
    contact: Any,
    account: Any,
    token: str,
    shared: dict[str, Mapping[str, Value]] | None = None,
) -> RecipientContext:
    """What a template sees for one recipient: `contact`, `account`, `campaign`, `product`,
    `promotion`, `event` (read-only mappings) and the links `unsubscribe_url`, `rsvp_url`."""
    context: RecipientContext = {
        **(shared or campaign_values(campaign)),
        "contact": contact_values(contact),
        "account": account_values(account),
        "unsubscribe_url": public_url("unsubscribe", token),
        "rsvp_url": public_url("rsvp", token) if campaign.event_id else "",
    }
    return context

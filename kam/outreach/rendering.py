"""A campaign's subject and text for one recipient.

The campaign's subject and body are Django templates written by users, so they are rendered by
an engine of their own: no template directories, no tag libraries beyond the built-in ones, and a
context of plain strings only (never a model instance, whose attributes and relations a template
could walk). Links in the text are rewritten to pass through the click tracker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.template import Context, Engine, Library, Template, TemplateSyntaxError, defaulttags
from django.urls import reverse
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext

CLICK_SALT = "kam.outreach.click"
_URL = re.compile(r"https?://[^\s<>\"')\]]+")


# The tags a campaign's text may use: logic and layout only. Left out: {% debug %} (prints the
# interpreter's modules), {% load %}, {% url %}, {% csrf_token %}, {% include %}, {% extends %}.
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
    "regroup",
    "spaceless",
    "templatetag",
    "verbatim",
    "widthratio",
    "with",
)
register = Library()
register.tags.update({name: defaulttags.register.tags[name] for name in SAFE_TAGS})


class _UserTemplateEngine(Engine):
    # This module's `register` instead of Django's default tag and loader libraries.
    default_builtins = ["kam.outreach.rendering", "django.template.defaultfilters"]


@lru_cache(maxsize=1)
def _engine() -> Engine:
    # locmem with no templates: nothing to include even if a tag tried.
    return _UserTemplateEngine(
        loaders=[("django.template.loaders.locmem.Loader", {})],
        autoescape=False,
        libraries={},
        string_if_invalid="",
    )


def compile_template(source: str) -> Template:
    """Compile a user-written template; raises TemplateSyntaxError with its message."""
    return _engine().from_string(source)


def check_template(source: str) -> str:
    """The syntax error in `source`, or "" (for forms that take a campaign's text)."""
    try:
        compile_template(source)
    except TemplateSyntaxError as error:
        return str(error)
    return ""


def base_url() -> str:
    return settings.KAM_BASE_URL or "http://localhost:8000"


def public_url(name: str, token: str) -> str:
    return base_url() + reverse(f"outreach:{name}", args=[token])


def click_url(token: str, target: str) -> str:
    """The tracked form of `target`: our click redirect with the target signed for this token."""
    signed = signing.Signer(salt=f"{CLICK_SALT}.{token}").sign(target)
    return f"{public_url('click', token)}?{urlencode({'u': signed})}"


def click_target(token: str, signed: str) -> str:
    """The URL a click link points to; raises signing.BadSignature when it was not ours."""
    target = signing.Signer(salt=f"{CLICK_SALT}.{token}").unsign(signed)
    if not _URL.fullmatch(target):
        raise signing.BadSignature("not a web address")
    return target


class RenderError(Exception):
    """A campaign's text could not be written for one recipient (the message says why)."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    unsubscribe_url: str


def context_for(delivery: Any) -> dict[str, str]:
    """The plain values a campaign's text may use for this recipient."""
    contact, account, campaign = delivery.contact, delivery.account, delivery.campaign
    event = campaign.event
    values = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "middle_name": contact.middle_name,
        "full_name": contact.full_name,
        "job_title": contact.job_title,
        "account_name": account.name,
        "campaign_name": campaign.name,
        "product_name": campaign.product.name if campaign.product_id else "",
        "promotion_name": campaign.promotion.name if campaign.promotion_id else "",
        "event_name": event.name if event else "",
        "event_place": event.place if event else "",
        "event_starts": f"{event.starts_at:%Y-%m-%d %H:%M}" if event else "",
        "unsubscribe_url": public_url("unsubscribe", delivery.token),
        "rsvp_url": public_url("rsvp", delivery.token) if campaign.event_id else "",
    }
    return {key: str(value) for key, value in values.items()}


def _track_links(text: str, token: str) -> str:
    """Other sites' links go through the click tracker; ours (unsubscribe, RSVP) stay as they
    are, so they work even when tracking is blocked."""
    own = base_url() + "/"

    def swap(match: re.Match[str]) -> str:
        url = match.group(0)
        return url if url.startswith(own) else click_url(token, url)

    return _URL.sub(swap, text)


def render(delivery: Any, subject: Template, body: Template) -> Rendered:
    """The message for `delivery` from the campaign's compiled subject and body."""
    values = context_for(delivery)
    unsubscribe = values["unsubscribe_url"]
    try:
        text = body.render(Context(values, autoescape=False)).strip()
        line = " ".join(subject.render(Context(values, autoescape=False)).split())
    except Exception as error:  # a user's template: whatever it raises is its own fault
        raise RenderError(str(error) or type(error).__name__) from error
    if unsubscribe not in text:
        footer = gettext("To stop receiving these messages: %(url)s") % {"url": unsubscribe}
        text += "\n\n-- \n" + footer
    text = _track_links(text, delivery.token)
    pixel = public_url("open", delivery.token)
    html = (
        f"<!doctype html><html><body>{_html_links(text)}"
        f'<img src="{escape(pixel)}" width="1" height="1" alt=""></body></html>'
    )
    return Rendered(subject=line[:255], text=text, html=html, unsubscribe_url=unsubscribe)


def _html_links(text: str) -> str:
    html = linebreaks(escape(text))
    return _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', html)

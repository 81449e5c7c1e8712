"""A campaign's subject and text for one recipient.

The campaign's subject and body are Django templates written by users: compiled and given their
context by `services/campaign_templates.py` (a sandboxed engine, read-only plain values, never a
model instance), the same rule the campaign form checks at save. Here the message is finished:
the unsubscribe footer, links rewritten to pass through the click tracker, the HTML part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.template import Context, Template
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext

from kam.outreach.services import campaign_templates

CLICK_SALT = "kam.outreach.click"
_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def compile_template(source: str) -> Template:
    """Compile a campaign's subject or body in the campaigns' sandbox; raises
    TemplateSyntaxError with its message (the same rule the campaign form checks at save)."""
    return campaign_templates.compile_template(source)


def check_template(source: str) -> str:
    """The syntax error in `source`, or "" (for forms that take a campaign's text)."""
    return campaign_templates.template_error(source)


def base_url() -> str:
    return campaign_templates.base_url()


def public_url(name: str, token: str) -> str:
    return campaign_templates.public_url(name, token)


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


def context_for(delivery: Any) -> campaign_templates.RecipientContext:
    """What a campaign's text may use for this recipient (see services/campaign_templates.py)."""
    return campaign_templates.recipient_context(
        campaign=delivery.campaign,
        contact=delivery.contact,
        account=delivery.account,
        token=delivery.token,
    )


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
    unsubscribe = str(values["unsubscribe_url"])
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

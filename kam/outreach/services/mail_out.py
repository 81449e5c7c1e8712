"""Outgoing mail: an e-mail to a contact from a template, sent through Django's mail backend
(`EMAIL_URL`), stored as the exact bytes sent and logged as an e-mail activity."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Contact
from kam.activities.choices import Direction, Kind
from kam.activities.services import activity_create
from kam.core import access
from kam.core.audit import acting_as
from kam.core.errors import PermissionDeniedError
from kam.core.services import versioned_update
from kam.outreach import choices
from kam.outreach.errors_mail import MailError
from kam.outreach.models import EmailTemplate, Message
from kam.outreach.services import campaign_templates
from kam.outreach.services.mail_parse import subject_key

MAX_CC = 20


@dataclass(frozen=True)
class Draft:
    """What the user asked to send, before rendering."""

    contact: Contact
    subject: str
    body: str
    cc: tuple[str, ...] = ()
    deal: Any = None
    reply_to: Message | None = None


def render(source: str, context: dict[str, Any], field: str) -> str:
    """`source` in Django template syntax over plain values only, in the sandbox campaigns use
    (no model objects: a template must not reach fields the sender may not see)."""
    error = campaign_templates.template_error(source)
    if error:
        raise MailError(fields={field: [error]})
    return campaign_templates.render(source, context)


def template_context(*, contact: Contact, deal: Any, user: Any) -> dict[str, Any]:
    """The values a template can use: {{ contact.first_name }}, {{ account.name }}..."""
    return {
        "contact": campaign_templates.contact_values(contact),
        "account": campaign_templates.account_values(contact.account),
        "deal": {"title": deal.title} if deal is not None else {},
        "user": {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "full_name": user.get_full_name() or user.get_username(),
            "email": user.email,
        },
    }


def _clean_cc(cc: tuple[str, ...]) -> list[str]:
    cleaned = []
    for address in cc:
        address = address.strip()
        try:
            validate_email(address)
        except ValidationError:
            raise MailError(
                fields={"cc": [_("“%(value)s” is not an e-mail address.") % {"value": address}]}
            ) from None
        cleaned.append(address)
    if len(cleaned) > MAX_CC:
        raise MailError(fields={"cc": [_("At most %(n)s copies.") % {"n": MAX_CC}]})
    return cleaned


def _check(user: Any, draft: Draft) -> Contact:
    if not access.is_active_user(user) or access.is_read_only(user):
        raise PermissionDeniedError()
    contact: Contact = access.get_for(
        user, Contact.objects.select_related("account"), draft.contact.pk, "change"
    )
    if contact.do_not_contact:
        raise MailError(
            _("%(name)s is marked “do not contact”: no e-mail is sent.") % {"name": contact},
            fields={"contact": [_("This contact does not want to be contacted.")]},
        )
    if not contact.emails:
        raise MailError(fields={"contact": [_("This contact has no e-mail address.")]})
    deal = draft.deal
    if deal is not None:
        access.get_for(user, type(deal)._default_manager.all(), deal.pk, "change")
        if deal.account_id != contact.account_id:
            raise MailError(fields={"deal": [_("The deal belongs to another account.")]})
    return contact


def _sender(user: Any) -> str:
    if user.email:
        return formataddr((user.get_full_name() or "", user.email))
    return str(settings.DEFAULT_FROM_EMAIL)


def _domain() -> str:
    return str(settings.DEFAULT_FROM_EMAIL).rpartition("@")[2].strip(">") or "kam.localhost"


def _build(user: Any, draft: Draft, contact: Contact, subject: str, body: str) -> EmailMessage:
    headers = {"Message-ID": make_msgid(domain=_domain()), "Date": formatdate(localtime=False)}
    if draft.reply_to is not None and draft.reply_to.message_id:
        parent = draft.reply_to
        headers["In-Reply-To"] = f"<{parent.message_id}>"
        refs = [*parent.references.split(), parent.message_id]
        headers["References"] = " ".join(f"<{ref}>" for ref in refs)
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=_sender(user),
        to=[formataddr((contact.full_name, contact.emails[0]))],
        cc=list(draft.cc),
        headers=headers,
    )


@transaction.atomic
def message_send(*, user: Any, draft: Draft) -> Message:
    """Send `draft` to its contact (and cc) and keep the exact message sent.

    Refused for a contact marked "do not contact" or without an address, and without the right
    to change the contact's account (and deal). The message and its activity are written in the
    same transaction as the send: a send that fails writes nothing; an SMTP refusal answers
    MailError with the server's reason.
    """
    contact = _check(user, draft)
    draft = Draft(
        contact, draft.subject, draft.body, tuple(_clean_cc(draft.cc)), draft.deal, draft.reply_to
    )
    context = template_context(contact=contact, deal=draft.deal, user=user)
    subject = " ".join(render(draft.subject, context, "subject").split())
    body = render(draft.body, context, "body")
    if not subject:
        raise MailError(fields={"subject": [_("The subject is empty.")]})
    email = _build(user, draft, contact, subject, body)
    raw = email.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]  # Django's MIME
    # SMTP ends the data with CRLF (smtplib adds it): keep what the server receives.
    raw = raw if raw.endswith(b"\r\n") else raw + b"\r\n"
    message = _record(user, draft, contact, email, _Rendered(subject, body, raw))
    _deliver(email)
    return message


@dataclass(frozen=True)
class _Rendered:
    subject: str
    body: str
    raw: bytes


def _record(
    user: Any, draft: Draft, contact: Contact, email: EmailMessage, sent: _Rendered
) -> Message:
    message_id = email.extra_headers["Message-ID"].strip("<>")
    parent = draft.reply_to
    with acting_as(user):
        message = Message.objects.create(
            direction=choices.MessageDirection.OUTBOUND,
            message_id=message_id,
            in_reply_to=parent.message_id if parent else "",
            references=email.extra_headers.get("References", "").replace("<", "").replace(">", ""),
            thread_key=(parent.thread_key or parent.message_id) if parent else message_id,
            from_address=(user.email or settings.DEFAULT_FROM_EMAIL).lower(),
            from_name=user.get_full_name(),
            to_addresses=[contact.emails[0].lower()],
            cc_addresses=[a.lower() for a in draft.cc],
            subject=sent.subject,
            subject_key=subject_key(sent.subject),
            text_body=sent.body,
            sent_at=timezone.now(),
            account=contact.account,
            contact=contact,
            deal=draft.deal,
            owner=user,
            raw=sent.raw,
        )
        message.activity = _log_activity(user, draft, contact, sent)
        message.save(update_fields=["activity", "updated_at"])
    return message


def _log_activity(user: Any, draft: Draft, contact: Contact, sent: _Rendered) -> Any:
    return activity_create(
        user=user,
        data={
            "kind": Kind.EMAIL,
            "direction": Direction.OUTBOUND,
            "account": contact.account,
            "deal": draft.deal,
            "contacts": [contact],
            "subject": sent.subject[:255],
            "body": sent.body,
        },
    )


def _deliver(email: EmailMessage) -> None:
    try:
        with get_connection(fail_silently=False) as connection:
            sent = connection.send_messages([email])
    except (OSError, ValueError) as error:  # smtplib errors are OSErrors
        raise MailError(
            _("The mail server refused the message: %(reason)s") % {"reason": error}
        ) from None
    if sent != 1:
        raise MailError(_("The mail server did not take the message."))


def template_for(*, user: Any, template_id: Any) -> EmailTemplate:
    """A template `user` may use: his own or a shared one."""
    found = (
        EmailTemplate.objects.filter(pk=template_id)
        .filter(access.visible_q(user, EmailTemplate) | _shared())
        .first()
    )
    if found is None:
        raise MailError(fields={"template": [_("Not found.")]})
    return found


def _shared() -> Any:
    from django.db.models import Q

    return Q(owner__isnull=True)


def _check_template(data: dict[str, Any]) -> None:
    for field in ("subject", "body"):
        if field not in data:
            continue
        error = campaign_templates.template_error(str(data[field]))
        if error:
            raise MailError(fields={field: [error]})


def _can_keep(user: Any, template: EmailTemplate) -> bool:
    """A template is kept by its owner; a shared one by admins."""
    if not access.is_active_user(user) or access.is_read_only(user):
        return False
    if template.owner_id is None:
        return access.can_administer(user)
    return bool(template.owner_id == user.pk or access.can_administer(user))


@transaction.atomic
def template_create(*, user: Any, data: dict[str, Any], is_shared: bool = False) -> EmailTemplate:
    """A template of `user`'s own (or shared: admins only); subject and text must be valid
    templates using the allowed tags only."""
    template = EmailTemplate(
        owner=None if is_shared else user,
        name=data.get("name", ""),
        subject=data.get("subject", ""),
        body=data.get("body", ""),
    )
    if not _can_keep(user, template):
        raise PermissionDeniedError()
    _check_template(data)
    try:
        template.full_clean()
    except ValidationError as error:
        raise MailError(_("Some values are not valid."), fields=error.message_dict) from None
    with acting_as(user):
        template.save()
    return template


@transaction.atomic
def template_update(
    *, user: Any, template: EmailTemplate, expected_version: int, data: dict[str, Any]
) -> EmailTemplate:
    if not _can_keep(user, template):
        raise PermissionDeniedError()
    changes = {k: v for k, v in data.items() if k in {"name", "subject", "body"}}
    _check_template(changes)
    return versioned_update(
        instance=template, expected_version=expected_version, changes=changes, user=user
    )


@transaction.atomic
def template_delete(*, user: Any, template: EmailTemplate) -> None:
    if not _can_keep(user, template):
        raise PermissionDeniedError()
    with acting_as(user):
        template.delete()

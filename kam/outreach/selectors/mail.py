"""Reads of mail: messages, mailboxes, templates and unknown senders, scoped to the user.

Who sees a message: who sees its account, plus its owner (the sender of an outgoing one, the
owner of the mailbox it came into, the user who imported it), plus the head of sales, auditors
and admins (they see everything). A message from an unknown sender in a shared mailbox has no
account and no owner: only those three roles see it until someone links it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from kam.core import access
from kam.outreach import choices
from kam.outreach.models import EmailTemplate, Mailbox, Message

# The list columns: the raw bytes and bodies stay in the database until a detail asks.
LIST_DEFERRED = ("raw", "text_body", "html_body", "references")


def message_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Message]:
    """The messages `user` may see, newest first; `filters`: contact, account, deal (ids),
    direction, is_malformed, mailbox."""
    queryset = (
        Message.objects.visible_to(user)
        .select_related("contact", "account", "deal", "mailbox", "owner")
        .defer(*LIST_DEFERRED)
        .order_by("-sent_at", "-pk")
    )
    for name, value in (filters or {}).items():
        if value not in (None, ""):
            queryset = queryset.filter(**{name: value})
    return queryset


def message_thread(*, user: Any, message: Message) -> list[Message]:
    """The visible messages of `message`'s thread, oldest first."""
    if not message.thread_key:
        return [message]
    return list(
        Message.objects.visible_to(user)
        .filter(Q(thread_key=message.thread_key) | Q(message_id=message.thread_key))
        .select_related("contact", "owner")
        .defer(*LIST_DEFERRED)
        .order_by("sent_at", "pk")[:200]
    )


def messages_for_record(
    *, user: Any, contact: Any = None, account: Any = None
) -> QuerySet[Message]:
    """The panel on a contact's or account's page."""
    filters = {"contact": contact} if contact is not None else {"account": account}
    return message_list(user=user, filters=filters)


def unknown_senders(*, user: Any) -> QuerySet[Any]:
    """Senders of received messages that match no contact: address, name, count, last date."""
    return (
        Message.objects.visible_to(user)
        .filter(
            direction=choices.MessageDirection.INBOUND,
            contact__isnull=True,
            is_malformed=False,
        )
        .exclude(from_address="")
        .values("from_address")
        .annotate(name=Max("from_name"), count=Count("pk"), last=Max("sent_at"))
        .order_by("-last", "from_address")
    )


def mailbox_list(*, user: Any) -> QuerySet[Mailbox]:
    """A user's own mailboxes; everything for those who see all (shared ones included)."""
    return (
        Mailbox.objects.visible_to(user)
        .select_related("owner")
        .annotate(malformed=Count("messages", filter=Q(messages__is_malformed=True)))
        .order_by("name", "pk")
    )


def template_list(*, user: Any) -> QuerySet[EmailTemplate]:
    """The templates `user` may use: his own and the shared ones."""
    if not access.is_active_user(user):
        return EmailTemplate.objects.none()
    return EmailTemplate.objects.filter(
        access.visible_q(user, EmailTemplate) | Q(owner__isnull=True)
    ).order_by("name", "pk")

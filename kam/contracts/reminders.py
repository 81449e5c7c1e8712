"""Renewal notices and overdue-obligation alerts: in the app and by e-mail, each exactly once.

A beat task runs `notices_send()`. Each notice is claimed by a conditional UPDATE
(`... SET renewal_notified_at = now WHERE renewal_notified_at IS NULL AND ...`) in its own short
transaction together with its in-app notifications, as `kam.activities.reminders` does: whoever's
UPDATE changed the row owns the notice, so two runs at once never notify twice. E-mails go out
after the claim committed (at most once by e-mail, exactly once in the UI).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from kam.contracts import choices
from kam.contracts.models import Contract, Obligation
from kam.users.services import notification_create

logger = logging.getLogger(__name__)
BATCH = 500


@dataclass(frozen=True)
class Notice:
    recipient_email: str
    subject: str
    body: str


def _day(day: date | None) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT") if day else "—"


def _renewal_message(contract: Contract) -> tuple[str, str]:
    title = _("Renewal notice: %(number)s %(title)s") % {
        "number": contract.number,
        "title": contract.title,
    }
    if contract.is_auto_renewal:
        line = _(
            "The contract ends on %(end)s and renews automatically for %(months)s months "
            "unless notice is given."
        ) % {"end": _day(contract.end_date), "months": contract.renewal_term_months}
    else:
        line = _("The contract ends on %(end)s: agree its renewal with the client.") % {
            "end": _day(contract.end_date)
        }
    return title, f"{line}\n{_('Account: %(name)s') % {'name': contract.account.name}}"


def _notify(recipient: Any, title_body: Any, url: str) -> Notice | None:
    if not recipient.is_active:
        return None
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        title, body = title_body()
    notification_create(recipient=recipient, title=title, body=body, url=url)
    return Notice(recipient.email, title, f"{body}\n\n{settings.KAM_BASE_URL}{url}\n")


def _claim_renewal(pk: int, *, now: datetime, today: date) -> list[Notice]:
    with transaction.atomic():
        claimed = Contract.objects.filter(
            pk=pk,
            status__in=choices.IN_FORCE,
            renewal_notified_at__isnull=True,
            notice_date__lte=today,
        ).update(renewal_notified_at=now)
        if not claimed:
            return []
        contract = Contract.objects.select_related("account", "owner").get(pk=pk)
        url = reverse("contracts:contract_detail", args=[pk])
        notice = _notify(contract.owner, lambda: _renewal_message(contract), url)
        return [notice] if notice else []


def _overdue_message(obligation: Obligation) -> tuple[str, str]:
    contract = obligation.contract
    title = _("Overdue obligation: %(what)s") % {"what": obligation.description[:120]}
    body = _("Due %(due)s under contract %(number)s (%(side)s side), account %(account)s.") % {
        "due": _day(obligation.due_date),
        "number": contract.number,
        "side": obligation.get_side_display().lower(),
        "account": contract.account.name,
    }
    return title, body


def _overdue_recipients(obligation: Obligation) -> list[tuple[Any, str]]:
    """The contract's owner (to the contract page), the assignee and the department's staff
    (to their obligations page: they may not see the contract)."""
    own_url = reverse("contracts:contract_detail", args=[obligation.contract_id])
    their_url = reverse("contracts:my_obligations")
    recipients: dict[int, tuple[Any, str]] = {
        obligation.contract.owner.pk: (obligation.contract.owner, own_url)
    }
    others = []
    if obligation.assignee is not None:
        others.append(obligation.assignee)
    if obligation.department_id:
        others.extend(
            get_user_model().objects.filter(department=obligation.department_id, is_active=True)
        )
    for user in others:
        recipients.setdefault(user.pk, (user, their_url))
    return list(recipients.values())


def _claim_overdue(pk: int, *, now: datetime, today: date) -> list[Notice]:
    with transaction.atomic():
        claimed = Obligation.objects.filter(
            pk=pk,
            status=choices.ObligationStatus.OPEN,
            overdue_notified_at__isnull=True,
            due_date__lt=today,
        ).update(overdue_notified_at=now)
        if not claimed:
            return []
        obligation = Obligation.objects.select_related(
            "contract", "contract__account", "contract__owner", "assignee"
        ).get(pk=pk)
        notices = [
            _notify(user, lambda: _overdue_message(obligation), url)
            for user, url in _overdue_recipients(obligation)
        ]
        return [notice for notice in notices if notice is not None]


def _send(notice: Notice) -> bool:
    if not notice.recipient_email:
        return False
    try:
        send_mail(notice.subject, notice.body, None, [notice.recipient_email])
    except Exception:  # a mail server down must not stop the other notices
        logger.exception("could not e-mail a contract notice to %s", notice.recipient_email)
        return False
    return True


def _due(*, today: date) -> tuple[list[int], list[int]]:
    renewals = Contract.objects.filter(
        status__in=choices.IN_FORCE, renewal_notified_at__isnull=True, notice_date__lte=today
    )
    overdue = Obligation.objects.filter(
        status=choices.ObligationStatus.OPEN,
        overdue_notified_at__isnull=True,
        due_date__lt=today,
        contract__deleted_at__isnull=True,
        contract__status__in=choices.IN_FORCE,
    )
    return (
        list(renewals.order_by("notice_date", "pk").values_list("pk", flat=True)[:BATCH]),
        list(overdue.order_by("due_date", "pk").values_list("pk", flat=True)[:BATCH]),
    )


def notices_send(*, now: datetime | None = None) -> dict[str, int]:
    """Announce every renewal notice date reached and every obligation newly overdue.

    Safe to run twice and concurrently: each is claimed once. Returns how many contracts and
    obligations this run announced and how many e-mails went out.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    renewal_ids, overdue_ids = _due(today=today)
    sent = {"renewals": 0, "overdue": 0, "emails": 0}
    for key, ids, claim in (
        ("renewals", renewal_ids, _claim_renewal),
        ("overdue", overdue_ids, _claim_overdue),
    ):
        for pk in ids:
            notices = claim(pk, now=now, today=today)
            if not notices:
                continue
            sent[key] += 1
            sent["emails"] += sum(int(_send(notice)) for notice in notices)
    return sent

"""The vocabularies of contracts and obligations, and the contract's allowed status moves."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ContractKind(models.TextChoices):
    SUPPLY = "supply", _("Supply")
    SERVICE = "service", _("Service")
    FRAMEWORK = "framework", _("Framework")
    NDA = "nda", _("NDA")
    AGENCY = "agency", _("Agency")
    OTHER = "other", _("Other")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    NEGOTIATION = "negotiation", _("Negotiation")
    APPROVAL = "approval", _("Approval")
    SIGNED = "signed", _("Signed")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")
    RENEWED = "renewed", _("Renewed")


S = ContractStatus
# Where a contract may go from each status by a plain status change. `renewed` is not among them:
# only `services.contract_renew` sets it, when it creates the successor contract (from RENEWABLE);
# an auto-renewing contract stays active and gets a new end date (a `renewal` history entry).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.NEGOTIATION, S.TERMINATED}),
    S.NEGOTIATION: frozenset({S.DRAFT, S.APPROVAL, S.TERMINATED}),
    S.APPROVAL: frozenset({S.NEGOTIATION, S.SIGNED, S.TERMINATED}),
    S.SIGNED: frozenset({S.ACTIVE, S.TERMINATED}),
    S.ACTIVE: frozenset({S.EXPIRED, S.TERMINATED}),
    S.EXPIRED: frozenset(),
    S.TERMINATED: frozenset(),
    S.RENEWED: frozenset(),
}
# Statuses from which "Renew" makes a successor contract.
RENEWABLE = frozenset({S.ACTIVE, S.EXPIRED})
# Statuses in which a contract binds the parties (panels, renewal notices, obligations alerts).
IN_FORCE = frozenset({S.SIGNED, S.ACTIVE})
CLOSED = frozenset({S.EXPIRED, S.TERMINATED, S.RENEWED})


class ChangeEvent(models.TextChoices):
    CREATED = "created", _("Created")
    TRANSITION = "transition", _("Status change")
    RENEWAL = "renewal", _("Automatic renewal")


class Side(models.TextChoices):
    OURS = "ours", _("Ours")
    CLIENT = "client", _("Client's")


class ObligationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    WAIVED = "waived", _("Waived")

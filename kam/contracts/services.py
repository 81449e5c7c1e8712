"""Write use cases of contracts: create, edit, status moves, renewals; obligations of both sides.

Every write checks access through `kam.core.access`, validates the whole record, runs in one
transaction and is audited under the acting user (`kam.core.audit.acting_as`).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from kam.accounts.models import Account, Contact
from kam.catalog.models import Agreement
from kam.contracts import choices
from kam.contracts.errors import ContractError, ObligationError, TransitionRefusedError
from kam.contracts.models import Contract, ContractStatusChange, Obligation
from kam.contracts.selectors import account_group_root
from kam.core import access
from kam.core.audit import acting_as
from kam.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from kam.core.services import field_values, soft_delete
from kam.documents.generation import our_company
from kam.documents.models import Document
from kam.documents.services import document_generate
from kam.sales.models import Deal
from kam.users.models import Department

CONTRACT_FIELDS = frozenset(
    [
        "number",
        "kind",
        "title",
        "account",
        "other_accounts",
        "our_signatory",
        "client_signatories",
        "owner",
        "start_date",
        "end_date",
        "signed_on",
        "value",
        "currency",
        "deal",
        "agreement",
        "is_auto_renewal",
        "renewal_term_months",
        "notice_period_days",
        "has_referral_clause",
        "referral_terms",
        "notes",
    ]
)
OBLIGATION_FIELDS = frozenset(
    ["side", "description", "due_date", "department", "contact", "assignee"]
)
_M2M = ("other_accounts", "client_signatories")
S = choices.ContractStatus


def _full_clean(
    instance: Any, error: type[ContractError | ObligationError] = ContractError
) -> None:
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise error(_("Some values are not valid."), fields=exc.message_dict) from None


def _require(user: Any, obj: Any, action: access.Action) -> None:
    if not access.can(user, obj, action):
        raise PermissionDeniedError() if access.can(user, obj, "view") else NotFoundError()


# --- Numbers ---------------------------------------------------------------------------------


def contract_number_suggest(*, on: date | None = None) -> str:
    """The next free number of the year: C-2026-0001, C-2026-0002... (trash included, so a
    number is never handed out twice)."""
    year = (on or timezone.localdate()).year
    prefix = f"C-{year}-"
    taken = Contract.all_objects.filter(number__startswith=prefix).values_list("number", flat=True)
    highest = 0
    for number in taken:
        tail = number[len(prefix) :]
        if tail.isdigit():
            highest = max(highest, int(tail))
    return f"{prefix}{highest + 1:04d}"


# --- Parties ---------------------------------------------------------------------------------


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _linked_account(user: Any, value: Any) -> Account:
    """An account the user may change (linking a contract to it changes it): unknown, invisible
    and read-only accounts all answer 404, so nothing is learnt about accounts one cannot see."""
    account = Account.objects.filter(pk=_pk(value)).first() if value not in (None, "") else None
    if account is None or not access.can(user, account, "change"):
        raise NotFoundError(_("The account does not exist or is not yours to change."))
    return account


def _other_accounts(user: Any, account: Account, values: list[Any]) -> list[Account]:
    others = [_linked_account(user, value) for value in dict.fromkeys(_pk(v) for v in values)]
    root = account_group_root(account)
    foreign = [
        other.name
        for other in others
        if other.pk == account.pk or account_group_root(other) != root
    ]
    if foreign:
        raise ContractError(
            fields={
                "other_accounts": [
                    _("Only other accounts of the client's group can be parties: %(names)s.")
                    % {"names": ", ".join(foreign)}
                ]
            }
        )
    return others


def _signatories(values: list[Any], account_ids: set[int]) -> list[Contact]:
    ids = list(dict.fromkeys(_pk(v) for v in values))
    contacts = list(Contact.objects.filter(pk__in=ids, account_id__in=account_ids))
    if len(contacts) != len(ids):
        raise ContractError(
            fields={"client_signatories": [_("Choose contacts of the contract's accounts.")]}
        )
    return contacts


def _deal(user: Any, value: Any, account_ids: set[int]) -> Deal | None:
    if value in (None, ""):
        return None
    deal = Deal.objects.visible_to(user).filter(pk=_pk(value), account_id__in=account_ids).first()
    if deal is None:
        raise ContractError(fields={"deal": [_("Choose a deal of the contract's account.")]})
    return deal


def _agreement(user: Any, value: Any, account: Account) -> Agreement | None:
    """A key-account agreement the user sees, of the client's account or of its group."""
    if value in (None, ""):
        return None
    agreement = Agreement.objects.filter(pk=_pk(value)).select_related("account").first()
    if (
        agreement is None
        or not access.can(user, agreement)
        or account_group_root(agreement.account) != account_group_root(account)
    ):
        raise ContractError(
            fields={"agreement": [_("Choose a key-account agreement of the client's group.")]}
        )
    return agreement


def _active_user(value: Any, field: str, *, required: bool) -> Any:
    if value in (None, ""):
        if required:
            raise ContractError(fields={field: [_("Choose an active user.")]})
        return None
    user = get_user_model().objects.filter(pk=_pk(value), is_active=True).first()
    if user is None:
        raise ContractError(fields={field: [_("Choose an active user.")]})
    return user


# --- Contracts -------------------------------------------------------------------------------


def _clean_contract(user: Any, data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - CONTRACT_FIELDS
    if unknown:
        raise ContractError(fields={name: [_("Unknown field.")] for name in sorted(unknown)})
    hidden = [name for name in access.hidden_fields(user, Contract) if name in data]
    if hidden:
        raise ContractError(
            fields={name: [_("You do not have permission to set this field.")] for name in hidden}
        )
    cleaned = dict(data)
    for name in ("number", "title", "referral_terms", "currency"):
        if name in cleaned:
            cleaned[name] = str(cleaned[name] or "").strip()
    if "currency" in cleaned:
        cleaned["currency"] = cleaned["currency"].upper()
        if len(cleaned["currency"]) != 3 or not cleaned["currency"].isalpha():
            raise ContractError(fields={"currency": [_("Give a three-letter ISO 4217 code.")]})
    if "value" in cleaned:
        try:
            cleaned["value"] = Decimal(str(cleaned["value"] if cleaned["value"] is not None else 0))
        except InvalidOperation:
            raise ContractError(fields={"value": [_("Give an amount.")]}) from None
        if cleaned["value"] < 0:
            raise ContractError(fields={"value": [_("The value cannot be negative.")]})
    return cleaned


def _resolve_parties(user: Any, cleaned: dict[str, Any], contract: Contract | None) -> None:
    """Replace ids by checked records: account, group accounts, signatories, deal, users."""
    if "account" in cleaned or contract is None:
        cleaned["account"] = _linked_account(user, cleaned.get("account"))
    if contract is not None and cleaned.get("account", contract.account) != contract.account:
        # Another client: the parties kept from before must belong to its group too.
        cleaned.setdefault("other_accounts", list(contract.other_accounts.all()))
        cleaned.setdefault("client_signatories", list(contract.client_signatories.all()))
        cleaned.setdefault("deal", contract.deal_id)
        cleaned.setdefault("agreement", contract.agreement_id)
    account: Account = cleaned.get("account") or contract.account  # type: ignore[union-attr]
    if "other_accounts" in cleaned:
        cleaned["other_accounts"] = _other_accounts(user, account, cleaned["other_accounts"] or [])
    others = cleaned.get("other_accounts")
    if others is None:
        others = list(contract.other_accounts.all()) if contract is not None else []
    account_ids = {account.pk, *(other.pk for other in others)}
    if "client_signatories" in cleaned:
        cleaned["client_signatories"] = _signatories(
            cleaned["client_signatories"] or [], account_ids
        )
    if "deal" in cleaned:
        cleaned["deal"] = _deal(user, cleaned["deal"], account_ids)
    if "agreement" in cleaned:
        cleaned["agreement"] = _agreement(user, cleaned["agreement"], account)
    if "owner" in cleaned:
        cleaned["owner"] = _active_user(cleaned["owner"], "owner", required=True)
    if "our_signatory" in cleaned:
        cleaned["our_signatory"] = _active_user(
            cleaned["our_signatory"], "our_signatory", required=False
        )


def _notice_date(contract: Contract) -> date | None:
    if contract.end_date is None or not contract.notice_period_days:
        return None
    return contract.end_date - timedelta(days=contract.notice_period_days)


@transaction.atomic
def contract_create(*, user: Any, data: dict[str, Any]) -> Contract:
    """Create a draft contract. The account must be one the user may change; without a number,
    the year's next one is given. Writes the first history entry; audited."""
    if access.is_read_only(user) or not access.is_active_user(user):
        raise PermissionDeniedError()
    cleaned = _clean_contract(user, data)
    _resolve_parties(user, cleaned, None)
    m2m = {name: cleaned.pop(name) for name in _M2M if name in cleaned}
    cleaned.setdefault("owner", user)
    contract = Contract(**cleaned)
    contract.notice_date = _notice_date(contract)
    _save_numbered(user, contract, suggest=not contract.number)
    with acting_as(user):
        for name, values in m2m.items():
            getattr(contract, name).set(values)
    ContractStatusChange.objects.create(
        contract=contract,
        event=choices.ChangeEvent.CREATED,
        to_status=contract.status,
        changed_by=user,
    )
    return contract


def _save_numbered(user: Any, contract: Contract, *, suggest: bool) -> None:
    """Save a new contract; with `suggest`, under the next free number of its start year."""
    for _attempt in range(5):
        if suggest:
            contract.number = contract_number_suggest(on=contract.start_date)
        _full_clean(contract)
        try:
            with transaction.atomic(), acting_as(user):
                contract.save()
            return
        except IntegrityError:
            # Two contracts took the same suggested number at once: suggest the next one.
            if not suggest:
                raise ContractError(fields={"number": [_("This number is taken.")]}) from None
            contract.pk = None
            contract._state.adding = True
    raise ContractError(fields={"number": [_("No free number was found; try again.")]})


@transaction.atomic
def contract_update(
    *, user: Any, contract: Contract, expected_version: int, data: dict[str, Any]
) -> Contract:
    """Edit a contract if nobody saved it since `expected_version` was read (else ConflictError
    with the current values). Status changes go through `contract_transition`."""
    _require(user, contract, "change")
    locked = Contract.all_objects.select_for_update().get(pk=contract.pk)
    cleaned = _clean_contract(user, data)
    if locked.version != expected_version:
        raise ConflictError(
            extra={"current": _current(user, locked, list(cleaned)), "version": locked.version}
        )
    _resolve_parties(user, cleaned, locked)
    m2m = {name: cleaned.pop(name) for name in _M2M if name in cleaned}
    old_end, old_notice = locked.end_date, locked.notice_period_days
    for name, value in cleaned.items():
        setattr(locked, name, value)
    if not locked.number:
        locked.number = contract_number_suggest(on=locked.start_date)
    locked.notice_date = _notice_date(locked)
    if (locked.end_date, locked.notice_period_days) != (old_end, old_notice):
        locked.renewal_notified_at = None  # a new notice date: a new notice
    _full_clean(locked)
    with acting_as(user):
        locked.save()
        for name, values in m2m.items():
            getattr(locked, name).set(values)
    return locked


def _current(user: Any, contract: Contract, names: list[str]) -> dict[str, Any]:
    hidden = set(access.hidden_fields(user, Contract))
    values = field_values(contract, [n for n in names if n not in _M2M])
    return {key: value for key, value in values.items() if key not in hidden}


def _refusal(contract: Contract, status: str, reason: str, signed_on: date | None) -> str | None:
    """Why the contract may not take `status` now, or None."""
    current = S(contract.status)
    target = S(status)
    if target == S.RENEWED:
        return _("A contract is renewed with Renew, which creates its successor contract.")
    if target == current:
        return _("The contract is already %(status)s.") % {"status": current.label}
    allowed = contract.allowed_statuses
    if target not in allowed:
        if not allowed:
            return _("A %(status)s contract is closed; its status cannot change any more.") % {
                "status": current.label.lower()
            }
        return _("A %(from)s contract cannot become %(to)s; it can become: %(allowed)s.") % {
            "from": current.label.lower(),
            "to": target.label.lower(),
            "allowed": ", ".join(str(S(s).label).lower() for s in allowed),
        }
    today = timezone.localdate()
    if target == S.SIGNED:
        if signed_on is None:
            return _("Give the signing date to mark the contract signed.")
        if signed_on > today:
            return _("The signing date cannot be in the future.")
    if target == S.TERMINATED and not reason.strip():
        return _("Say why the contract is terminated.")
    if target == S.EXPIRED and (contract.end_date is None or contract.end_date >= today):
        return _("A contract expires only after its end date.")
    return None


@transaction.atomic
def contract_transition(
    *,
    user: Any,
    contract: Contract,
    status: str,
    reason: str = "",
    signed_on: date | None = None,
    expected_version: int | None = None,
) -> Contract:
    """Move the contract to `status` if the move is allowed (`choices.TRANSITIONS`) and its
    conditions hold (signed: a signing date; terminated: a reason). A refusal raises
    TransitionRefusedError carrying the reason and the allowed statuses; nothing is written.
    Locks the row; writes the history entry; audited."""
    _require(user, contract, "change")
    locked = Contract.all_objects.select_for_update().get(pk=contract.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(extra={"current": {"status": locked.status}, "version": locked.version})
    if status not in S.values:
        raise ContractError(
            fields={"status": [_("Unknown status %(status)s.") % {"status": status}]}
        )
    signed_on = signed_on or locked.signed_on
    refusal = _refusal(locked, status, reason, signed_on)
    if refusal:
        raise TransitionRefusedError(refusal, extra={"allowed": locked.allowed_statuses})
    previous = locked.status
    locked.status = status
    locked.signed_on = signed_on
    with acting_as(user):
        locked.save(update_fields=["status", "signed_on"])
    ContractStatusChange.objects.create(
        contract=locked,
        from_status=previous,
        to_status=status,
        reason=reason.strip(),
        changed_by=user if access.is_active_user(user) else None,
    )
    return locked


@transaction.atomic
def contract_delete(*, user: Any, contract: Contract) -> Contract:
    """Move a contract to the trash (its obligations go with it: they are hidden with it)."""
    return soft_delete(instance=contract, user=user)


# --- Renewals and expiry (the beat job) -------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    from dateutil.relativedelta import relativedelta

    result: date = day + relativedelta(months=months)
    return result


def _roll_over_one(pk: int, today: date) -> str | None:
    """Renew (auto-renewing) or expire one active contract whose end date passed; start one
    signed contract whose start date came. None when another run did it first."""
    with transaction.atomic():
        locked = Contract.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            return None
        if locked.status == S.SIGNED and locked.start_date <= today:
            _system_move(locked, S.ACTIVE, _("The start date came."))
            return "activated"
        if locked.status != S.ACTIVE or locked.end_date is None or locked.end_date >= today:
            return None
        if not (locked.is_auto_renewal and locked.renewal_term_months):
            _system_move(locked, S.EXPIRED, _("The end date passed."))
            return "expired"
        while locked.end_date < today:
            _renew_once(locked)
        return "renewed"


def _system_move(contract: Contract, status: str, reason: str) -> None:
    previous = contract.status
    contract.status = status
    contract.save(update_fields=["status"])
    ContractStatusChange.objects.create(
        contract=contract, from_status=previous, to_status=status, reason=reason
    )


def _renew_once(contract: Contract) -> None:
    assert contract.end_date is not None
    assert contract.renewal_term_months
    old_end = contract.end_date
    contract.end_date = _add_months(old_end, contract.renewal_term_months)
    contract.notice_date = _notice_date(contract)
    contract.renewal_notified_at = None
    contract.save(update_fields=["end_date", "notice_date", "renewal_notified_at"])
    ContractStatusChange.objects.create(
        contract=contract,
        event=choices.ChangeEvent.RENEWAL,
        from_status=contract.status,
        to_status=contract.status,
        reason=_("Renewed automatically for %(months)s months: end date %(old)s → %(new)s.")
        % {
            "months": contract.renewal_term_months,
            "old": old_end.isoformat(),
            "new": contract.end_date.isoformat(),
        },
    )


def contracts_roll_over(*, today: date | None = None, batch: int = 500) -> dict[str, int]:
    """Renew the auto-renewing contracts that reached their end, expire the others, start the
    signed ones whose start date came. Each contract in its own short locked transaction: safe
    to run twice and concurrently. Returns how many of each this run did."""
    today = today or timezone.localdate()
    due = (
        Contract.objects.filter(status=S.ACTIVE, end_date__lt=today)
        | Contract.objects.filter(status=S.SIGNED, start_date__lte=today)
    ).order_by("pk")
    done = {"renewed": 0, "expired": 0, "activated": 0}
    for pk in list(due.values_list("pk", flat=True)[:batch]):
        outcome = _roll_over_one(pk, today)
        if outcome is not None:
            done[outcome] += 1
    return done


# --- Obligations -----------------------------------------------------------------------------


def _clean_obligation(contract: Contract, data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - OBLIGATION_FIELDS
    if unknown:
        raise ObligationError(fields={name: [_("Unknown field.")] for name in sorted(unknown)})
    cleaned = dict(data)
    if "description" in cleaned:
        cleaned["description"] = str(cleaned["description"] or "").strip()
    if "department" in cleaned and cleaned["department"] not in (None, ""):
        department = Department.objects.filter(pk=_pk(cleaned["department"])).first()
        if department is None:
            raise ObligationError(fields={"department": [_("Choose a department.")]})
        cleaned["department"] = department
    if "assignee" in cleaned and cleaned["assignee"] not in (None, ""):
        assignee = get_user_model().objects.filter(pk=_pk(cleaned["assignee"]), is_active=True)
        cleaned["assignee"] = assignee.first()
        if cleaned["assignee"] is None:
            raise ObligationError(fields={"assignee": [_("Choose an active user.")]})
    if "contact" in cleaned and cleaned["contact"] not in (None, ""):
        account_ids = {contract.account_id, *contract.other_accounts.values_list("pk", flat=True)}
        contact = Contact.objects.filter(
            pk=_pk(cleaned["contact"]), account_id__in=account_ids
        ).first()
        if contact is None:
            raise ObligationError(
                fields={"contact": [_("Choose a contact of the contract's accounts.")]}
            )
        cleaned["contact"] = contact
    for name in ("department", "assignee", "contact"):
        if cleaned.get(name) in ("",):
            cleaned[name] = None
    return cleaned


def _check_responsible(obligation: Obligation) -> None:
    named = [
        name for name in ("department", "contact", "assignee") if getattr(obligation, f"{name}_id")
    ]
    if len(named) > 1:
        message = _("Name one responsible: a department, a contact or a user.")
        raise ObligationError(fields={name: [message] for name in named})
    if obligation.contact_id and obligation.side != choices.Side.CLIENT:
        raise ObligationError(
            fields={"contact": [_("A client's contact answers only for the client's side.")]}
        )


@transaction.atomic
def obligation_create(*, user: Any, contract: Contract, data: dict[str, Any]) -> Obligation:
    """Add an obligation to a contract the user may change."""
    _require(user, contract, "change")
    cleaned = _clean_obligation(contract, data)
    obligation = Obligation(contract=contract, **cleaned)
    _check_responsible(obligation)
    _full_clean(obligation, ObligationError)
    with acting_as(user):
        obligation.save()
    return obligation


@transaction.atomic
def obligation_update(
    *, user: Any, obligation: Obligation, expected_version: int, data: dict[str, Any]
) -> Obligation:
    """Edit what, when and who; needs the right to change the contract (department staff only
    close obligations)."""
    _require(user, obligation.contract, "change")
    locked = Obligation.all_objects.select_for_update().get(pk=obligation.pk)
    if locked.version != expected_version:
        raise ConflictError(
            extra={"current": field_values(locked, list(data)), "version": locked.version}
        )
    cleaned = _clean_obligation(locked.contract, data)
    for name, value in cleaned.items():
        setattr(locked, name, value)
    if locked.due_date != obligation.due_date:
        locked.overdue_notified_at = None
    _check_responsible(locked)
    _full_clean(locked, ObligationError)
    with acting_as(user):
        locked.save()
    return locked


@transaction.atomic
def obligation_close(
    *,
    user: Any,
    obligation: Obligation,
    status: str = choices.ObligationStatus.DONE,
    note: str = "",
) -> Obligation:
    """Mark an obligation done or waived (who and when recorded); reopen it with `open`.
    Allowed to whoever may change it: the contract's people, its department's staff, its
    assignee. Waiving needs a note saying why."""
    _require(user, obligation, "change")
    if status not in choices.ObligationStatus.values:
        raise ObligationError(fields={"status": [_("Choose done, waived or open.")]})
    locked = Obligation.all_objects.select_for_update().get(pk=obligation.pk)
    if locked.status == status:
        raise ObligationError(
            _("The obligation is already %(status)s.")
            % {"status": choices.ObligationStatus(status).label.lower()}
        )
    if status == choices.ObligationStatus.WAIVED and not note.strip():
        raise ObligationError(fields={"note": [_("Say why the obligation is waived.")]})
    is_open = status == choices.ObligationStatus.OPEN
    locked.status = status
    locked.closed_at = None if is_open else timezone.now()
    locked.closed_by = None if is_open else user
    locked.closing_note = "" if is_open else note.strip()
    with acting_as(user):
        locked.save(update_fields=["status", "closed_at", "closed_by", "closing_note"])
    return locked


@transaction.atomic
def obligation_delete(*, user: Any, obligation: Obligation) -> Obligation:
    return soft_delete(instance=obligation, user=user)


# --- Renewal by a successor contract ---------------------------------------------------------


def _renewal_refusal(contract: Contract) -> str | None:
    if contract.status == S.RENEWED:
        return _("The contract is already renewed.")
    if contract.status not in choices.RENEWABLE:
        return _("Only an active or expired contract can be renewed.")
    if contract.end_date is None:
        return _("An open-ended contract has no end date to continue from.")
    return None


def _successor_end(contract: Contract, start: date) -> date:
    """The renewal term when the contract has one, else as long as the contract ran."""
    assert contract.end_date is not None
    if contract.renewal_term_months:
        return _add_months(start, contract.renewal_term_months) - timedelta(days=1)
    return start + (contract.end_date - contract.start_date)


def _carry_obligations(user: Any, old: Contract, new: Contract) -> int:
    """Copy the old contract's open obligations to the new one; the old ones are waived with a
    note naming the successor (so nobody is reminded of them twice)."""
    carried = 0
    note = _("Carried over to contract %(number)s.") % {"number": new.number}
    for obligation in old.obligations.filter(status=choices.ObligationStatus.OPEN).order_by("pk"):
        copy = Obligation(
            contract=new,
            **{name: getattr(obligation, name) for name in OBLIGATION_FIELDS},
        )
        _full_clean(copy, ObligationError)
        obligation.status = choices.ObligationStatus.WAIVED
        obligation.closed_at = timezone.now()
        obligation.closed_by = user
        obligation.closing_note = note
        with acting_as(user):
            copy.save()
            obligation.save(update_fields=["status", "closed_at", "closed_by", "closing_note"])
        carried += 1
    return carried


@transaction.atomic
def contract_renew(
    *, user: Any, contract: Contract, expected_version: int | None = None
) -> Contract:
    """Renew an active or expired contract by a successor: a new draft contract under the next
    number, starting the day after the old one ends (for its renewal term, else as long as the
    old one ran), with the same parties, terms and value, and copies of the open obligations
    (the old ones are waived as carried over). The old contract becomes `renewed`; the two point
    at each other (`predecessor` / `successor`). Locks the old row; history and audit on both.
    A refusal raises TransitionRefusedError and writes nothing."""
    _require(user, contract, "change")
    locked = Contract.all_objects.select_for_update().get(pk=contract.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(extra={"current": {"status": locked.status}, "version": locked.version})
    refusal = _renewal_refusal(locked)
    if refusal:
        raise TransitionRefusedError(refusal, extra={"allowed": locked.allowed_statuses})
    assert locked.end_date is not None
    start = locked.end_date + timedelta(days=1)
    kept = CONTRACT_FIELDS - {"number", "start_date", "end_date", "signed_on", *_M2M}
    successor = Contract(
        **{name: getattr(locked, name) for name in kept},
        predecessor=locked,
        start_date=start,
        end_date=_successor_end(locked, start),
    )
    successor.notice_date = _notice_date(successor)
    _save_numbered(user, successor, suggest=True)
    with acting_as(user):
        successor.other_accounts.set(locked.other_accounts.all())
        successor.client_signatories.set(locked.client_signatories.all())
    ContractStatusChange.objects.create(
        contract=successor,
        event=choices.ChangeEvent.CREATED,
        to_status=successor.status,
        reason=_("Renews contract %(number)s.") % {"number": locked.number},
        changed_by=user,
    )
    previous = locked.status
    locked.status = S.RENEWED
    with acting_as(user):
        locked.save(update_fields=["status"])
    ContractStatusChange.objects.create(
        contract=locked,
        from_status=previous,
        to_status=S.RENEWED,
        reason=_("Renewed by contract %(number)s.") % {"number": successor.number},
        changed_by=user,
    )
    _carry_obligations(user, locked, successor)
    return successor


# --- Generated documents ---------------------------------------------------------------------


def _money(value: Decimal, currency: str) -> str:
    return f"{number_format(value, 2, force_grouping=True)} {currency}"


def _day(value: date | None) -> str:
    return date_format(value, "SHORT_DATE_FORMAT") if value else ""


def _person(user: Any) -> str:
    return str(user.get_full_name() or user.username) if user else ""


def _clauses(contract: Contract) -> list[dict[str, str]]:
    """The contract's terms as the document's numbered clauses."""
    clauses = [{"title": _("Price"), "text": _money(contract.value, contract.currency)}]
    term = _("From %(start)s until %(end)s.") % {
        "start": _day(contract.start_date),
        "end": _day(contract.end_date) or _("further notice"),
    }
    if contract.is_auto_renewal:
        term += " " + _("Renews automatically for %(months)s months.") % {
            "months": contract.renewal_term_months
        }
    if contract.notice_period_days:
        term += " " + _("Notice period: %(days)s days.") % {"days": contract.notice_period_days}
    clauses.append({"title": _("Term"), "text": term})
    others = [a.legal_name or a.name for a in contract.other_accounts.order_by("name")]
    if others:
        clauses.append({"title": _("Other parties of the group"), "text": ", ".join(others)})
    if contract.agreement is not None:
        clauses.append(
            {
                "title": _("Key-account agreement"),
                "text": _("%(title)s, valid from %(start)s.")
                % {"title": contract.agreement.title, "start": _day(contract.agreement.valid_from)},
            }
        )
    for obligation in (
        contract.obligations.exclude(status=choices.ObligationStatus.WAIVED)
        .select_related("department", "contact", "assignee")
        .order_by("side", "due_date", "pk")
    ):
        due = _("due %(date)s") % {"date": _day(obligation.due_date)} if obligation.due_date else ""
        responsible = str(obligation.department or obligation.contact or obligation.assignee or "")
        details = "; ".join(part for part in (due, responsible) if part)
        clauses.append(
            {
                "title": _("Obligation (%(side)s)") % {"side": obligation.get_side_display()},
                "text": f"{obligation.description} ({details})"
                if details
                else obligation.description,
            }
        )
    if contract.has_referral_clause:
        clauses.append({"title": _("Recommendations"), "text": contract.referral_terms})
    signatories = [
        f"{c.full_name} ({c.job_title})" if c.job_title else c.full_name
        for c in contract.client_signatories.order_by("last_name", "pk")
    ]
    clauses.append(
        {
            "title": _("Signatures"),
            "text": _("For us: %(ours)s. For the client: %(theirs)s.")
            % {
                "ours": _person(contract.our_signatory) or "—",
                "theirs": ", ".join(signatories) or "—",
            },
        }
    )
    return clauses


def contract_document_context(contract: Contract) -> dict[str, Any]:
    """The context of the documents app's "contract" template (see docs/documents.md). Includes
    the confidential value: `contract_generate_document` lets only those who see it generate."""
    account = contract.account
    details = ", ".join(part for part in (account.tax_number, account.registration_number) if part)
    signatories = [c.full_name for c in contract.client_signatories.order_by("last_name", "pk")]
    return {
        "number": contract.number,
        "date": contract.signed_on or timezone.localdate(),
        "title": f"{contract.number} {contract.title}",
        "currency": contract.currency,
        "seller": {**our_company(), "details": _person(contract.our_signatory)},
        "client": {
            "name": account.legal_name or account.name,
            "address": details,
            "contact": ", ".join(signatories),
        },
        "lines": [],
        "total": contract.value,
        "notes": "",
        "subject": contract.title,
        "starts_on": contract.start_date,
        "ends_on": contract.end_date,
        "clauses": _clauses(contract),
    }


@transaction.atomic
def contract_generate_document(*, user: Any, contract: Contract, fmt: str) -> Document:
    """Generate the contract as PDF or DOCX and store it on the contract (the documents app
    serves it, with the contract's access). Only for users who may change the contract and see
    its value (the document shows it); generating again adds the next version."""
    _require(user, contract, "change")
    if not access.can_see_confidential(user):
        raise PermissionDeniedError(_("Only users who may see the contract's value generate it."))
    if fmt not in ("pdf", "docx"):
        raise ContractError(fields={"fmt": [_("Choose PDF or DOCX.")]})
    return document_generate(
        record=contract,
        kind="contract",
        template="contract",
        context=contract_document_context(contract),
        fmt=fmt,
        actor=user,
    )

"""Write use cases of the work cycle: pipelines and stages, deals, moves, needs, objections.

Every write checks access through `kam.core.access`, validates the whole record, runs in one
transaction and is audited under the acting user (`kam.core.audit.acting_as`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Account, Contact
from kam.core import access, registry
from kam.core.audit import acting_as
from kam.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from kam.core.services import soft_delete, versioned_update
from kam.sales import defaults
from kam.sales.choices import Outcome, Priority
from kam.sales.errors import MoveRefusedError, SalesError
from kam.sales.models import Deal, Need, Objection, Pipeline, Stage, StageChange

DEAL_FIELDS = frozenset(
    [
        "account",
        "contacts",
        "title",
        "pipeline",
        "stage",
        "amount",
        "currency",
        "probability",
        "expected_close_date",
        "owner",
        "source",
        "products_of_interest",
        "next_step",
        "next_step_date",
        "lost_reason",
        "lost_to",
        "notes",
    ]
)
# Changed by moves only, so that a move is always checked against the stage's requirements.
_MOVE_ONLY = frozenset(["stage", "pipeline"])


def _invalid(fields: dict[str, list[str]], message: str | None = None) -> SalesError:
    return SalesError(message or _("Some values are not valid."), fields=fields)


def _full_clean(instance: Any, exclude: list[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        raise _invalid(error.message_dict) from None


# --- Pipelines and stages (administrators) ---------------------------------------------------


def _require_admin(user: Any) -> None:
    if not access.can_administer(user):
        raise PermissionDeniedError(_("Only an administrator can change pipelines and stages."))


def _clean_requirements(requirements: Any) -> list[str]:
    if requirements in (None, ""):
        return []
    if not isinstance(requirements, list | tuple) or not all(
        isinstance(r, str) for r in requirements
    ):
        raise _invalid({"requirements": [_("Give a list of requirement keys.")]})
    known = registry.stage_checks()
    unknown = [key for key in requirements if key not in known]
    if unknown:
        raise _invalid(
            {
                "requirements": [
                    _("Unknown requirement %(key)s; choose among: %(known)s.")
                    % {"key": unknown[0], "known": ", ".join(sorted(known)) or "—"}
                ]
            }
        )
    return list(dict.fromkeys(requirements))


@transaction.atomic
def pipeline_create(
    *,
    user: Any,
    name: str,
    description: str = "",
    stages: list[dict[str, Any]] | None = None,
) -> Pipeline:
    """Create a pipeline with its stages (by default: the seed's cycle, to be edited after)."""
    _require_admin(user)
    pipeline = Pipeline(name=(name or "").strip(), description=description)
    _full_clean(pipeline)
    rows = stages if stages is not None else defaults.stage_rows()
    outcomes = {str(row.get("outcome", Outcome.OPEN)) for row in rows}
    if not {Outcome.OPEN, Outcome.WON, Outcome.LOST} <= outcomes:
        raise _invalid(
            {"stages": [_("A pipeline needs at least one open, one won and one lost stage.")]}
        )
    with acting_as(user):
        pipeline.save()
        for position, row in enumerate(rows, start=1):
            _stage_save(
                user=user,
                stage=Stage(pipeline=pipeline, position=row.get("position") or position),
                data=row,
            )
    return pipeline


@transaction.atomic
def pipeline_update(
    *, user: Any, pipeline: Pipeline, expected_version: int, data: dict[str, Any]
) -> Pipeline:
    _require_admin(user)
    changes = {k: v for k, v in data.items() if k in {"name", "description", "is_default"}}
    if changes.get("is_default"):
        Pipeline.objects.exclude(pk=pipeline.pk).filter(is_default=True).update(is_default=False)
    try:
        return versioned_update(
            instance=pipeline, expected_version=expected_version, changes=changes, user=user
        )
    except ValidationError as error:
        raise _invalid(error.message_dict) from None


def _stage_save(*, user: Any, stage: Stage, data: dict[str, Any]) -> Stage:
    for name in ("name", "probability", "outcome", "position"):
        if name in data and data[name] is not None:
            setattr(stage, name, data[name])
    if "requirements" in data:
        stage.requirements = _clean_requirements(data["requirements"])
    stage.name = (stage.name or "").strip()
    _full_clean(stage)
    with acting_as(user):
        stage.save()
    return stage


@transaction.atomic
def stage_create(*, user: Any, pipeline: Pipeline, data: dict[str, Any]) -> Stage:
    """Add a stage; without a position it goes after the pipeline's last open stage."""
    _require_admin(user)
    position = data.get("position")
    if position is None:
        position = (pipeline.stages.aggregate(top=Max("position"))["top"] or 0) + 1
    return _stage_save(
        user=user, stage=Stage(pipeline=pipeline, position=position), data=dict(data)
    )


@transaction.atomic
def stage_update(*, user: Any, stage: Stage, expected_version: int, data: dict[str, Any]) -> Stage:
    """Rename, reorder, change the default probability or the entry requirements."""
    _require_admin(user)
    changes = {
        k: v
        for k, v in data.items()
        if k in {"name", "position", "probability", "requirements", "outcome"}
    }
    if "requirements" in changes:
        changes["requirements"] = _clean_requirements(changes["requirements"])
    if "name" in changes:
        changes["name"] = str(changes["name"] or "").strip()
    if "outcome" in changes and changes["outcome"] != stage.outcome:
        if stage.deals.exists():
            raise _invalid({"outcome": [_("Deals are in this stage; move them first.")]})
        _keep_outcome(stage)
    try:
        return versioned_update(
            instance=stage, expected_version=expected_version, changes=changes, user=user
        )
    except ValidationError as error:
        raise _invalid(error.message_dict) from None


def _keep_outcome(stage: Stage) -> None:
    others = Stage.objects.filter(pipeline=stage.pipeline_id, outcome=stage.outcome).exclude(
        pk=stage.pk
    )
    if not others.exists():
        raise _invalid(
            {"outcome": [_("A pipeline needs at least one open, one won and one lost stage.")]}
        )


@transaction.atomic
def stage_delete(*, user: Any, stage: Stage) -> None:
    _require_admin(user)
    if Deal.all_objects.filter(stage=stage).exists():
        raise SalesError(_("Deals are in this stage (or in the trash); move them first."))
    _keep_outcome(stage)
    with acting_as(user):
        stage.delete()


def default_pipeline() -> Pipeline:
    """The default pipeline; installs the seed's cycle if the database has none (a flushed test
    database, a restored backup that predates it)."""
    pipeline = Pipeline.objects.filter(is_default=True).order_by("pk").first()
    if pipeline is not None:
        return pipeline
    first = Pipeline.objects.order_by("pk").first()
    if first is not None:
        return first
    with transaction.atomic():
        pipeline = Pipeline.objects.create(name=defaults.DEFAULT_PIPELINE_NAME, is_default=True)
        Stage.objects.bulk_create(Stage(pipeline=pipeline, **row) for row in defaults.stage_rows())
    return pipeline


# --- Deals -----------------------------------------------------------------------------------


def _clean_deal(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - DEAL_FIELDS
    if unknown:
        raise _invalid({name: [_("Unknown field.")] for name in sorted(unknown)})
    cleaned = dict(data)
    for name in ("title", "next_step", "lost_reason", "lost_to", "currency"):
        if name in cleaned:
            cleaned[name] = str(cleaned[name] or "").strip()
    if "currency" in cleaned:
        cleaned["currency"] = cleaned["currency"].upper()
        if len(cleaned["currency"]) != 3 or not cleaned["currency"].isalpha():
            raise _invalid({"currency": [_("Give a three-letter ISO 4217 code, e.g. EUR.")]})
    if "amount" in cleaned:
        cleaned["amount"] = Decimal(str(cleaned["amount"] if cleaned["amount"] is not None else 0))
    return cleaned


def _check_owner(owner: Any) -> None:
    if owner is None or not getattr(owner, "is_active", False):
        raise _invalid({"owner": [_("The owner must be an active user.")]})


def _check_account(user: Any, account: Any) -> Account:
    """Linking a deal to an account needs the right to change the account."""
    if not isinstance(account, Account) or account.deleted_at is not None:
        raise _invalid({"account": [_("Choose an account.")]})
    if not access.can(user, account, "change"):
        raise NotFoundError(_("The account does not exist or is not yours to change."))
    return account


def _check_contacts(user: Any, account: Account, contacts: list[Contact]) -> None:
    foreign = [c for c in contacts if c.account_id != account.pk or c.deleted_at is not None]
    if foreign:
        raise _invalid(
            {
                "contacts": [
                    _("%(name)s does not work at %(account)s.")
                    % {"name": foreign[0], "account": account}
                ]
            }
        )


def _check_open_fields(deal: Deal) -> None:
    """While a deal is open, the next step and its date say what happens next."""
    if not deal.is_open:
        return
    errors: dict[str, list[str]] = {}
    if not deal.next_step:
        errors["next_step"] = [_("An open deal needs a next step.")]
    if deal.next_step_date is None:
        errors["next_step_date"] = [_("An open deal needs the date of its next step.")]
    if errors:
        raise _invalid(errors)


def _check_stage(deal: Deal) -> None:
    if deal.stage.pipeline_id != deal.pipeline_id:
        raise _invalid({"stage": [_("This stage belongs to another pipeline.")]})


@transaction.atomic
def deal_create(*, user: Any, data: dict[str, Any]) -> Deal:
    """Create a deal on an account the user may change. Pipeline: the default one; stage: its
    first; probability: the stage's unless given; owner: the creator unless given. Records the
    first StageChange (no previous stage)."""
    if access.is_read_only(user):
        raise PermissionDeniedError()
    cleaned = _clean_deal(data)
    account = _check_account(user, cleaned.pop("account", None))
    contacts = list(cleaned.pop("contacts", None) or [])
    _check_contacts(user, account, contacts)
    stage = cleaned.pop("stage", None)
    pipeline = cleaned.pop("pipeline", None) or (stage.pipeline if stage else default_pipeline())
    if stage is None:
        stage = Stage.objects.filter(pipeline=pipeline).order_by("position", "pk").first()
    owner = cleaned.pop("owner", None) or user
    _check_owner(owner)
    probability = cleaned.pop("probability", None)
    deal = Deal(account=account, pipeline=pipeline, stage=stage, owner=owner, **cleaned)
    if stage is None:
        raise _invalid({"stage": [_("This pipeline has no stages.")]})
    _check_stage(deal)
    deal.status = stage.outcome
    deal.probability = stage.probability if probability is None else probability
    deal.probability_overridden = probability is not None
    deal.stage_entered_at = timezone.now()
    if not deal.is_open:
        deal.closed_at = deal.stage_entered_at
        _check_lost(deal, stage)
    _check_open_fields(deal)
    _refuse_if_unmet(deal, stage)
    _full_clean(deal, exclude=["contacts"])
    with acting_as(user):
        deal.save()
        deal.contacts.set(contacts)
        StageChange.objects.create(
            deal=deal, to_stage=stage, changed_at=deal.stage_entered_at, changed_by=user
        )
    return deal


@transaction.atomic
def deal_update(*, user: Any, deal: Deal, expected_version: int, data: dict[str, Any]) -> Deal:
    """Edit a deal's fields (not its stage: that is `deal_move`). Setting `probability` marks it
    overridden; `probability=None` goes back to the stage's default."""
    access.get_for(user, Deal.objects.all(), deal.pk, "change")
    cleaned = _clean_deal(data)
    moved = _MOVE_ONLY & set(cleaned)
    if moved:
        stage = cleaned.get("stage")
        if stage is not None and stage.pk != deal.stage_id:
            raise _invalid({"stage": [_("Move the deal to change its stage.")]})
        cleaned.pop("stage", None)
        if cleaned.get("pipeline") is not None and cleaned["pipeline"].pk != deal.pipeline_id:
            raise _invalid({"pipeline": [_("A deal stays in its pipeline.")]})
        cleaned.pop("pipeline", None)
    contacts = cleaned.pop("contacts", None)
    account = deal.account
    if "account" in cleaned and cleaned["account"] != deal.account:
        account = _check_account(user, cleaned["account"])
        if contacts is None and deal.contacts.exclude(account=account).exists():
            raise _invalid({"contacts": [_("The contacts work at the previous account.")]})
    if "owner" in cleaned and cleaned["owner"] != deal.owner:
        _check_owner(cleaned["owner"])
        if not access.can(user, account, "change"):
            raise PermissionDeniedError(
                _("Only who may change the account can give its deals to someone else.")
            )
    if "probability" in cleaned:
        if cleaned["probability"] is None:
            cleaned["probability"] = deal.stage.probability
            cleaned["probability_overridden"] = False
        else:
            cleaned["probability_overridden"] = True
    if contacts is not None:
        _check_contacts(user, account, list(contacts))
    preview = Deal(
        status=deal.status,
        **{
            name: cleaned.get(name, getattr(deal, name))
            for name in ("next_step", "next_step_date", "lost_reason")
        },
    )
    _check_open_fields(preview)
    if preview.status == Outcome.LOST and not preview.lost_reason:
        raise _invalid({"lost_reason": [_("A lost deal needs the reason it was lost.")]})
    try:
        updated = versioned_update(
            instance=deal, expected_version=expected_version, changes=cleaned, user=user
        )
    except ValidationError as error:
        raise _invalid(error.message_dict) from None
    if contacts is not None:
        with acting_as(user):
            updated.contacts.set(list(contacts))
    return updated


def _check_lost(deal: Deal, stage: Stage) -> None:
    if stage.outcome == Outcome.LOST and not deal.lost_reason:
        raise MoveRefusedError(
            _("Say why the deal was lost before moving it to %s.") % stage.name,
            fields={"lost_reason": [_("A lost deal needs the reason it was lost.")]},
        )


def unmet_requirements(deal: Deal, stage: Stage) -> list[str]:
    """The reasons `deal` may not enter `stage`, one per failing registered check."""
    checks = registry.stage_checks()
    reasons = []
    for key in stage.requirements or []:
        check = checks.get(key)
        if check is None:
            reasons.append(_("The requirement %s is not available.") % key)
            continue
        reason = check.check(deal)
        if reason:
            reasons.append(str(reason))
    return reasons


def _refuse_if_unmet(deal: Deal, stage: Stage) -> None:
    reasons = unmet_requirements(deal, stage)
    if reasons:
        raise MoveRefusedError(
            _("The deal cannot enter “%(stage)s”: %(reasons)s")
            % {"stage": stage.name, "reasons": " ".join(reasons)},
            fields={"stage": reasons},
        )


@transaction.atomic
def deal_move(
    *,
    user: Any,
    deal: Deal,
    stage: Stage,
    lost_reason: str = "",
    lost_to: str = "",
    expected_version: int | None = None,
) -> Deal:
    """Move a deal to `stage` of its pipeline, if the stage's requirements are met.

    Locks the deal row. Records a StageChange with the seconds spent in the previous stage;
    won/lost set the status and `closed_at`, reopening clears them. Refusals raise
    MoveRefusedError (HTTP 400) with the reason, and nothing is written.
    """
    access.get_for(user, Deal.objects.all(), deal.pk, "change")
    locked = Deal.objects.select_for_update().select_related("stage").get(pk=deal.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(extra={"version": locked.version})
    if stage.pipeline_id != locked.pipeline_id:
        raise MoveRefusedError(
            _("“%(stage)s” belongs to another pipeline than this deal's.") % {"stage": stage.name},
            fields={"stage": [_("This stage belongs to another pipeline.")]},
        )
    if stage.pk == locked.stage_id:
        return locked
    if lost_reason:
        locked.lost_reason = lost_reason.strip()
    if lost_to:
        locked.lost_to = lost_to.strip()
    _check_lost(locked, stage)
    if stage.outcome == Outcome.OPEN and (not locked.next_step or not locked.next_step_date):
        raise MoveRefusedError(
            _("Set the next step and its date before reopening the deal."),
            fields={"next_step": [_("An open deal needs a next step.")]},
        )
    _refuse_if_unmet(locked, stage)
    now = timezone.now()
    previous = locked.stage
    spent = max(0, int((now - locked.stage_entered_at).total_seconds()))
    locked.stage = stage
    locked.status = stage.outcome
    locked.stage_entered_at = now
    locked.closed_at = None if stage.outcome == Outcome.OPEN else now
    if stage.outcome != Outcome.LOST and not lost_reason:
        locked.lost_reason, locked.lost_to = "", ""
    if not locked.probability_overridden or stage.outcome != Outcome.OPEN:
        locked.probability = stage.probability
    _full_clean(locked, exclude=["contacts"])
    with acting_as(user):
        locked.save()
        StageChange.objects.create(
            deal=locked,
            from_stage=previous,
            to_stage=stage,
            changed_at=now,
            changed_by=user if user.is_authenticated else None,
            seconds_in_from_stage=spent,
        )
    return locked


@transaction.atomic
def deal_delete(*, user: Any, deal: Deal) -> Deal:
    return soft_delete(instance=deal, user=user)


# --- Needs and objections --------------------------------------------------------------------


def _deal_for_change(user: Any, deal: Deal) -> Deal:
    found: Deal = access.get_for(user, Deal.objects.all(), deal.pk, "change")
    return found


@transaction.atomic
def need_create(
    *,
    user: Any,
    deal: Deal,
    description: str,
    priority: str = Priority.MEDIUM,
    products: str = "",
) -> Need:
    deal = _deal_for_change(user, deal)
    need = Need(
        deal=deal, description=(description or "").strip(), priority=priority, products=products
    )
    _full_clean(need)
    with acting_as(user):
        need.save()
    return need


@transaction.atomic
def need_update(*, user: Any, need: Need, expected_version: int, data: dict[str, Any]) -> Need:
    _deal_for_change(user, need.deal)
    changes = {k: v for k, v in data.items() if k in {"description", "priority", "products"}}
    if "description" in changes:
        changes["description"] = str(changes["description"] or "").strip()
    try:
        return versioned_update(
            instance=need, expected_version=expected_version, changes=changes, user=user
        )
    except ValidationError as error:
        raise _invalid(error.message_dict) from None


@transaction.atomic
def need_delete(*, user: Any, need: Need) -> None:
    _deal_for_change(user, need.deal)
    with acting_as(user):
        need.delete()


@transaction.atomic
def objection_create(
    *,
    user: Any,
    deal: Deal,
    kind: str,
    description: str,
    answer: str = "",
    is_resolved: bool = False,
) -> Objection:
    """Record an objection; one raised and answered in the same meeting is created resolved
    (which needs the answer given)."""
    deal = _deal_for_change(user, deal)
    objection = Objection(
        deal=deal, kind=kind, description=(description or "").strip(), answer=answer.strip()
    )
    if is_resolved:
        if not objection.answer:
            raise _invalid({"answer": [_("Record the answer that resolved the objection.")]})
        objection.is_resolved, objection.resolved_at = True, timezone.now()
    _full_clean(objection)
    with acting_as(user):
        objection.save()
    return objection


@transaction.atomic
def objection_update(
    *, user: Any, objection: Objection, expected_version: int, data: dict[str, Any]
) -> Objection:
    """Edit an objection; resolving it needs the answer given, and stamps `resolved_at`."""
    _deal_for_change(user, objection.deal)
    changes = {
        k: v for k, v in data.items() if k in {"kind", "description", "answer", "is_resolved"}
    }
    for name in ("description", "answer"):
        if name in changes:
            changes[name] = str(changes[name] or "").strip()
    resolved = changes.get("is_resolved", objection.is_resolved)
    answer = changes.get("answer", objection.answer)
    if resolved and not answer:
        raise _invalid({"answer": [_("Record the answer that resolved the objection.")]})
    if resolved and not objection.is_resolved:
        changes["resolved_at"] = timezone.now()
    elif not resolved:
        changes["resolved_at"] = None
    try:
        return versioned_update(
            instance=objection, expected_version=expected_version, changes=changes, user=user
        )
    except ValidationError as error:
        raise _invalid(error.message_dict) from None


@transaction.atomic
def objection_resolve(
    *, user: Any, objection: Objection, answer: str, expected_version: int | None = None
) -> Objection:
    return objection_update(
        user=user,
        objection=objection,
        expected_version=objection.version if expected_version is None else expected_version,
        data={"answer": answer, "is_resolved": True},
    )


@transaction.atomic
def objection_delete(*, user: Any, objection: Objection) -> None:
    _deal_for_change(user, objection.deal)
    with acting_as(user):
        objection.delete()

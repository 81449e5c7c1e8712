"""Who may see and change which rows: decided here and nowhere else (DESIGN.md section 4).

Every model declares an `AccessSpec` saying how its rows relate to people (owner, shared team,
department, assignee) and/or that it inherits its access from a parent record (`via="account"`).
`visible_q()` turns the spec and the user's role into one `Q`, which every list, detail, count,
search, export, report, API endpoint and background job applies. Deny by default; grants add up:

- everyone: rows he owns, shares (account team) or is assigned to;
- a team lead: also the rows owned by his team's members;
- head of sales, admin: everything; auditor: everything, read-only;
- department staff and service agents: also rows assigned to their department;
- roles named in `readable_by`: every row of that model, read-only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from django.contrib.auth import get_user_model
from django.db.models import Model, Q

from kam.core import roles
from kam.core.errors import NotFoundError, PermissionDeniedError

if TYPE_CHECKING:
    from django.db.models import QuerySet

Action = Literal["view", "change", "delete"]
ACTIONS: tuple[Action, ...] = ("view", "change", "delete")
NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class AccessSpec:
    """How a model's rows relate to users. Paths are ORM lookups from the model."""

    owner: str | None = None
    members: str | None = None
    department: str | None = None
    assignee: str | None = None
    via: str | None = None
    public: bool = False
    readable_by: frozenset[str] = frozenset()
    confidential: tuple[str, ...] = field(default=())


def _role(user: Any) -> str | None:
    return getattr(user, "role", None)


def is_active_user(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def sees_all(user: Any) -> bool:
    return is_active_user(user) and (user.is_superuser or _role(user) in roles.SEE_ALL)


def changes_all(user: Any) -> bool:
    return is_active_user(user) and (user.is_superuser or _role(user) in roles.CHANGE_ALL)


def is_read_only(user: Any) -> bool:
    return _role(user) in roles.READ_ONLY and not user.is_superuser


def can_administer(user: Any) -> bool:
    return is_active_user(user) and (user.is_superuser or _role(user) in roles.ADMINISTER)


def can_see_confidential(user: Any) -> bool:
    return is_active_user(user) and (user.is_superuser or _role(user) in roles.SEE_CONFIDENTIAL)


def led_member_ids(user: Any) -> list[int]:
    """Ids of the members of the teams `user` leads (cached on the user object per request)."""
    cached = getattr(user, "_kam_led_member_ids", None)
    if cached is None:
        cached = list(
            get_user_model()
            .objects.filter(team__lead=user, team__deleted_at__isnull=True)
            .values_list("pk", flat=True)
        )
        user._kam_led_member_ids = cached
    return cached


def visible_q(user: Any, model: type[Model], action: Action = "view") -> Q:
    """The rows of `model` that `user` may see (`view`), edit (`change`) or delete (`delete`)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if not is_active_user(user):
        return NOTHING
    if action != "view" and is_read_only(user):
        return NOTHING
    if sees_all(user) and (action == "view" or changes_all(user)):
        return Q()
    return _spec_q(user, model, action)


def _spec_q(user: Any, model: type[Model], action: Action) -> Q:
    """The rule of `model`'s own spec, as lookups on `model` (no joins to a parent)."""
    spec: AccessSpec = getattr(model, "access", AccessSpec())
    grants: list[Q] = []
    if spec.via:
        # Inherit the parent's access; the row's own owner / assignee / department add to it
        # (a deal's owner on someone else's account, a task assigned to a logistics clerk).
        # Written as "the row's FK is one of the visible parents" so the database reads the
        # parent ids once and then uses the FK index, instead of joining the parent (and its
        # parent) for every row. The parent's rule is its own (recursively for via-of-via),
        # on all its rows: a parent in the trash still lends its access, as before.
        parent = model._meta.get_field(spec.via).related_model
        assert isinstance(parent, type)
        parent_q = _spec_q(user, parent, action)
        if not parent_q:
            return Q()  # every parent is visible (a public or readable_by parent): every row
        if parent_q is not NOTHING:
            parents = parent._base_manager.filter(parent_q).values("pk")
            grants.append(Q(**{f"{spec.via}__in": parents}))
    elif action == "view" and (spec.public or _role(user) in spec.readable_by):
        return Q()
    if spec.owner:
        grants.append(Q(**{spec.owner: user}))
        members = led_member_ids(user)
        if members:
            grants.append(Q(**{f"{spec.owner}__in": members}))
    if spec.assignee and action != "delete":
        grants.append(Q(**{spec.assignee: user}))
    if spec.members and action != "delete":
        # A sub-select keeps the outer query free of duplicate rows from the many-to-many join.
        shared = model._base_manager.filter(**{spec.members: user}).values("pk")
        grants.append(Q(pk__in=shared))
    if (
        spec.department
        and action != "delete"
        and _role(user) in roles.DEPARTMENT_SCOPED
        and getattr(user, "department_id", None)
    ):
        grants.append(Q(**{spec.department: user.department_id}))
    return _any(grants)


def _any(grants: Iterable[Q]) -> Q:
    result = NOTHING
    for grant in grants:
        result = grant if result is NOTHING else result | grant
    return result


def scope(queryset: QuerySet[Any], user: Any, action: Action = "view") -> QuerySet[Any]:
    return queryset.filter(visible_q(user, queryset.model, action))


def can(user: Any, obj: Model, action: Action = "view") -> bool:
    """Whether `user` may do `action` to this one row (one indexed query)."""
    model = obj._meta.model
    return bool(
        model._base_manager.filter(pk=obj.pk).filter(visible_q(user, model, action)).exists()
    )


def get_for(user: Any, queryset: QuerySet[Any], pk: Any, action: Action = "view") -> Any:
    """Fetch one row for an action. Missing, invisible: NotFound (the same 404, nothing leaks);
    visible but not allowed for the action: PermissionDenied."""
    try:
        obj = scope(queryset, user, "view").get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        _audit_denial(user, queryset.model, pk, action)
        raise NotFoundError() from None
    if action != "view" and not can(user, obj, action):
        _audit_denial(user, queryset.model, pk, action)
        raise PermissionDeniedError()
    return obj


def _audit_denial(user: Any, model: type[Model], pk: Any, action: Action) -> None:
    """Failed access attempts on rows that exist go to the audit trail (DESIGN.md section 4).

    A missing id is only a 404; a row the user may not touch is recorded with who tried what.
    """
    if not is_active_user(user):
        return
    try:
        target = model._base_manager.filter(pk=pk).first()
    except (ValueError, TypeError):
        return
    if target is None:
        return
    from auditlog.models import LogEntry

    from kam.core.audit import acting_as, log_event

    with acting_as(user):
        log_event(
            obj=target,
            action=LogEntry.Action.ACCESS,
            data={"event": "access_denied", "action": action},
        )


def confidential_fields(model: type[Model]) -> tuple[str, ...]:
    return getattr(model, "access", AccessSpec()).confidential


def hidden_fields(user: Any, model: type[Model]) -> tuple[str, ...]:
    """The fields of `model` that must be absent for `user` (confidential, without permission)."""
    return () if can_see_confidential(user) else confidential_fields(model)

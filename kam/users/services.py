"""Write use cases for people and the organisation."""

from __future__ import annotations

import secrets
from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from kam.core import access
from kam.core.audit import acting_as, log_event
from kam.core.errors import PermissionDeniedError
from kam.core.roles import Role
from kam.core.services import versioned_update
from kam.users.errors import UserError
from kam.users.models import Department, Notification, Team, User


def _require_admin(actor: Any | None) -> None:
    """`actor=None` is the operator at the command line; otherwise an administrator is needed."""
    if actor is not None and not access.can_administer(actor):
        raise PermissionDeniedError("Only an administrator can manage users and teams.")


def generate_password() -> str:
    return secrets.token_urlsafe(12)


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    password: str | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    team: Team | None = None,
    department: Department | None = None,
    actor: Any | None = None,
    check_password: bool = True,
) -> tuple[User, str]:
    """Create a user; returns him and his password (generated when none is given)."""
    _require_admin(actor)
    if role not in Role.values:
        raise UserError(
            fields={"role": [f"Unknown role {role!r}; choose from {', '.join(Role.values)}."]}
        )
    if User.objects.filter(username__iexact=username).exists():
        raise UserError(fields={"username": [f"A user named {username!r} already exists."]})
    user = User(
        username=username,
        role=role,
        email=email,
        first_name=first_name,
        last_name=last_name,
        team=team,
        department=department,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    password = password or generate_password()
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise UserError(fields={"password": list(error.messages)}) from None
    user.set_password(password)
    try:
        user.full_clean()
    except ValidationError as error:
        raise UserError(fields=error.message_dict) from None
    with acting_as(actor):
        user.save()
    return user, password


@transaction.atomic
def user_update(*, user: User, expected_version: int, changes: dict[str, Any], actor: Any) -> User:
    """Change a user's profile (himself) or his role, team, department (an administrator)."""
    own_fields = {"first_name", "last_name", "email", "timezone", "language", "phone"}
    if not (actor.pk == user.pk and set(changes) <= own_fields):
        _require_admin(actor)
    if "role" in changes:
        changes["is_staff"] = changes["is_superuser"] = changes["role"] == Role.ADMIN
    return versioned_update(
        instance=user, expected_version=expected_version, changes=changes, user=actor
    )


@transaction.atomic
def user_deactivate(*, user: User, actor: Any | None) -> User:
    """Deactivate a user: his sessions and API tokens end at once. History is kept."""
    _require_admin(actor)
    if actor is not None and actor.pk == user.pk:
        raise UserError("You cannot deactivate yourself.")
    user.is_active = False
    with acting_as(actor):
        user.save(update_fields=["is_active"])
    AuthToken.objects.filter(user=user).delete()
    _clear_calendar_feed(user)
    _end_sessions(user)
    return user


def _end_sessions(user: User) -> int:
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def user_activate(*, user: User, actor: Any | None) -> User:
    """Let a deactivated user sign in again (he needs a new token: the old ones were ended)."""
    _require_admin(actor)
    user.is_active = True
    with acting_as(actor):
        user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def user_set_password(*, user: User, password: str, actor: Any | None) -> User:
    if actor is None or actor.pk != user.pk:
        _require_admin(actor)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise UserError(fields={"password": list(error.messages)}) from None
    user.set_password(password)
    with acting_as(actor):
        user.save(update_fields=["password"])
    return user


def token_create(*, user: User) -> str:
    """A fresh API token for `user`; only its hash is stored, so it is shown once."""
    if not user.is_active:
        raise UserError(f"{user.username} is deactivated; activate him before issuing a token.")
    _, key = AuthToken.objects.create(user=user)
    return str(key)


def token_revoke_all(*, user: User) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


# Token sizes: the key only finds the row; the secret carries the 256 bits that prove the holder.
CALENDAR_FEED_KEY_BYTES = 8  # 16 hex characters
CALENDAR_FEED_SECRET_BYTES = 32  # 43 URL-safe characters


def _require_self_or_admin(*, user: User, actor: Any | None) -> None:
    if actor is None or actor.pk != user.pk:
        _require_admin(actor)


@transaction.atomic
def calendar_feed_regenerate(*, user: User, actor: Any | None) -> str:
    """Give `user` a new private calendar feed address and return its token.

    The previous address stops answering at once. Audited as an event, without the token.
    """
    _require_self_or_admin(user=user, actor=actor)
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.is_active:
        raise UserError(f"{locked.username} is deactivated; activate him before issuing a feed.")
    locked.calendar_feed_key = secrets.token_hex(CALENDAR_FEED_KEY_BYTES)
    locked.calendar_feed_secret = secrets.token_urlsafe(CALENDAR_FEED_SECRET_BYTES)
    locked.save(update_fields=["calendar_feed_key", "calendar_feed_secret"])
    _log_calendar_feed(locked, actor, "regenerated")
    user.calendar_feed_key, user.calendar_feed_secret = (
        locked.calendar_feed_key,
        locked.calendar_feed_secret,
    )
    token = locked.calendar_feed_token
    assert token is not None
    return token


@transaction.atomic
def calendar_feed_revoke(*, user: User, actor: Any | None) -> bool:
    """End `user`'s calendar feed: its address answers 404 from now on. False if he had none."""
    _require_self_or_admin(user=user, actor=actor)
    locked = User.objects.select_for_update().get(pk=user.pk)
    had_feed = _clear_calendar_feed(locked)
    if had_feed:
        _log_calendar_feed(locked, actor, "revoked")
    user.calendar_feed_key, user.calendar_feed_secret = None, ""
    return had_feed


def _clear_calendar_feed(user: User) -> bool:
    if user.calendar_feed_key is None and not user.calendar_feed_secret:
        return False
    user.calendar_feed_key, user.calendar_feed_secret = None, ""
    user.save(update_fields=["calendar_feed_key", "calendar_feed_secret"])
    return True


def _log_calendar_feed(user: User, actor: Any | None, what: str) -> None:
    with acting_as(actor):
        log_event(
            obj=user,
            action=LogEntry.Action.UPDATE,
            data={"event": "calendar_feed", "change": what},
        )


@transaction.atomic
def team_create(*, name: str, lead: User | None = None, actor: Any | None) -> Team:
    _require_team_manager(actor)
    team = Team(name=name, lead=lead)
    try:
        team.full_clean()
    except ValidationError as error:
        raise UserError(fields=error.message_dict) from None
    with acting_as(actor):
        team.save()
    if lead is not None and lead.team_id is None:
        lead.team = team
        with acting_as(actor):
            lead.save(update_fields=["team"])
    return team


def _require_team_manager(actor: Any | None) -> None:
    if actor is not None and not access.changes_all(actor):
        raise PermissionDeniedError("Only the head of sales or an administrator manages teams.")


@transaction.atomic
def team_update(*, team: Team, expected_version: int, changes: dict[str, Any], actor: Any) -> Team:
    _require_team_manager(actor)
    return versioned_update(
        instance=team, expected_version=expected_version, changes=changes, user=actor
    )


@transaction.atomic
def department_create(*, name: str, kind: str, email: str = "", actor: Any | None) -> Department:
    _require_admin(actor)
    department = Department(name=name, kind=kind, email=email)
    try:
        department.full_clean()
    except ValidationError as error:
        raise UserError(fields=error.message_dict) from None
    with acting_as(actor):
        department.save()
    return department


@transaction.atomic
def department_update(
    *, department: Department, expected_version: int, changes: dict[str, Any], actor: Any
) -> Department:
    _require_admin(actor)
    return versioned_update(
        instance=department, expected_version=expected_version, changes=changes, user=actor
    )


def notification_create(
    *, recipient: User, title: str, body: str = "", url: str = ""
) -> Notification:
    return Notification.objects.create(recipient=recipient, title=title[:200], body=body, url=url)


def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())

"""`kam user` and `kam token`: happy paths and the one-line errors of bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kam.users.models import User

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_user_create_with_team_and_department(org: Any) -> None:
    output = run(
        "user",
        "create",
        "nina",
        "--role",
        "key_account_manager",
        "--team",
        "North",
        "--department",
        "Logistics",
        "--password",
        "Long-enough-42",
    )

    nina = User.objects.get(username="nina")
    assert output == "created nina (key_account_manager)\n"
    assert (nina.role, nina.team, nina.department) == (
        "key_account_manager",
        org.north,
        org.logistics,
    )
    assert nina.check_password("Long-enough-42")


def test_user_create_generates_and_prints_a_password_once(db: Any) -> None:
    output = run("user", "create", "ivan", "--role", "auditor")

    password = output.splitlines()[1].removeprefix("password: ")
    assert User.objects.get(username="ivan").check_password(password)
    assert len(password) >= 12


def test_user_create_makes_a_missing_team(db: Any) -> None:
    run("user", "create", "ivan", "--role", "account_manager", "--team", "East")

    assert User.objects.get(username="ivan").team.name == "East"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["user", "create", "x", "--role", "account_manager", "--department", "Nowhere"],
            "no department named 'Nowhere'",
        ),
        (["user", "create", "owner", "--role", "auditor"], "A user named 'owner' already exists."),
        (
            ["user", "create", "y", "--role", "auditor", "--password", "123"],
            "password: This password is too short.",
        ),
        (["user", "deactivate", "ghost"], "no user named 'ghost'"),
        (["token", "create", "ghost"], "no user named 'ghost'"),
    ],
)
def test_bad_input_raises_a_clear_error(org: Any, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_user_list_shows_every_user(org: Any) -> None:
    lines = run("user", "list").splitlines()

    assert lines[0].split() == ["USERNAME", "ROLE", "TEAM", "DEPARTMENT", "ACTIVE"]
    assert len(lines) == 13
    assert lines[1].split() == ["admin", "admin", "-", "-", "yes"]


def test_deactivate_and_token_revoke(org: Any) -> None:
    token = run("token", "create", "owner").strip()

    assert len(token) == 64
    assert run("token", "revoke", "owner") == "revoked 1 token(s) of owner\n"
    run("user", "deactivate", "owner")
    assert User.objects.get(username="owner").is_active is False
    with pytest.raises(CommandError, match="deactivated"):
        run("token", "create", "owner")


def kam(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KAM_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": ""}
    env.pop("DJANGO_SETTINGS_MODULE")
    env.pop("DATABASE_URL", None)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kam.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["user", "create", "x", "--role", "boss"], "invalid choice: 'boss'"),
        (
            ["user", "create", "x", "--role", "auditor", "--colour", "red"],
            "unrecognized arguments: --colour red",
        ),
        (["user", "frobnicate"], "invalid choice: 'frobnicate'"),
        (["token"], "the following arguments are required"),
    ],
)
def test_the_kam_command_exits_non_zero_with_a_reason(
    tmp_path: Path, args: list[str], reason: str
) -> None:
    result = kam(*args, tmp_path=tmp_path)

    assert result.returncode != 0
    assert reason in result.stderr.strip().splitlines()[-1]


def test_the_kam_command_runs_djangos_commands_with_kams_settings(tmp_path: Path) -> None:
    migrate = kam("migrate", "-v0", tmp_path=tmp_path)
    create = kam(
        "user",
        "create",
        "eve",
        "--role",
        "admin",
        "--password",
        "Very-long-pass-1",
        tmp_path=tmp_path,
    )
    listing = kam("user", "list", tmp_path=tmp_path)

    assert migrate.returncode == 0, migrate.stderr
    assert create.stdout == "created eve (admin)\n"
    assert "eve" in listing.stdout
    assert (tmp_path / "kam.sqlite3").exists()
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_activate_lets_a_deactivated_user_back_in(org: Any) -> None:
    run("user", "deactivate", "owner")

    assert run("user", "activate", "owner") == "activated owner\n"
    assert User.objects.get(username="owner").is_active is True

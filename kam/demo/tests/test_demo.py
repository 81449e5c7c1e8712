"""The demo data: deterministic, one login per role, refused on a database that has data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction

from kam.core.roles import Role
from kam.demo.generator import DEMO_PASSWORD, ROSTER, SIZES, generate
from kam.users.models import Department, Notification, Team, User

FROZEN = "2025-03-01 12:00:00+00:00"
ROOT = Path(__file__).resolve().parents[3]


class Rollback(Exception):
    pass


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Everything the demo wrote, by natural keys (no primary keys, which sequences decide)."""
    return {
        "departments": list(
            Department.all_objects.order_by("pk").values_list("name", "kind", "email")
        ),
        "teams": list(Team.all_objects.order_by("pk").values_list("name", "lead__username")),
        "users": list(
            User.objects.order_by("pk").values_list(
                "username",
                "role",
                "first_name",
                "last_name",
                "email",
                "team__name",
                "department__name",
                "is_staff",
                "is_superuser",
                "password",
            )
        ),
        "notifications": list(
            Notification.objects.order_by("pk").values_list(
                "recipient__username", "title", "body", "created_at"
            )
        ),
    }


def generate_and_roll_back(*, seed: int) -> dict[str, list[tuple[Any, ...]]]:
    """Run the demo in a savepoint, read what it wrote, and leave the database empty again."""
    try:
        with transaction.atomic(), time_machine.travel(FROZEN, tick=False):
            generate(size="small", seed=seed)
            data = snapshot()
            raise Rollback
    except Rollback:
        pass
    assert not User.objects.exists()
    return data


def test_same_seed_gives_the_same_data(db: Any) -> None:
    first = generate_and_roll_back(seed=7)
    second = generate_and_roll_back(seed=7)

    assert first == second
    assert [u[0] for u in first["users"]] == [r[0] for r in ROSTER]
    assert {t[0] for t in first["teams"]} == {"Key Accounts", "Corporate North"}
    assert {n[1] for n in first["notifications"]} >= {"Welcome to KAM", "Monthly report is due"}


def test_the_seed_changes_the_data(db: Any) -> None:
    one, two = generate_and_roll_back(seed=1), generate_and_roll_back(seed=2)

    assert one["users"] != two["users"]  # the password salt follows the seed
    assert [n[3] for n in one["notifications"]] != [n[3] for n in two["notifications"]]


def test_one_login_per_role_after_the_small_demo(db: Any) -> None:
    result = generate(size="small", seed=1)

    logins = User.objects.filter(username__in=[r[0] for r in ROSTER], is_active=True)
    assert {u.role for u in logins} == set(Role.values)
    for role in Role.values:
        user = logins.filter(role=role).first()
        assert user is not None, role
        assert user.check_password(DEMO_PASSWORD), user.username
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert Team.objects.get(name="Corporate North").lead == User.objects.get(username="lead")
    assert result.users == User.objects.count() == len(ROSTER)
    assert result.tables == {
        "users_department": Department.all_objects.count(),
        "users_team": Team.all_objects.count(),
        "users_user": User.objects.count(),
        "users_notification": Notification.objects.count(),
    }
    assert result.rows == sum(result.tables.values())


def test_demo_command_json_reports_the_rows_written(db: Any) -> None:
    out = StringIO()

    call_command("demo", "--json", "--seed", "3", stdout=out)

    summary = json.loads(out.getvalue())
    assert (summary["size"], summary["seed"]) == ("small", 3)
    assert summary["users"] == User.objects.count()
    assert summary["tables"]["users_notification"] == Notification.objects.count()
    assert summary["rows"] == sum(summary["tables"].values())
    assert summary["seconds"] > 0


def test_demo_command_prints_the_logins(db: Any) -> None:
    out = StringIO()

    call_command("demo", stdout=out)

    assert "Demo logins (password for each: kam-demo)" in out.getvalue()
    for username, *_ in ROSTER:
        assert f"  {username} " in out.getvalue()


def test_demo_refuses_a_database_that_has_users(db: Any) -> None:
    generate(size="small", seed=1)
    before = snapshot()

    with pytest.raises(CommandError) as refused:
        call_command("demo", stdout=StringIO())

    # `kam demo` prints "CommandError: <reason>" and exits with this code.
    assert refused.value.returncode != 0
    reason = str(refused.value)
    assert "\n" not in reason
    assert "empty database" in reason
    assert snapshot() == before


def test_generate_refuses_an_unknown_size(db: Any) -> None:
    with pytest.raises(ValueError, match="unknown size 'huge'"):
        generate(size="huge")
    assert not User.objects.exists()


def test_kam_demo_exits_non_zero_on_an_unknown_size(tmp_path: Path) -> None:
    # The real command line, with its own (local) settings and an empty data directory.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "KAM_ENV", "DJANGO_SETTINGS_MODULE"}
    }
    env["KAM_DATA_DIR"] = str(tmp_path)

    done = subprocess.run(
        [sys.executable, "-m", "kam.cli", "demo", "--size", "huge"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode != 0
    assert "invalid choice: 'huge'" in done.stderr
    assert ", ".join(repr(s) for s in sorted(SIZES)) in done.stderr

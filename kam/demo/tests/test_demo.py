"""The demo data: deterministic, one login per role, refused on a database that has data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction

from kam.accounts import validation
from kam.accounts.models import (
    Account,
    AccountAddress,
    AccountTeamMember,
    Contact,
    ContactConsent,
    Tag,
)
from kam.accounts.search import check_index, search
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
        "accounts": list(
            Account.all_objects.order_by("pk").values_list(
                "name",
                "legal_name",
                "country",
                "tax_number",
                "domain",
                "phones",
                "emails",
                "kind",
                "tier",
                "status",
                "owner__username",
                "parent__name",
                "referred_by__name",
                "source",
                "credit_limit",
                "notes",
                "created_at",
                "deleted_at",
            )
        ),
        "contacts": list(
            Contact.all_objects.order_by("pk").values_list(
                "account__name",
                "first_name",
                "middle_name",
                "last_name",
                "job_title",
                "buying_role",
                "emails",
                "phones",
                "birthday",
                "owner__username",
            )
        ),
        "consents": list(
            ContactConsent.objects.order_by("pk").values_list(
                "contact__emails", "channel", "is_granted", "given_at", "how"
            )
        ),
        "account_teams": list(
            AccountTeamMember.objects.order_by("pk").values_list(
                "account__name", "user__username", "role"
            )
        ),
        "tags": list(
            Account.tags.through.objects.order_by("pk").values_list("account__name", "tag__name")
        ),
        "addresses": list(
            AccountAddress.objects.order_by("pk").values_list(
                "account__name", "kind", "street", "city", "postal_code", "country"
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
    assert one["accounts"] != two["accounts"]
    assert one["contacts"] != two["contacts"]


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
        "accounts_tag": Tag.objects.count(),
        "accounts_account": Account.all_objects.count(),
        "accounts_accountaddress": AccountAddress.objects.count(),
        "accounts_accountteammember": AccountTeamMember.objects.count(),
        "accounts_account_tags": Account.tags.through.objects.count(),
        "accounts_contact": Contact.all_objects.count(),
        "accounts_contactconsent": ContactConsent.objects.count(),
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


# --- the customer base ----------------------------------------------------------------------


def test_small_demo_has_the_planned_customer_base(db: Any) -> None:
    generate(size="small", seed=1)

    plan = SIZES["small"]
    assert Account.all_objects.count() == plan["accounts"] == 60
    assert Contact.all_objects.count() == plan["contacts"] == 200
    assert Account.all_objects.filter(deleted_at__isnull=False).count() == plan["trashed"]
    kam, am, lead = (User.objects.get(username=u) for u in ("kam", "am", "lead"))
    assert set(Account.objects.values_list("owner__username", flat=True)) == {"kam", "am", "lead"}
    # Key and strategic accounts are the key-account manager's, bar one planted duplicate.
    assert set(
        Account.objects.exclude(tier="standard").values_list("owner__username", flat=True)
    ) == {"kam"}
    assert Account.objects.filter(owner=am, tier="standard").count() >= 10
    assert Account.objects.filter(owner=lead, tier="standard").count() >= 10
    assert {"lead", "prospect", "active"} <= set(Account.objects.values_list("status", flat=True))
    assert Account.objects.filter(kind="prospect").exists()
    assert {"decision_maker", "economic_buyer", "influencer", "user", "gatekeeper"} == set(
        Contact.objects.values_list("buying_role", flat=True)
    )
    assert ContactConsent.objects.filter(is_granted=True).count() >= 100
    assert AccountTeamMember.objects.filter(user=am, account__owner=kam).exists()
    assert Account.tags.through.objects.count() >= 10


def test_demo_groups_have_subsidiaries_two_levels_deep(db: Any) -> None:
    generate(size="small", seed=1)

    heads = Account.objects.filter(parent__isnull=True, subsidiaries__isnull=False).distinct()
    assert heads.count() == SIZES["small"]["groups"]
    for head in heads:
        subsidiaries = Account.objects.filter(parent=head)
        assert head.tier == "strategic"
        assert head.owner.username == "kam"
        assert 2 <= subsidiaries.count() <= 4
        assert {s.tier for s in subsidiaries} == {"key"}
        assert {s.owner_id for s in subsidiaries} == {head.owner_id}
    third_level = Account.objects.filter(parent__parent__in=heads)
    assert third_level.exists()
    assert not Account.objects.filter(parent__parent__parent__isnull=False).exists()


def test_demo_plants_duplicates_for_the_duplicate_finder(db: Any) -> None:
    generate(size="small", seed=1)

    latin, cyrillic = (
        Account.objects.get(name="Romashka LLC"),
        Account.objects.get(name="ООО Ромашка"),
    )
    assert latin.domain == cyrillic.domain == "romashka.ru"
    assert latin.tax_number == cyrillic.tax_number
    assert latin.owner != cyrillic.owner
    assert validation.name_key(latin.name) == validation.name_key(cyrillic.name) == "romashka"
    nordwerk = Account.objects.filter(name_key="nordwerk logistik")
    assert nordwerk.count() == 2
    assert len({a.tax_number for a in nordwerk}) == 1
    assert Account.objects.filter(domain="bluestone-foods.co.uk").count() == 2
    ivans = [c for c in Contact.objects.all() if "ivan.petrov@romashka.ru" in c.emails]
    assert {(c.account.name, c.last_name) for c in ivans} == {
        ("Romashka LLC", "Petrov"),
        ("ООО Ромашка", "Петров"),
    }


def test_demo_values_pass_the_validation_users_get(db: Any) -> None:
    generate(size="small", seed=1)

    for account in Account.all_objects.all():
        assert account.name_key == validation.name_key(account.name)
        if account.tax_number:
            assert validation.clean_tax_number(account.tax_number, str(account.country)) == (
                account.tax_number
            ), account.name
        for phone in account.phones:
            assert validation.clean_phone(phone, str(account.country)) == phone
    for contact in Contact.all_objects.select_related("account"):
        for email in contact.emails:
            assert validation.clean_email(email) == email
        for phone in contact.phones:
            assert validation.clean_phone(phone) == phone, contact
            assert phonenumbers.is_valid_number(phonenumbers.parse(phone)), phone


def test_demo_data_is_searchable(db: Any) -> None:
    generate(size="small", seed=1)
    head = User.objects.get(username="sales_head")

    hits = search(head, "Romashka", 8)

    assert {h.title for h in hits if h.score == 1.0} == {"Romashka LLC", "ООО Ромашка"}
    assert search(User.objects.get(username="am"), "ООО Ромашка", 8)[0].title == "Romashka LLC"
    check_index()


def test_bigger_sizes_spread_accounts_over_the_other_managers(db: Any, monkeypatch: Any) -> None:
    medium = {
        **SIZES["large"],
        "teams": 3,
        "users": 40,
        "notices": 1,
        "accounts": 400,
        "contacts": 1500,
        "groups": 12,
        "kam_groups": 2,
        "kam_standalone": 2,
        "trashed": 4,
    }
    monkeypatch.setitem(SIZES, "medium", medium)

    result = generate(size="medium", seed=5)

    assert result.tables["accounts_account"] == Account.all_objects.count() == 400
    assert result.tables["accounts_contact"] == Contact.all_objects.count() == 1500
    extra = User.objects.exclude(username__in=[r[0] for r in ROSTER])
    assert Account.objects.filter(owner__in=extra).count() > 200
    kam_groups = Account.objects.filter(owner__username="kam", tier="strategic")
    assert kam_groups.count() == 2
    assert Account.objects.filter(
        tier="strategic", owner__role=Role.KEY_ACCOUNT_MANAGER
    ).count() == (12)
    check_index()

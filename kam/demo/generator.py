"""Deterministic demo data: the same seed and size always give the same records.

Each app that lands adds its own realistic data here, so the demo shows the whole product.
Rows are written with `bulk_create` in batches (the audit trail starts after the demo).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from kam.core.roles import Role
from kam.users.models import Department, Notification, Team, User

DEMO_PASSWORD = "kam-demo"  # noqa: S105 - printed for the demo logins, documented in README

# One login per role, named after it, so a tester can sign in as each.
ROSTER: list[tuple[str, str, str, str, str | None, str | None]] = [
    # username, role, first, last, team, department
    ("admin", Role.ADMIN, "Alex", "Admin", None, None),
    ("sales_head", Role.SALES_HEAD, "Helen", "Rostova", None, "Sales"),
    ("kam", Role.KEY_ACCOUNT_MANAGER, "Kirill", "Antonov", "Key Accounts", "Sales"),
    ("am", Role.ACCOUNT_MANAGER, "Anna", "Mironova", "Corporate North", "Sales"),
    ("lead", Role.ACCOUNT_MANAGER, "Leonid", "Egorov", "Corporate North", "Sales"),
    ("service", Role.SERVICE_AGENT, "Sergei", "Volkov", None, "Service"),
    ("marketing", Role.MARKETING, "Maria", "Kotova", None, "Marketing"),
    ("logistics", Role.DEPARTMENT_STAFF, "Lev", "Orlov", None, "Logistics"),
    ("auditor", Role.AUDITOR, "Olga", "Auditova", None, "Finance"),
]
TEAM_LEADS = {"Key Accounts": "kam", "Corporate North": "lead"}
DEPARTMENTS = [
    ("Sales", Department.Kind.SALES),
    ("Logistics", Department.Kind.LOGISTICS),
    ("Finance", Department.Kind.FINANCE),
    ("Legal", Department.Kind.LEGAL),
    ("Production", Department.Kind.PRODUCTION),
    ("Service", Department.Kind.SERVICE),
    ("Marketing", Department.Kind.MARKETING),
]
FIRST = [
    "Anna",
    "Boris",
    "Dmitry",
    "Elena",
    "Fyodor",
    "Galina",
    "Igor",
    "Irina",
    "Maxim",
    "Natalia",
    "Oleg",
    "Pavel",
    "Svetlana",
    "Tatiana",
    "Viktor",
    "Yulia",
    "Peter",
    "Sarah",
    "James",
    "Laura",
    "Marco",
    "Sofia",
    "Jan",
    "Eva",
]
LAST = [
    "Ivanov",
    "Smirnova",
    "Kuznetsov",
    "Popova",
    "Sokolov",
    "Lebedeva",
    "Kozlov",
    "Novikova",
    "Morozov",
    "Petrova",
    "Schmidt",
    "Rossi",
    "Novak",
    "Dubois",
    "Berg",
    "Larsen",
]
REGIONS = ["North", "South", "East", "West", "Central", "Baltic", "Volga", "Ural", "Siberia"]
NOTICES = [
    ("Welcome to KAM", "Your customer base, deals and orders live here. Press Ctrl-K to search."),
    (
        "Monthly report is due",
        "Send your monthly report on successful and repeat deals by the 5th.",
    ),
    ("Exhibition next week", "Invite your key clients to the stand and plan meetings there."),
    ("New product line", "Study the new range before your next presentation."),
]
SIZES = {
    "small": {"teams": 0, "users": 0, "notices": 3},
    "large": {"teams": 250, "users": 5000, "notices": 20},
}


@dataclass
class DemoResult:
    rows: int
    users: int


def print_logins(out: IO[str] | Any) -> None:
    """The demo logins still present, one per role."""
    present = set(
        User.objects.filter(username__in=[r[0] for r in ROSTER], is_active=True).values_list(
            "username", flat=True
        )
    )
    if not present:
        return
    out.write(f"Demo logins (password for each: {DEMO_PASSWORD}):")
    for username, role, *_ in ROSTER:
        if username in present:
            out.write(f"  {username:<12} {Role(role).label}")


@transaction.atomic
def generate(*, size: str = "small", seed: int = 1) -> DemoResult:
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}")
    rng = random.Random(seed)
    plan = SIZES[size]
    now = timezone.now().replace(microsecond=0)
    password = make_password(DEMO_PASSWORD, salt=f"kamdemo{seed}")
    departments = {
        name: Department(name=name, kind=kind, email=f"{name.lower()}@example.com")
        for name, kind in DEPARTMENTS
    }
    Department.objects.bulk_create(departments.values())
    teams = {name: Team(name=name) for name in TEAM_LEADS}
    teams.update(
        {
            f"{REGIONS[i % len(REGIONS)]} {i + 1}": Team(
                name=f"{REGIONS[i % len(REGIONS)]} {i + 1}"
            )
            for i in range(plan["teams"])
        }
    )
    Team.objects.bulk_create(teams.values())
    users = [
        User(
            username=username,
            role=role,
            first_name=first,
            last_name=last,
            password=password,
            email=f"{username}@example.com",
            team=teams.get(team) if team else None,
            department=departments.get(dept) if dept else None,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        for username, role, first, last, team, dept in ROSTER
    ]
    extra_teams = list(teams.values())[len(TEAM_LEADS) :] or list(teams.values())
    for i in range(plan["users"]):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        role = rng.choice(
            [Role.ACCOUNT_MANAGER] * 6
            + [Role.KEY_ACCOUNT_MANAGER] * 2
            + [Role.SERVICE_AGENT, Role.DEPARTMENT_STAFF]
        )
        scoped = role in (Role.SERVICE_AGENT, Role.DEPARTMENT_STAFF)
        users.append(
            User(
                username=f"{first}.{last}.{i}".lower(),
                role=role,
                first_name=first,
                last_name=last,
                password=password,
                email=f"{first}.{last}.{i}@example.com".lower(),
                team=None if scoped else extra_teams[i % len(extra_teams)],
                department=departments["Service" if role == Role.SERVICE_AGENT else "Logistics"]
                if scoped
                else departments["Sales"],
            )
        )
    User.objects.bulk_create(users, batch_size=1000)
    by_name = {user.username: user for user in users[: len(ROSTER)]}
    leads = []
    for team_name, username in TEAM_LEADS.items():
        teams[team_name].lead = by_name[username]
        leads.append(teams[team_name])
    members = {}
    for user in users[len(ROSTER) :]:
        if user.team_id and user.team.name not in TEAM_LEADS:
            members.setdefault(user.team.name, user)
    for team_name, lead in members.items():
        teams[team_name].lead = lead
        leads.append(teams[team_name])
    Team.objects.bulk_update(leads, ["lead"], batch_size=1000)
    notices = []
    for user in users:
        for n in range(plan["notices"]):
            title, body = NOTICES[(n + user.pk) % len(NOTICES)]
            notices.append(
                Notification(
                    recipient=user,
                    title=title,
                    body=body,
                    created_at=now - timedelta(hours=n * 7 + rng.randint(0, 6)),
                )
            )
    Notification.objects.bulk_create(notices, batch_size=2000)
    rows = len(departments) + len(teams) + len(users) + len(leads) + len(notices)
    return DemoResult(rows=rows, users=len(users))

"""Deterministic demo data: the same seed and size always give the same records.

Each app that lands adds its own realistic data here, so the demo shows the whole product.
Rows are written with `insert_rows`: batched `executemany` INSERTs, no model instances and no
signals (the audit trail starts after the demo). The large demo writes 100k+ rows, where building
and compiling a model instance per row would cost most of the time (`make bench` measures it).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import IO, Any

from django.contrib.auth.hashers import make_password
from django.db import connections, models, router, transaction
from django.db.models.fields import NOT_PROVIDED
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
    rows: int  # rows inserted, all tables together
    users: int
    tables: dict[str, int] = field(default_factory=dict)  # rows inserted per table


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


_MEMO_SIZE = 10_000  # prepared values remembered per column


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def insert_rows(
    model: type[models.Model],
    rows: Iterable[Mapping[str, Any]],
    *,
    now: datetime,
    batch_size: int = 5000,
) -> int:
    """INSERT `rows` into `model`'s table in order; return how many were written.

    A row maps field attnames (`team_id` for a foreign key) to Python values. A field it leaves
    out gets `now` if it is `auto_now`/`auto_now_add` or defaults to `timezone.now`, else what a
    new model instance would get (a callable default is called for each row). Values go through
    the field's own `get_db_prep_save`, memoised per field: demo data repeats a few values a lot.
    An auto-increment primary key comes from the database; read it back by a natural key.
    """
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if f is not model._meta.auto_field]
    known = {f.attname for f in fields}
    # Per column: attname, field, memo of prepared values, and for a row that leaves it out
    # either a prepared constant or a callable whose result is prepared per row.
    spec: list[tuple[str, models.Field[Any, Any], dict[Any, Any], Any, Any]] = []
    for f in fields:
        constant: Any = NOT_PROVIDED
        make: Any = None
        auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        if auto or f.default is timezone.now:
            constant = f.get_db_prep_save(now, connection)
        elif f.db_default is not NOT_PROVIDED:
            pass  # a database expression: the row has to give a value
        elif f.has_default() and callable(f.default):
            make = f.get_default
        else:  # what a new model instance would get: the default, "" or None
            constant = f.get_db_prep_save(f.get_default(), connection)
        spec.append((f.attname, f, {}, constant, make))

    def params(row: Mapping[str, Any]) -> list[Any]:
        if unknown := row.keys() - known:
            raise ValueError(f"{model.__name__} has no column {sorted(unknown)[0]!r}")
        values = []
        for attname, f, memo, constant, make in spec:
            if attname in row:
                value = row[attname]
            elif make is not None:
                value = make()
            elif constant is NOT_PROVIDED:
                raise ValueError(f"{model.__name__}.{attname} needs a value")
            else:
                values.append(constant)
                continue
            key = (type(value), value)
            try:
                prepped = memo[key]
            except KeyError:
                prepped = f.get_db_prep_save(value, connection)
                if len(memo) < _MEMO_SIZE:
                    memo[key] = prepped
            except TypeError:  # unhashable (a dict for a JSONField)
                prepped = f.get_db_prep_save(value, connection)
            values.append(prepped)
        return values

    qn = connection.ops.quote_name
    # Only quoted names from the model's _meta go into the SQL; every value is a parameter.
    columns = ", ".join(qn(str(f.column)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    written = 0
    with connection.cursor() as cursor:
        for batch in _batches(rows, batch_size):
            cursor.executemany(sql, [params(row) for row in batch])
            written += len(batch)
    return written


def set_column(model: type[models.Model], attname: str, values: Mapping[int, Any]) -> None:
    """UPDATE one column of the rows with the given primary keys (`{pk: value}`)."""
    connection = connections[router.db_for_write(model)]
    (f,) = [f for f in model._meta.concrete_fields if f.attname == attname]
    qn = connection.ops.quote_name
    table, column = qn(model._meta.db_table), qn(str(f.column))
    where = qn(str(model._meta.pk.column))
    sql = f"UPDATE {table} SET {column} = %s WHERE {where} = %s"  # noqa: S608 - quoted _meta names
    with connection.cursor() as cursor:
        cursor.executemany(
            sql, [(f.get_db_prep_save(value, connection), pk) for pk, value in values.items()]
        )


def _pks(model: type[models.Model], key: str) -> dict[Any, int]:
    return dict(model._base_manager.values_list(key, "pk"))


@transaction.atomic
def generate(*, size: str = "small", seed: int = 1) -> DemoResult:
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}")
    rng = random.Random(seed)
    plan = SIZES[size]
    now = timezone.now().replace(microsecond=0)
    password = make_password(DEMO_PASSWORD, salt=f"kamdemo{seed}")
    tables: dict[str, int] = {}

    def insert(model: type[models.Model], rows: Iterable[Mapping[str, Any]]) -> None:
        table = model._meta.db_table
        tables[table] = tables.get(table, 0) + insert_rows(model, rows, now=now)

    insert(
        Department,
        (
            {"name": name, "kind": kind, "email": f"{name.lower()}@example.com"}
            for name, kind in DEPARTMENTS
        ),
    )
    departments = _pks(Department, "name")
    team_names = list(TEAM_LEADS) + [
        f"{REGIONS[i % len(REGIONS)]} {i + 1}" for i in range(plan["teams"])
    ]
    insert(Team, ({"name": name} for name in team_names))
    teams = _pks(Team, "name")

    people: list[dict[str, Any]] = [
        {
            "username": username,
            "role": role,
            "first_name": first,
            "last_name": last,
            "password": password,
            "email": f"{username}@example.com",
            "team_id": teams[team] if team else None,
            "department_id": departments[dept] if dept else None,
            "is_staff": role == Role.ADMIN,
            "is_superuser": role == Role.ADMIN,
        }
        for username, role, first, last, team, dept in ROSTER
    ]
    extra_teams = team_names[len(TEAM_LEADS) :] or team_names
    roles = (
        [Role.ACCOUNT_MANAGER] * 6
        + [Role.KEY_ACCOUNT_MANAGER] * 2
        + [Role.SERVICE_AGENT, Role.DEPARTMENT_STAFF]
    )
    for i in range(plan["users"]):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        role = rng.choice(roles)
        scoped = role in (Role.SERVICE_AGENT, Role.DEPARTMENT_STAFF)
        department = (
            ("Service" if role == Role.SERVICE_AGENT else "Logistics") if scoped else "Sales"
        )
        people.append(
            {
                "username": f"{first}.{last}.{i}".lower(),
                "role": role,
                "first_name": first,
                "last_name": last,
                "password": password,
                "email": f"{first}.{last}.{i}@example.com".lower(),
                "team_id": None if scoped else teams[extra_teams[i % len(extra_teams)]],
                "department_id": departments[department],
            }
        )
    insert(User, people)
    user_pks = _pks(User, "username")
    # The named teams are led by their roster login; every other team by its first member.
    leads = {teams[team]: user_pks[username] for team, username in TEAM_LEADS.items()}
    for person in people[len(ROSTER) :]:
        if person["team_id"] is not None:
            leads.setdefault(person["team_id"], user_pks[person["username"]])
    set_column(Team, "lead_id", leads)

    def notification_rows() -> Iterator[dict[str, Any]]:
        # By position, not by primary key, so the data does not depend on the id sequences.
        for number, person in enumerate(people, start=1):
            recipient = user_pks[person["username"]]
            for n in range(plan["notices"]):
                title, body = NOTICES[(n + number) % len(NOTICES)]
                yield {
                    "recipient_id": recipient,
                    "title": title,
                    "body": body,
                    "created_at": now - timedelta(hours=n * 7 + rng.randint(0, 6)),
                }

    insert(Notification, notification_rows())
    return DemoResult(rows=sum(tables.values()), users=len(people), tables=tables)

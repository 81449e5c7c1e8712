from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kam.core.errors import ApplicationError
from kam.core.roles import Role
from kam.users import services
from kam.users.models import Department, Team, User


def _one_line(error: ApplicationError) -> str:
    details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.fields.items())
    return details or error.message


class Command(BaseCommand):
    help = "Manage users: create, list, deactivate, activate, set-password."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a user")
        create.add_argument("username")
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--team", help="team name (created if missing)")
        create.add_argument("--department", help="department name (must exist)")
        create.add_argument("--password", help="default: a generated one, printed once")
        create.add_argument("--email", default="")
        create.add_argument("--first-name", default="")
        create.add_argument("--last-name", default="")
        sub.add_parser("list", help="list users")
        deactivate = sub.add_parser("deactivate", help="end a user's sessions and tokens")
        deactivate.add_argument("username")
        sub.add_parser("activate", help="let a deactivated user sign in again").add_argument(
            "username"
        )
        password = sub.add_parser("set-password", help="set a user's password")
        password.add_argument("username")
        password.add_argument("--password", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action'].replace('-', '_')}")(options)
        except ApplicationError as error:
            raise CommandError(_one_line(error)) from None

    def _get(self, username: str) -> User:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None

    def _create(self, options: dict[str, Any]) -> None:
        team = department = None
        if options["team"]:
            team = Team.objects.filter(name=options["team"]).first() or services.team_create(
                name=options["team"], actor=None
            )
        if options["department"]:
            department = Department.objects.filter(name=options["department"]).first()
            if department is None:
                names = ", ".join(Department.objects.values_list("name", flat=True)) or "none yet"
                raise CommandError(
                    f"no department named {options['department']!r} (known: {names})"
                )
        user, password = services.user_create(
            username=options["username"],
            role=options["role"],
            password=options["password"],
            email=options["email"],
            first_name=options["first_name"],
            last_name=options["last_name"],
            team=team,
            department=department,
        )
        self.stdout.write(f"created {user.username} ({user.role})")
        if not options["password"]:
            self.stdout.write(f"password: {password}")

    def _list(self, options: dict[str, Any]) -> None:
        rows = User.objects.select_related("team", "department").order_by("username")
        self.stdout.write(f"{'USERNAME':<24} {'ROLE':<20} {'TEAM':<20} {'DEPARTMENT':<20} ACTIVE")
        for user in rows.iterator():
            self.stdout.write(
                f"{user.username:<24} {user.role:<20} {str(user.team or '-'):<20} "
                f"{str(user.department or '-'):<20} {'yes' if user.is_active else 'no'}"
            )

    def _deactivate(self, options: dict[str, Any]) -> None:
        user = services.user_deactivate(user=self._get(options["username"]), actor=None)
        self.stdout.write(f"deactivated {user.username}: sessions and API tokens ended")

    def _activate(self, options: dict[str, Any]) -> None:
        user = services.user_activate(user=self._get(options["username"]), actor=None)
        self.stdout.write(f"activated {user.username}")

    def _set_password(self, options: dict[str, Any]) -> None:
        services.user_set_password(
            user=self._get(options["username"]), password=options["password"], actor=None
        )
        self.stdout.write("password changed")

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kam.core.errors import ApplicationError
from kam.users import services
from kam.users.models import User


class Command(BaseCommand):
    help = "API tokens: `create USERNAME` prints a fresh one; `revoke USERNAME` ends all of his."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("create", help="print a fresh API token").add_argument("username")
        sub.add_parser("revoke", help="revoke all tokens of a user").add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"no user named {options['username']!r}") from None
        try:
            if options["action"] == "create":
                self.stdout.write(services.token_create(user=user))
            else:
                count = services.token_revoke_all(user=user)
                self.stdout.write(f"revoked {count} token(s) of {user.username}")
        except ApplicationError as error:
            raise CommandError(error.message) from None

"""The `kam` command: Django's management interface with KAM's settings.

KAM's own commands (run, demo, user, token, worker, serve) are management commands of its apps.
"""

from __future__ import annotations

import os
import sys

from kam.config.env import settings_module


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module())
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kam", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()

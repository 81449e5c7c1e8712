"""`kam export <resource> --format csv|xlsx|vcf --as USER`: what that user may see.

Accounts and contacts are exported here; every other resource (deals, ...) through the exporter
its app registered in `core.registry` (so this command never imports a higher app).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.http import QueryDict

from kam.accounts import exporting, selectors
from kam.accounts.filters import AccountFilterSet, ContactFilterSet
from kam.core import registry
from kam.core.errors import ApplicationError


def find_user(name: str, option: str) -> Any:
    """An active user by username or e-mail (the CLI's way to name one)."""
    user = (
        get_user_model()
        .objects.filter(Q(username=name) | Q(email__iexact=name), is_active=True)
        .order_by("pk")
        .first()
    )
    if user is None:
        raise CommandError(f"{option}: there is no active user {name!r}")
    return user


class Command(BaseCommand):
    help = (
        "Export accounts, contacts or another registered resource (deals...) as CSV, XLSX or "
        "vCard (contacts), to a file or stdout. "
        "--as USER is required: the export shows what that user may see, without the "
        "confidential fields his role may not read. Filters are the list's: --filter tier=key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", choices=["accounts", "contacts", *sorted(_registered())])
        formats = {*exporting.FORMATS, *(f for e in _registered().values() for f in e.formats)}
        parser.add_argument("--format", choices=sorted(formats), default="csv")
        parser.add_argument("--output", type=Path, help="file to write (default: stdout)")
        parser.add_argument("--as", dest="acting", help="whose visibility applies (username)")
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="a list filter, repeatable (e.g. tier=key, country=DE, owner=<user id>)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["acting"]:
            raise CommandError(
                "Name the user whose visibility applies: --as USERNAME (an export shows only "
                "the records and fields that user may see)."
            )
        user = find_user(options["acting"], "--as")
        target = options["target"]
        if target not in ("accounts", "contacts"):
            self.export_registered(_registered()[target], user, options)
            return
        filterset_class = AccountFilterSet if target == "accounts" else ContactFilterSet
        selector = selectors.account_list if target == "accounts" else selectors.contact_list
        data = self.filters(options["filter"], filterset_class)
        filterset = filterset_class(data, queryset=selector(user=user))
        if not filterset.is_valid():
            problems = "; ".join(
                f"{name}: {' '.join(messages)}" for name, messages in filterset.errors.items()
            )
            raise CommandError(f"--filter: {problems}")
        export = exporting.export_accounts if target == "accounts" else exporting.export_contacts
        try:
            chunks = export(
                user=user, queryset=filterset.qs, fmt=options["format"], filters=data.dict()
            )
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.write(chunks, options["output"])

    def export_registered(self, exporter: registry.Exporter, user: Any, options: Any) -> None:
        fmt = options["format"]
        if fmt not in exporter.formats:
            raise CommandError(
                f"--format: {exporter.key} export as {', '.join(exporter.formats)}, not {fmt}"
            )
        filters: dict[str, str] = {}
        for pair in options["filter"]:
            key, sep, value = pair.partition("=")
            if not sep or not key.strip():
                raise CommandError(f"--filter {pair!r}: expected KEY=VALUE")
            filters[key.strip()] = value.strip()
        output = options["output"]
        try:
            if output is None:
                exporter.export(user, fmt, filters, sys.stdout.buffer)
                sys.stdout.buffer.flush()
                return
            with output.open("wb") as handle:
                exporter.export(user, fmt, filters, handle)
        except ApplicationError as error:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items())
            raise CommandError(f"{error.message} {details}".strip()) from None
        self.stderr.write(f"written to {output}")

    def filters(self, pairs: list[str], filterset_class: Any) -> QueryDict:
        data = QueryDict(mutable=True)
        known = set(filterset_class.base_filters)
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or key.strip() not in known:
                keys = ", ".join(sorted(known))
                raise CommandError(f"--filter {pair!r}: expected KEY=VALUE, KEY one of {keys}")
            data.appendlist(key.strip(), value.strip())
        return data

    def write(self, chunks: Any, output: Path | None) -> None:
        if output is None:
            target = sys.stdout.buffer
            for chunk in chunks:
                target.write(chunk)
            target.flush()
            return
        with output.open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        self.stderr.write(f"written to {output}")


def _registered() -> dict[str, registry.Exporter]:
    """Resources exported through the registry: all but the two this command knows itself."""
    return {
        key: exporter
        for key, exporter in registry.exporters().items()
        if key not in ("accounts", "contacts")
    }

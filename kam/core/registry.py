"""Registries through which higher apps plug into lower ones without upward imports.

An app registers from its `AppConfig.ready()`: navigation sections, search sources (the Ctrl-K
palette and the search page), record-page panels, timeline sources, pipeline stage checks and
exporters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db.models import Q
from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class NavItem:
    key: str
    label: StrOrPromise
    url_name: str
    icon: str
    order: int = 100
    visible: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class SearchHit:
    kind: str
    title: str
    url: str
    subtitle: str = ""
    score: float = 0.0


SearchSource = Callable[[Any, str, int], list[SearchHit]]

_nav: dict[str, NavItem] = {}
_search_sources: dict[str, SearchSource] = {}


def register_nav(item: NavItem) -> None:
    _nav[item.key] = item


def nav_items(user: Any) -> list[NavItem]:
    return sorted(
        (item for item in _nav.values() if item.visible is None or item.visible(user)),
        key=lambda item: (item.order, item.label),
    )


def register_search(key: str, source: SearchSource) -> None:
    """`source(user, query, limit)` returns hits the user may see (it applies `core.access`)."""
    _search_sources[key] = source


def search(user: Any, query: str, limit: int = 8) -> list[SearchHit]:
    query = query.strip()
    if not query:
        return []
    hits: list[SearchHit] = []
    for source in _search_sources.values():
        hits.extend(source(user, query, limit))
    hits.sort(key=lambda hit: -hit.score)
    return hits[: limit * 3]


# --- Timeline ---------------------------------------------------------------------------------
# The account page's timeline is the merge of every registered source: the audit trail (accounts),
# activities, deal stage changes, orders, cases... each owned by the app that owns the rows.


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime
    kind: str
    title: str
    url: str = ""
    actor: str = ""
    detail: str = ""
    icon: str = "clock-history"
    # The row's primary key in its source: with the source's key it orders entries of the same
    # instant, so that pages never skip or repeat one (`TimelineCursor`).
    pk: int = 0
    source: str = ""  # set by `timeline()` to the key the source was registered under


@dataclass(frozen=True)
class TimelineCursor:
    """Where a timeline page ended. Entries are ordered by (when, source, pk), newest first;
    the next page holds what comes after the cursor in that order."""

    when: datetime
    source: str
    pk: int

    def older(self, source: str, time_field: str, pk_field: str = "pk") -> Q:
        """The rows of `source` (a queryset filter on its time and pk fields) after the cursor."""
        strictly = Q(**{f"{time_field}__lt": self.when})
        if source > self.source:  # the same instant's rows of `source` came before the cursor
            return strictly
        if source < self.source:
            return strictly | Q(**{time_field: self.when})
        return strictly | Q(**{time_field: self.when, f"{pk_field}__lt": self.pk})

    @classmethod
    def after(cls, entry: TimelineEntry) -> TimelineCursor:
        return cls(when=entry.when, source=entry.source, pk=entry.pk)

    def token(self) -> str:
        return f"{self.when.isoformat()}|{self.source}|{self.pk}"

    @classmethod
    def parse(cls, token: str) -> TimelineCursor | None:
        """The cursor a `token()` wrote, or None for anything else (a bad link)."""
        parts = token.split("|")
        if len(parts) != 3:
            return None
        try:
            when = datetime.fromisoformat(parts[0])
            pk = int(parts[2])
        except ValueError:
            return None
        if when.tzinfo is None or pk < 0:
            return None
        return cls(when=when, source=parts[1], pk=pk)


# `source(user, account, before, limit)`: up to `limit` entries about `account` (and what hangs off
# it) that `user` may see, after the cursor `before` (None: from now; filter with
# `before.older(<registered key>, <time field>)`), newest first, each with its row's `pk`.
TimelineSource = Callable[[Any, Any, "TimelineCursor | None", int], list[TimelineEntry]]

_timeline_sources: dict[str, TimelineSource] = {}


def register_timeline(key: str, source: TimelineSource) -> None:
    _timeline_sources[key] = source


def timeline_sources() -> dict[str, TimelineSource]:
    return dict(_timeline_sources)


def timeline(
    user: Any, account: Any, *, before: TimelineCursor | None = None, limit: int = 20
) -> list[TimelineEntry]:
    """One page of the account's timeline, newest first, merged from every source.

    Each source answers at most `limit` rows from an index, so a page costs one query per source
    whatever the history's size; the next page starts after `TimelineCursor.after(last entry)`.
    """
    entries: list[TimelineEntry] = []
    for key, source in _timeline_sources.items():
        entries.extend(replace(entry, source=key) for entry in source(user, account, before, limit))
    entries.sort(key=lambda entry: (entry.when, entry.source, entry.pk), reverse=True)
    return entries[:limit]


# --- Record-page panels -----------------------------------------------------------------------
# A higher app shows its rows on a lower app's page (deals and activities on the account page) as
# an htmx fragment it serves itself: `url_name` takes the record's pk as its only argument.


@dataclass(frozen=True)
class Panel:
    key: str
    title: StrOrPromise
    model: str  # "app_label.model_name" of the page the panel sits on
    url_name: str
    order: int = 100
    visible: Callable[[Any], bool] | None = None
    # Offered on compact views too (a board card's quick-log drawer): panels made for logging
    # work on the spot, not the full list of what hangs off the record.
    quick_log: bool = False


_panels: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    _panels[panel.key] = panel


def panels_for(model: str, user: Any, *, quick_log: bool = False) -> list[Panel]:
    """The panels of `model`'s page `user` may see; only the quick-log ones when `quick_log`."""
    return sorted(
        (
            panel
            for panel in _panels.values()
            if panel.model == model
            and (panel.visible is None or panel.visible(user))
            and (panel.quick_log or not quick_log)
        ),
        key=lambda panel: (panel.order, panel.key),
    )


# --- Stage checks -----------------------------------------------------------------------------
# A pipeline stage lists the requirement keys a deal must meet to enter it. The app that owns what
# is required registers the check ("needs_recorded" by sales, "quote_exists" by orders...), so the
# sales app asks without importing higher apps.


@dataclass(frozen=True)
class StageCheck:
    key: str
    label: StrOrPromise
    # `check(deal)` answers None when the deal meets the requirement, else the reason it does not.
    check: Callable[[Any], str | None]


_stage_checks: dict[str, StageCheck] = {}


def register_stage_check(check: StageCheck) -> None:
    _stage_checks[check.key] = check


def stage_checks() -> dict[str, StageCheck]:
    return dict(_stage_checks)


# --- Exporters --------------------------------------------------------------------------------
# `kam export <key>` and the list pages' export buttons find every exportable resource here, so an
# app added later (deals, orders, products) exports without the export command importing it.


@dataclass(frozen=True)
class Exporter:
    key: str  # the resource name on the command line: "accounts", "deals"
    label: StrOrPromise
    formats: tuple[str, ...]  # of "csv", "xlsx", "vcf"
    # `export(user, fmt, filters, out)` writes the rows `user` may see (confidential fields hidden
    # as for him) matching `filters` (query-string style) to the binary stream `out`; returns the
    # number of rows written.
    export: Callable[[Any, str, dict[str, str], Any], int]


_exporters: dict[str, Exporter] = {}


def register_exporter(exporter: Exporter) -> None:
    _exporters[exporter.key] = exporter


def exporters() -> dict[str, Exporter]:
    return dict(_exporters)


# --- Importers --------------------------------------------------------------------------------
# `kam import <key> FILE` finds the resources of higher apps here ("products" from the catalog),
# so the import command (in accounts) dispatches to them without importing them.


@dataclass(frozen=True)
class Importer:
    key: str  # the resource name on the command line: "products"
    label: StrOrPromise
    # `run(user, path, options)` imports the CSV/XLSX file at `path` as `user`; options:
    # {"dry_run": bool, "mapping": {file header: field or None} or None}. Returns a summary
    # {"rows", "created", "updated", "unchanged", "errors": [{"row", "column", "value",
    # "reason"}]}; raises core.errors.ApplicationError for a file that cannot be read at all.
    run: Callable[[Any, Any, dict[str, Any]], dict[str, Any]]


_importers: dict[str, Importer] = {}


def register_importer(importer: Importer) -> None:
    _importers[importer.key] = importer


def importers() -> dict[str, Importer]:
    return dict(_importers)


# --- After an account merge -------------------------------------------------------------------

# `hook(survivor_id)`: called inside the merge's transaction once every row pointing at the loser
# points at the survivor, so an app recomputes what it derives per account (contact cadence,
# repeat-order figures) without accounts importing it.
AccountMergeHook = Callable[[int], None]
_account_merge_hooks: dict[str, AccountMergeHook] = {}


def register_account_merge_hook(key: str, hook: AccountMergeHook) -> None:
    _account_merge_hooks[key] = hook


def account_merge_hooks() -> dict[str, AccountMergeHook]:
    return dict(_account_merge_hooks)

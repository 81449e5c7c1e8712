"""Registries through which higher apps plug into lower ones without upward imports.

An app registers from its `AppConfig.ready()`: navigation sections, search sources (the Ctrl-K
palette and the search page), record-page panels and timeline sources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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

"""Browser tests: Playwright drives Debian's Chromium against Django's live server.

Run them with `pytest tests/browser` (also under `-n auto`, on SQLite and PostgreSQL). They never
download a browser: without /usr/bin/chromium they are skipped. The pages they visit are saved as
full-page PNGs into $KAM_SCREENSHOT_DIR (default `var/screenshots`) for reviewers.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

# Playwright's sync API keeps an event loop in the test thread; the tests' ORM calls are safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DESKTOP = {"width": 1280, "height": 800}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} is absent: the browser tests need Debian's chromium package "
        "(apt-get install chromium); they never download a browser"
    )
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # No animations, so what a test sees (and a screenshot shows) is the settled page.
    return {
        **browser_context_args,
        "viewport": DESKTOP,
        "locale": "en-US",
        "timezone_id": "UTC",
        "reduced_motion": "reduce",
    }


NAMES = {
    "owner": ("Olga", "Owen"),
    "lead": ("Lena", "Lead"),
    "peer": ("Piet", "Peer"),
    "other": ("Otto", "Other"),
    "kam": ("Kim", "Keyes"),
    "sales_head": ("Hanna", "Head"),
    "auditor": ("Arne", "Auditor"),
    "admin": ("Ada", "Admin"),
    "marketing": ("Mia", "Marketing"),
    "service": ("Sven", "Service"),
    "staff": ("Stella", "Staff"),
    "outsider": ("Oskar", "Outsider"),
}


@pytest.fixture
def org(org: Any) -> Any:
    """The root conftest's `org`, each person with a real name, as pages and screenshots show."""
    for attribute, (first, last) in NAMES.items():
        user = getattr(org, attribute)
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    return org


@pytest.fixture
def url(live_server: Any) -> Callable[[str], str]:
    """`url("/trash/")`: the absolute address of a path on the live server."""
    return lambda path: f"{live_server.url}{path}"


@pytest.fixture
def login_as(page: Any, live_server: Any) -> Callable[[Any], None]:
    """`login_as(user)`: give the page's browser a signed-in session (the form is tested apart)."""

    def login(user: Any) -> None:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )

    return login


def screenshot_dir() -> Path:
    directory = Path(os.environ.get("KAM_SCREENSHOT_DIR") or "var/screenshots")
    if not directory.is_absolute():
        directory = ROOT / directory
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """`screenshot(page, "home")`: save the whole page as `<dir>/home.png`, once fonts are in."""

    def save(page: Any, name: str) -> Path:
        page.evaluate("document.fonts.ready.then(() => true)")
        path = screenshot_dir() / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    return save


A11Y_SCRIPT = (HERE / "a11y.js").read_text()


@pytest.fixture
def a11y_problems() -> Callable[[Any], list[str]]:
    """`a11y_problems(page)`: text below AA contrast and controls without a name, as sentences."""
    return lambda page: page.evaluate(A11Y_SCRIPT)

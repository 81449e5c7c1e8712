"""Health of the pieces KAM needs: the database and the Celery broker."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.db import connection


def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def database_status() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return {"status": "error", "vendor": connection.vendor, "error": error.__class__.__name__}
    return {"status": "ok", "vendor": connection.vendor}


def broker_status() -> dict[str, Any]:
    from kam.config.celery import app

    url = str(app.conf.broker_url)
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.5, timeout=3)
            conn.default_channel  # noqa: B018 - opening a channel proves the transport answers
    except Exception as error:
        return {"status": "error", "url": _safe_url(url), "error": error.__class__.__name__}
    return {"status": "ok", "url": _safe_url(url)}


def health() -> tuple[bool, dict[str, Any]]:
    report = {"database": database_status(), "broker": broker_status()}
    healthy = all(part["status"] == "ok" for part in report.values())
    return healthy, {"status": "ok" if healthy else "error", **report}

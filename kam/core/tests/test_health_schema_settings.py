"""/healthz, the OpenAPI schema, production settings, and the dependency direction of models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client: Any) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["broker"]["status"] == "ok"


def test_healthz_answers_503_when_the_broker_is_down(client: Any, monkeypatch: Any) -> None:
    # Celery reads CELERY_BROKER_URL from the environment before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://:s3cret@127.0.0.1:1/0")

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["broker"]["status"], body["database"]["status"]) == (
        "error",
        "error",
        "ok",
    )
    assert "s3cret" not in response.content.decode()
    assert body["broker"]["url"] == "redis://:***@127.0.0.1:1/0"


def test_schema_renders_without_warnings() -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert not GENERATOR_STATS  # no warnings, no errors
    for path in [
        "/api/v1/users/me/",
        "/api/v1/teams/{id}/",
        "/api/v1/departments/",
        "/api/v1/audit-entries/",
        "/api/v1/notifications/",
    ]:
        assert path in schema["paths"]


def test_schema_and_docs_are_served_locally(client: Any, org: Any) -> None:
    client.force_login(org.owner)

    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"openapi: 3" in schema.content
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()


# Layers of DESIGN.md section 3, lowest first; an app's models may point only at its own layer
# (same app) or lower ones.
LAYERS = {
    "core": 1,
    "users": 2,
    "accounts": 3,
    "catalog": 4,
    "documents": 4,
    "sales": 5,
    "activities": 6,
    "contracts": 7,
    "orders": 8,
    "service": 9,
    "outreach": 9,
    "loyalty": 9,
    "market": 10,
    "insights": 10,
    "reports": 10,
    "demo": 11,
}


def test_no_model_points_at_a_higher_layer() -> None:
    upward = []
    for model in apps.get_models():
        source = LAYERS.get(model._meta.app_label)
        if source is None or not model.__module__.startswith("kam."):
            continue
        for field in model._meta.get_fields():
            target = getattr(field, "related_model", None)
            if not field.is_relation or target is None or not field.concrete:
                continue
            level = LAYERS.get(target._meta.app_label)
            if level is not None and level > source:
                upward.append(f"{model._meta.label}.{field.name} -> {target._meta.label}")
    assert upward == []


def test_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "KAM_ENV": "production",
        "KAM_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "k" * 20 + "a-long-random-production-secret-key-0123456789",
        "ALLOWED_HOSTS": "kam.example.com",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kam.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "KAM_ENV": "production",
        "KAM_DATA_DIR": str(tmp_path),
        "ALLOWED_HOSTS": "kam.example.com",
    }
    env.pop("SECRET_KEY", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kam.cli", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


@override_settings(DEBUG=False)
def test_times_show_in_the_users_time_zone(client: Any, org: Any) -> None:
    from django.utils import timezone

    org.owner.timezone = "Asia/Tokyo"
    org.owner.save()
    client.force_login(org.owner)
    client.get("/")

    response = client.get("/profile/")

    assert response.context["TIME_ZONE"] == "Asia/Tokyo"
    timezone.deactivate()


def test_missing_front_end_assets_are_reported_by_the_system_check(
    settings: Any, tmp_path: Path
) -> None:
    from kam.core.staticfiles import VendorFinder

    settings.KAM_VENDOR_ASSETS = {"vendor/x": (tmp_path, ["x.min.js", "y.css"])}

    errors = VendorFinder().check()

    assert [error.id for error in errors] == ["kam.W001"]
    assert "Run `npm ci`" in errors[0].hint


def test_vendor_files_are_found_under_their_prefix() -> None:
    from kam.core.staticfiles import VendorFinder

    finder = VendorFinder()

    assert finder.find("vendor/bootstrap/css/bootstrap.min.css").endswith(
        "node_modules/bootstrap/dist/css/bootstrap.min.css"
    )
    assert finder.find("vendor/bootstrap/css/bootstrap.css") == ""
    assert finder.find("vendor/bootstrap/../package.json") == ""


def test_healthz_answers_head_requests(client: Any) -> None:
    assert client.head("/healthz").status_code == 200


def test_empty_variables_mean_unset(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "KAM_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "",
        "KAM_LOGIN_FAILURE_LIMIT": "",
        "CELERY_BROKER_URL": "",
        "SECRET_KEY": "",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "kam.cli",
            "shell",
            "-c",
            "from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.AXES_FAILURE_LIMIT, s.KAM_EMBEDDED_BROKER)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == ["django.db.backends.sqlite3", "5", "True"]

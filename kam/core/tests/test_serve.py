"""`kam serve` runs the production settings under gunicorn, with static files from whitenoise."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, str]:
    """One request, redirects not followed."""
    connection = HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.fixture
def production_env(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "KAM_ENV": "production",
        "KAM_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "p" * 30 + "-production-secret-for-the-serve-test-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    for name in (
        "DJANGO_SETTINGS_MODULE",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND",
    ):
        env.pop(name, None)
    for step in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run(
            [sys.executable, "-m", "kam.cli", *step],
            env=env,
            check=True,  # noqa: S603
            timeout=300,
        )
    return env


def test_serve_answers_health_and_pages_with_hashed_static(production_env: dict[str, str]) -> None:
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "kam.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=production_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    https = {"X-Forwarded-Proto": "https"}
    status, body = 0, ""
    try:
        for _ in range(150):
            try:
                status, body = get(port, "/healthz", {})
                break
            except OSError:
                time.sleep(0.2)
        login_status, login = get(port, "/login/", https)
        plain_status, _ = get(port, "/login/", {})
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert status == 200
    assert '"database": {"status": "ok"' in body
    assert login_status == 200
    assert "/static/vendor/bootstrap/css/bootstrap.min." in login
    assert plain_status == 301  # plain http is redirected to https


def test_serve_refuses_zero_workers(production_env: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kam.cli", "serve", "--workers", "0"],
        env=production_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr.strip() == "kam serve: --workers must be at least 1"

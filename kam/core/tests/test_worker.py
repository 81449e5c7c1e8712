"""A real Celery worker takes work from the broker: the embedded one, or the one CI runs on Redis.

With KAM_TEST_EXTERNAL_WORKER=1 (set by .ci/run, which starts `kam worker` on Redis) the test uses
the configured broker; otherwise it starts `kam worker` itself on the embedded SQLite broker.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery

pytestmark = pytest.mark.worker


@pytest.fixture
def worker_app(tmp_path: Path) -> Iterator[Celery]:
    if os.environ.get("KAM_TEST_EXTERNAL_WORKER") == "1":
        from kam.config.celery import app

        eager = app.conf.task_always_eager
        app.conf.task_always_eager = False
        yield app
        app.conf.task_always_eager = eager
        return
    broker = f"sqla+sqlite:///{tmp_path / 'celery-broker.sqlite3'}"
    backend = f"db+sqlite:///{tmp_path / 'celery-results.sqlite3'}"
    env = {
        **os.environ,
        "KAM_DATA_DIR": str(tmp_path),
        "CELERY_BROKER_URL": "",
        "CELERY_RESULT_BACKEND": backend,
    }
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    subprocess.run(
        [sys.executable, "-m", "kam.cli", "migrate", "-v0"],
        env=env,
        check=True,  # noqa: S603
        timeout=120,
    )
    worker = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "kam.cli", "worker", "--loglevel=warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        client = Celery("client", broker=broker, backend=backend)
        client.conf.task_default_queue = "default"
        yield client
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_a_task_sent_through_the_broker_runs_on_a_worker(worker_app: Celery) -> None:
    results = [worker_app.send_task("kam.core.tasks.ping_task", args=[n]) for n in (1, 21)]

    answers = [result.get(timeout=90) for result in results]

    assert [answer["value"] for answer in answers] == [2, 42]
    external = os.environ.get("KAM_TEST_EXTERNAL_WORKER") == "1"
    on_postgres = external and os.environ.get("DATABASE_URL", "").startswith("postgres")
    expected_vendor = "postgresql" if on_postgres else "sqlite"
    assert {answer["database"] for answer in answers} == {expected_vendor}

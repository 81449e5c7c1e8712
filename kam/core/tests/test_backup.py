"""`kam backup` / `kam restore`: a round trip brings back rows and uploads; bad archives change
nothing.

These run on whichever database the suite runs on (SQLite locally, PostgreSQL in CI's second pass).
"""

from __future__ import annotations

import io
import json
import tarfile
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from kam.core.backup import DATABASE_FILES, MANIFEST
from tests.testapp.models import Record

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "documents").mkdir(parents=True)
    (settings.MEDIA_ROOT / "documents" / "contract.pdf").write_bytes(b"%PDF-1.4 original")
    return Path(settings.MEDIA_ROOT)


def test_backup_then_restore_brings_back_rows_and_uploads(
    org: Any, media: Path, tmp_path: Path
) -> None:
    kept = Record.objects.create(name="Acme", owner=org.owner)
    archive = tmp_path / "out" / "kam.tar.gz"

    output = run("backup", "--output", str(archive))
    assert str(archive) in output
    assert "1 uploaded files" in output
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {MANIFEST, DATABASE_FILES[connection.vendor], "media/documents/contract.pdf"} <= names
    assert not list(archive.parent.glob("*.partial"))

    # What happens after the backup: a row lost for good, a new row, an upload overwritten.
    Record.all_objects.filter(pk=kept.pk).delete()
    Record.objects.create(name="After the backup", owner=org.owner)
    (media / "documents" / "contract.pdf").write_bytes(b"%PDF-1.4 overwritten")

    output = run("restore", str(archive), "--yes")
    assert "Restored the backup" in output
    assert list(Record.objects.values_list("name", flat=True)) == ["Acme"]
    assert (media / "documents" / "contract.pdf").read_bytes() == b"%PDF-1.4 original"
    aside = list(media.parent.glob("media.before-restore-*"))
    assert len(aside) == 1
    assert (aside[0] / "documents" / "contract.pdf").read_bytes() == b"%PDF-1.4 overwritten"


def _archive(path: Path, members: dict[str, bytes], symlink: str | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if symlink:
            info = tarfile.TarInfo(symlink)
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            tar.addfile(info)
    return path


def _manifest(**changes: Any) -> bytes:
    manifest = {"format": 1, "engine": connection.vendor, "created_at": "2026-11-28T10:00:00+00:00"}
    manifest["migrations"] = []
    manifest.update(changes)
    return json.dumps(manifest).encode()


@pytest.mark.parametrize(
    ("members", "symlink", "message"),
    [
        ({}, None, "no manifest.json"),
        ({MANIFEST: b"{not json"}, None, "manifest.json is damaged"),
        ({MANIFEST: b"[]"}, None, "format"),
        ({MANIFEST: b'{"format": 99}'}, None, "format"),
        ({MANIFEST: b'{"format": 1, "engine": "oracle"}'}, None, "no known database engine"),
        (
            {MANIFEST: b'{"format": 1, "engine": "sqlite"}', "database.dump": b""},
            None,
            "no database",
        ),
        ({MANIFEST: b"{}", "../../etc/cron.d/evil": b"x"}, None, "unexpected entry"),
        ({MANIFEST: b"{}", "media/../../evil": b"x"}, None, "unexpected entry"),
        ({MANIFEST: b"{}"}, "media/link", "unexpected entry"),
    ],
)
def test_restore_refuses_archives_it_cannot_trust(
    org: Any, tmp_path: Path, members: dict[str, bytes], symlink: str | None, message: str
) -> None:
    Record.objects.create(name="Current", owner=org.owner)
    archive = _archive(tmp_path / "bad.tar.gz", members, symlink)

    with pytest.raises(CommandError, match=message):
        run("restore", str(archive), "--yes")
    assert list(Record.objects.values_list("name", flat=True)) == ["Current"]


def test_restore_refuses_other_engines_newer_code_and_non_archives(
    org: Any, tmp_path: Path
) -> None:
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    cases = {
        "engine.tar.gz": {MANIFEST: _manifest(engine=other), DATABASE_FILES[other]: b"x"},
        "newer.tar.gz": {
            MANIFEST: _manifest(migrations=["accounts.9999_from_the_future"]),
            DATABASE_FILES[connection.vendor]: b"x",
        },
    }
    with pytest.raises(CommandError, match=f"made on {other}"):
        run("restore", str(_archive(tmp_path / "engine.tar.gz", cases["engine.tar.gz"])), "--yes")
    with pytest.raises(CommandError, match="newer KAM.*accounts.9999_from_the_future"):
        run("restore", str(_archive(tmp_path / "newer.tar.gz", cases["newer.tar.gz"])), "--yes")
    (tmp_path / "notes.txt").write_text("not an archive")
    with pytest.raises(CommandError, match="not a readable KAM backup"):
        run("restore", str(tmp_path / "notes.txt"), "--yes")
    with pytest.raises(CommandError, match="No such file"):
        run("restore", str(tmp_path / "missing.tar.gz"), "--yes")


def test_restore_asks_first_and_a_no_changes_nothing(
    org: Any, media: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Record.objects.create(name="Before", owner=org.owner)
    archive = tmp_path / "kam.tar.gz"
    run("backup", "--output", str(archive))
    Record.objects.create(name="After", owner=org.owner)

    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        run("restore", str(archive))
    assert Record.objects.count() == 2

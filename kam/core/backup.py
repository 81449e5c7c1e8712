"""Backups of everything users entered: the database and the uploaded files, in one archive.

`kam backup` writes a gzipped tar holding `manifest.json` (format, engine, applied migrations),
the database (`database.sqlite3`, a consistent copy taken with SQLite's online backup API, or
`database.dump`, a `pg_dump --format=custom`) and `media/` (uploads). `kam restore` checks the
archive before touching anything, then copies it back: SQLite through the same backup API into the
live database (one transaction: other connections see either the old or the restored data), and
PostgreSQL through `pg_restore --single-transaction`. Both run migrations afterwards when the
backup is older than the code.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from kam.core.errors import ApplicationError

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
MEDIA = "media"


class BackupError(ApplicationError):
    code = "backup_error"


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    engine: str
    created_at: str
    media_files: int


def default_backup_path() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Path(settings.DATA_DIR) / "backups" / f"kam-{stamp}.tar.gz"


def _engine(alias: str = "default") -> str:
    vendor = connections[alias].vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def _pg_args(alias: str) -> tuple[list[str], dict[str, str]]:
    conf = connections[alias].settings_dict
    args = ["--dbname", str(conf["NAME"])]
    if conf.get("HOST"):
        args += ["--host", str(conf["HOST"])]
    if conf.get("PORT"):
        args += ["--port", str(conf["PORT"])]
    if conf.get("USER"):
        args += ["--username", str(conf["USER"])]
    env = {**os.environ}
    if conf.get("PASSWORD"):
        env["PGPASSWORD"] = str(conf["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(f"`{tool}` is not installed; install the PostgreSQL client tools.")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()[-2000:]}")


def _raw_sqlite(alias: str) -> sqlite3.Connection:
    connection = connections[alias]
    connection.ensure_connection()
    raw = connection.connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


def _applied_migrations(alias: str) -> list[str]:
    recorder = MigrationRecorder(connections[alias])
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


def create_backup(*, output: Path | None = None, alias: str = "default") -> BackupInfo:
    """Write a backup archive; the file appears complete or not at all."""
    engine = _engine(alias)
    output = Path(output) if output else default_backup_path()
    output.parent.mkdir(parents=True, exist_ok=True)
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".kam-backup-") as work:
        database = Path(work) / DATABASE_FILES[engine]
        if engine == "sqlite":
            target = sqlite3.connect(database)
            try:
                _raw_sqlite(alias).backup(target)
            finally:
                target.close()
        else:
            args, env = _pg_args(alias)
            _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(database), *args], env)
        manifest = {
            "format": FORMAT,
            "engine": engine,
            "created_at": created_at,
            "migrations": _applied_migrations(alias),
        }
        (Path(work) / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        media_root = Path(settings.MEDIA_ROOT)
        media_files = 0
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(Path(work) / MANIFEST, arcname=MANIFEST)
            archive.add(database, arcname=database.name)
            if media_root.is_dir():
                for path in sorted(media_root.rglob("*")):
                    if path.is_file() and not path.is_symlink():
                        archive.add(path, arcname=f"{MEDIA}/{path.relative_to(media_root)}")
                        media_files += 1
        os.replace(partial, output)
    return BackupInfo(path=output, engine=engine, created_at=created_at, media_files=media_files)


def read_manifest(archive_path: Path) -> dict[str, Any]:
    """Open and check an archive without changing anything; answers its manifest."""
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            names = archive.getnames()
            if MANIFEST not in names:
                raise BackupError("This file is not a KAM backup: it has no manifest.json.")
            for member in archive.getmembers():
                allowed = member.name in (MANIFEST, *DATABASE_FILES.values()) or (
                    member.name.startswith(f"{MEDIA}/") and ".." not in Path(member.name).parts
                )
                if not allowed or not (member.isfile() or member.isdir()):
                    raise BackupError(f"The backup holds an unexpected entry: {member.name!r}.")
            extracted = archive.extractfile(MANIFEST)
            assert extracted is not None
            manifest = json.loads(extracted.read().decode("utf-8"))
    except FileNotFoundError:
        raise BackupError(f"No such file: {archive_path}.") from None
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"This file is not a readable KAM backup ({error}).") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BackupError("The backup's manifest.json is damaged.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("The backup was written in a format this KAM does not read.")
    if manifest.get("engine") not in DATABASE_FILES:
        raise BackupError("The backup's manifest names no known database engine.")
    if DATABASE_FILES[manifest["engine"]] not in names:
        raise BackupError("The backup holds no database.")
    return manifest


def restore_backup(
    *, archive_path: Path, alias: str = "default", migrate: bool = True
) -> dict[str, Any]:
    """Replace the database (and uploads) by the archive's. Checks everything first."""
    engine = _engine(alias)
    manifest = read_manifest(archive_path)
    if manifest["engine"] != engine:
        raise BackupError(
            f"The backup was made on {manifest['engine']}; this KAM runs on {engine}. "
            "Restore it on the same engine (or move data with kam export / kam import)."
        )
    known = {f"{app}.{name}" for app, name in MigrationLoader(None).disk_migrations}
    unknown = sorted(set(manifest.get("migrations", [])) - known)
    if unknown:
        raise BackupError(
            "The backup was made by a newer KAM (migrations unknown here: "
            f"{', '.join(unknown[:5])}). Upgrade KAM, then restore."
        )
    media_root = Path(settings.MEDIA_ROOT)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=media_root.parent, prefix=".kam-restore-") as work:
        with tarfile.open(archive_path, "r:gz") as archive:
            archive.extractall(work, filter="data")
        database = Path(work) / DATABASE_FILES[engine]
        if engine == "sqlite":
            source = sqlite3.connect(database)
            try:
                if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                    raise BackupError("The backup's database fails SQLite's integrity check.")
                source.backup(_raw_sqlite(alias))
            finally:
                source.close()
        else:
            connections[alias].close()
            args, env = _pg_args(alias)
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    "--exit-on-error",
                    *args,
                    str(database),
                ],
                env,
            )
        restored_media = Path(work) / MEDIA
        if restored_media.is_dir():
            if media_root.exists():
                stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
                os.replace(media_root, media_root.with_name(f"media.before-restore-{stamp}"))
            os.replace(restored_media, media_root)
    if migrate:
        from django.core.management import call_command

        call_command("migrate", database=alias, interactive=False, verbosity=0)
    return manifest

"""Serves the chosen files of the npm packages (never a CDN), and only those.

`settings.KAM_VENDOR_ASSETS` maps a static prefix to a folder under node_modules and the files
to ship from it, so collectstatic copies a few hundred kilobytes instead of whole packages.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Warning
from django.core.files.storage import FileSystemStorage


def _assets() -> dict[str, tuple[Path, list[str]]]:
    return {
        prefix: (Path(folder), files)
        for prefix, (folder, files) in settings.KAM_VENDOR_ASSETS.items()
    }


class VendorFinder(BaseFinder):
    def check(self, **kwargs: Any) -> list[CheckMessage]:
        missing = [
            str(folder / name)
            for folder, files in _assets().values()
            for name in files
            if not (folder / name).is_file()
        ]
        if not missing:
            return []
        # A warning, not an error: worker machines run without the front-end assets.
        return [
            Warning(
                f"Front-end assets are missing ({missing[0]} and {len(missing) - 1} more).",
                hint="Run `npm ci` in the project folder (make run and make test do it).",
                id="kam.W001",
            )
        ]

    def find(  # type: ignore[override]
        self, path: str, find_all: bool = False, **kwargs: Any
    ) -> str | list[str]:
        find_all = find_all or kwargs.get("all", False)
        for prefix, (folder, files) in _assets().items():
            name = path.removeprefix(f"{prefix}/")
            if name != path and name in files and (folder / name).is_file():
                found = str(folder / name)
                return [found] if find_all else found
        return [] if find_all else ""

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        for prefix, (folder, files) in _assets().items():
            storage = FileSystemStorage(location=str(folder))
            storage.prefix = prefix  # type: ignore[attr-defined]
            for name in files:
                if (folder / name).is_file():
                    yield name, storage

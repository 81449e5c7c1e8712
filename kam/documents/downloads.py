"""Serving a stored file: only after an access check, always as an attachment, never sniffed.

Both the HTML pages and the API answer downloads through `file_response`; the caller has
fetched the version with `permissions.access_version`.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse

from kam.documents import services
from kam.documents.models import DocumentVersion

# Never rendered by the browser, whatever the stored type says.
NEVER_INLINE = ("text/html", "image/svg+xml", "application/xhtml+xml", "text/xml")


def file_response(*, user: Any, version: DocumentVersion) -> FileResponse:
    """The file of `version` as an attachment with its stored type; audits confidential kinds."""
    content_type = version.content_type
    if content_type.startswith(NEVER_INLINE):
        content_type = "application/octet-stream"
    services.version_downloaded(user=user, version=version)
    response = FileResponse(
        version.file.open("rb"),
        as_attachment=True,
        filename=version.filename,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Content-Length"] = str(version.size)
    return response

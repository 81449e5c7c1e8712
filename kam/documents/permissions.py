from __future__ import annotations

from typing import Any

from kam.core import access
from kam.core.access import Action
from kam.core.errors import NotFoundError
from kam.documents.choices import CONFIDENTIAL_KINDS
from kam.documents.models import Document, DocumentVersion


def access_document(*, user: Any, document_id: Any, action: Action = "view") -> Document:
    """The live document, if `user` may do `action` to its record (`core.access` with the
    record's own spec). Missing document, missing or invisible record: NotFound; a record he
    sees but may not change: PermissionDenied."""
    try:
        document: Document = Document.objects.select_related(
            "content_type", "current_version", "created_by"
        ).get(pk=document_id)
    except (Document.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    model = document.content_type.model_class()
    if model is None or not isinstance(getattr(model, "access", None), access.AccessSpec):
        raise NotFoundError()
    if document.kind in CONFIDENTIAL_KINDS and not access.can_see_confidential(user):
        raise NotFoundError()
    document.record = access.get_for(user, model._default_manager.all(), document.object_id, action)
    return document


def access_version(
    *, user: Any, document_id: Any, number: Any, action: Action = "view"
) -> DocumentVersion:
    document = access_document(user=user, document_id=document_id, action=action)
    try:
        version: DocumentVersion = document.versions.get(number=number)
    except (DocumentVersion.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    version.document = document
    return version

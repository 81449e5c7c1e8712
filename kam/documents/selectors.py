"""Reads of documents, always scoped through the records they hang off.

A document is visible to exactly the users who may see its record: for every record type that
has documents, the rows of that type `core.access` lets the user see (the record's own
`AccessSpec`), as one sub-select per type.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from kam.core import access
from kam.core.access import AccessSpec, Action
from kam.documents import choices
from kam.documents.errors import DocumentError
from kam.documents.models import Document, DocumentVersion


def documentable_model(label: str) -> type[Model]:
    """The model named `app_label.model_name` if documents may hang off its rows: it has an
    `AccessSpec` (its access decides the documents'), and it is not a document itself."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        model = None
    spec = getattr(model, "access", None)
    if model is None or not isinstance(spec, AccessSpec) or model._meta.app_label == "documents":
        raise DocumentError(fields={"content_type": [_("Unknown record type.")]})
    return model


def record_label(model: type[Model]) -> str:
    return model._meta.label_lower


def record_get(*, user: Any, content_type: str, object_id: Any, action: Action = "view") -> Any:
    """The record a document is (or will be) attached to, if `user` may do `action` to it
    (NotFound for missing and invisible alike)."""
    model = documentable_model(content_type)
    return access.get_for(user, model._default_manager.all(), object_id, action)


def _record_q(user: Any, content_type: ContentType, action: Action) -> Q:
    model = content_type.model_class()
    if model is None or not isinstance(getattr(model, "access", None), AccessSpec):
        return access.NOTHING
    rule = access.visible_q(user, model, action)
    if not rule:  # Q(): every row of this type
        return Q(content_type=content_type)
    rows = model._default_manager.filter(rule).values("pk")
    return Q(content_type=content_type, object_id__in=rows)


def visible_documents_q(user: Any, action: Action = "view") -> Q:
    """The documents whose records `user` may see (`view`) or change (`change`, `delete`)."""
    if not access.is_active_user(user):
        return access.NOTHING
    type_ids = Document.all_objects.order_by().values_list("content_type_id", flat=True).distinct()
    grants = [
        _record_q(user, ContentType.objects.get_for_id(type_id), action)  # cached per process
        for type_id in sorted(type_ids)
    ]
    result = access.NOTHING
    for grant in grants:
        if grant is access.NOTHING:
            continue
        result = grant if result is access.NOTHING else result | grant
    if result is access.NOTHING:
        return result
    return result & confidential_q(user)


def confidential_q(user: Any) -> Q:
    """Contracts, invoices and the like carry prices, terms and amounts: only roles that may read
    confidential fields see them (DESIGN.md section 4); `Q()` for those roles."""
    if access.can_see_confidential(user):
        return Q()
    return ~Q(kind__in=choices.CONFIDENTIAL_KINDS)


def document_list(*, user: Any) -> QuerySet[Document]:
    """The live documents `user` may see, newest first, with what a list shows."""
    rows: QuerySet[Document] = Document.objects.filter(visible_documents_q(user))
    return with_details(rows).order_by("-created_at", "-pk")


def record_documents(*, user: Any, record: Model) -> QuerySet[Document]:
    """The live documents of one record that `user` may see (the caller has checked his access
    to the record; confidential kinds only for roles that read confidential fields)."""
    content_type = ContentType.objects.get_for_model(record)
    rows = Document.objects.filter(content_type=content_type, object_id=record.pk)
    rows = rows.filter(confidential_q(user))
    return with_details(rows).order_by("-created_at", "-pk")


def document_search(*, user: Any, query: str, limit: int) -> list[Document]:
    """Up to `limit` documents `user` may see whose title, number or register number holds
    `query`, newest first."""
    match = Q(title__icontains=query) | Q(number__icontains=query)
    match |= Q(register_number__icontains=query)
    rows = Document.objects.filter(visible_documents_q(user)).filter(match)
    return list(rows.order_by("-created_at", "-pk")[:limit])


def register_list(*, user: Any) -> QuerySet[Document]:
    """The register: incoming and outgoing documents `user` may see, latest number first."""
    return (
        document_list(user=user)
        .filter(direction__in=choices.REGISTERED)
        .order_by("-registered_at", "-pk")
    )


def document_fresh(*, document_id: int) -> Document:
    """A document just written, re-read with its details (the caller checked access)."""
    document: Document = with_details(Document.all_objects.filter(pk=document_id)).get()
    return document


def document_versions(*, document: Document) -> QuerySet[DocumentVersion]:
    return document.versions.select_related("uploaded_by").order_by("-number")


def with_details(rows: QuerySet[Document]) -> QuerySet[Document]:
    return rows.select_related(
        "content_type",
        "current_version__uploaded_by",
        "created_by",
        "correspondent_account",
        "correspondent_contact",
    )

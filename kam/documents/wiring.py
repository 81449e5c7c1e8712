"""What the documents app plugs into core: audit, record panels, the register in the nav,
the register exporter."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.core import registry

# The record pages that show a documents panel: (model label, URL name of the panel fragment).
PANELS = (
    ("accounts.account", "documents:account_panel"),
    ("sales.deal", "documents:deal_panel"),
    ("accounts.contact", "documents:contact_panel"),
    ("contracts.contract", "documents:contract_panel"),
)


SEARCH_MIN_LENGTH = 2


def _search(user: Any, query: str, limit: int) -> list[registry.SearchHit]:
    """Documents by title, their own number or register number (IN-2026-00042)."""
    from kam.documents.selectors import document_search

    if len(query) < SEARCH_MIN_LENGTH:
        return []
    lowered = query.lower()
    return [
        registry.SearchHit(
            kind=str(_("Document")),
            title=document.title,
            subtitle=" · ".join(
                part
                for part in (document.register_number, document.get_kind_display(), document.number)
                if part
            ),
            url=reverse("documents:document_detail", args=[document.pk]),
            score=0.9 if lowered in document.register_number.lower() else 0.4,
        )
        for document in document_search(user=user, query=query, limit=limit)
    ]


def _delete_file(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A version's (or template's) row is gone for good (the trash was purged): its file goes
    too, once the deletion is committed."""
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def connect() -> None:
    from kam.core import audit
    from kam.documents.exporting import export_register
    from kam.documents.models import Document, DocumentTemplate, DocumentVersion

    audit.register(Document, exclude=("current_version",))
    audit.register(DocumentVersion)
    audit.register(DocumentTemplate)
    registry.register_search("documents", _search)
    post_delete.connect(_delete_file, sender=DocumentVersion, dispatch_uid="documents-file-gone")
    for model, url_name in PANELS:
        registry.register_panel(
            registry.Panel(
                key=f"documents.{model.split('.')[1]}",
                title=_("Documents"),
                model=model,
                url_name=url_name,
                order=40,
            )
        )
    registry.register_nav(
        registry.NavItem(
            "document_register", _("Document register"), "documents:register", "journals", order=30
        )
    )
    registry.register_exporter(
        registry.Exporter(
            key="document-register",
            label=_("Document register"),
            formats=("csv", "xlsx"),
            export=export_register,
        )
    )

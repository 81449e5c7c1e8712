"""The register as CSV or XLSX, through core.tabular (formula neutralising, audit).

`core.tabular.export_table` scopes rows again with the model's own `AccessSpec`; a document has
none of its own (its record's decides), so the register scopes through its selector and hands the
rows to tabular's writers, auditing the export the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kam.core import tabular
from kam.documents.filters import RegisterFilterSet
from kam.documents.models import Document
from kam.documents.selectors import register_list, visible_documents_q


def register_columns() -> list[tabular.Column]:
    return [
        tabular.Column(_("Register number"), lambda d: d.register_number),
        tabular.Column(_("Registered"), lambda d: d.registered_at.date().isoformat()),
        tabular.Column(_("Direction"), lambda d: d.get_direction_display()),
        tabular.Column(_("Kind"), lambda d: d.get_kind_display()),
        tabular.Column(_("Subject"), lambda d: d.title),
        tabular.Column(_("Document number"), lambda d: d.number),
        tabular.Column(_("Document date"), lambda d: d.date.isoformat() if d.date else ""),
        tabular.Column(
            _("Correspondent"),
            lambda d: d.correspondent_account.name if d.correspondent_account else "",
        ),
        tabular.Column(
            _("Contact"),
            lambda d: d.correspondent_contact.full_name if d.correspondent_contact else "",
        ),
        tabular.Column(_("Record"), lambda d: f"{d.content_type.name} #{d.object_id}"),
        tabular.Column(
            _("File"), lambda d: d.current_version.filename if d.current_version else ""
        ),
    ]


def register_rows(*, user: Any, filters: dict[str, str]) -> Any:
    filterset = RegisterFilterSet(filters, queryset=register_list(user=user))
    if not filterset.is_valid():
        errors = {name: [str(m) for m in messages] for name, messages in filterset.errors.items()}
        raise tabular.ExportError(_("Some filters are not valid."), fields=errors)
    return filterset.qs


def register_stream(*, user: Any, fmt: str, filters: dict[str, str]) -> Iterator[bytes]:
    """The register rows `user` may see, matching `filters`, as bytes in `fmt`; audited."""
    return tabular.export_table(
        user=user,
        rows=register_rows(user=user, filters=filters),
        columns=register_columns(),
        fmt=fmt,
        filters=filters,
        scope=_visible_documents,
    )


def _visible_documents(user: Any, rows: QuerySet[Document]) -> QuerySet[Document]:
    # A document has no AccessSpec of its own: it is visible with the record it hangs on.
    return rows.filter(visible_documents_q(user, "view"))


def export_register(user: Any, fmt: str, filters: dict[str, str], out: IO[bytes]) -> int:
    """`kam export document-register`: write the register to `out`; the number of rows."""
    count = register_rows(user=user, filters=filters).count()
    for chunk in register_stream(user=user, fmt=fmt, filters=filters):
        out.write(chunk)
    return int(count)

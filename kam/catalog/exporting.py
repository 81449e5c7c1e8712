"""`kam export products` and the product list's export: CSV or XLSX through core.tabular.

The columns are the ones `kam import products` reads back (same headers), so an export edited in
a spreadsheet imports as an update by SKU.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.catalog import selectors
from kam.catalog.errors import CatalogError
from kam.catalog.filters import ProductFilterSet
from kam.catalog.models import Product
from kam.core import registry, tabular
from kam.core.tabular import Column

FORMATS = ("csv", "xlsx")


def _date(value: Any) -> str:
    return value.isoformat() if value else ""


def product_columns() -> list[Column]:
    return [
        Column("SKU", lambda p: p.sku),
        Column("Name", lambda p: p.name),
        Column("Description", lambda p: p.description),
        Column("Line", lambda p: p.line.name if p.line else ""),
        Column("Unit", lambda p: p.unit),
        Column("List price", lambda p: p.list_price),
        Column("Currency", lambda p: p.currency),
        Column("VAT rate", lambda p: p.vat_rate),
        Column("Active", lambda p: "yes" if p.is_active else "no"),
        Column("Launch date", lambda p: _date(p.launch_date)),
        Column("Discontinued on", lambda p: _date(p.discontinued_on)),
    ]


def filtered_products(user: Any, filters: dict[str, str] | QueryDict) -> QuerySet[Product]:
    data = filters if isinstance(filters, QueryDict) else QueryDict(mutable=True)
    if not isinstance(filters, QueryDict):
        for key, value in filters.items():
            data.appendlist(key, value)
    unknown = sorted(set(data) - set(ProductFilterSet.base_filters))
    if unknown:
        raise CatalogError(
            _("Unknown filter %(key)s; use one of %(keys)s.")
            % {"key": unknown[0], "keys": ", ".join(sorted(ProductFilterSet.base_filters))}
        )
    filterset = ProductFilterSet(data, queryset=selectors.product_list(user=user))
    if not filterset.is_valid():
        raise CatalogError(
            _("Some filters are not valid."),
            fields={name: list(errors) for name, errors in filterset.errors.items()},
        )
    return filterset.qs  # type: ignore[no-any-return]


def export_products(
    *, user: Any, queryset: QuerySet[Product], fmt: str, filters: dict[str, Any] | None = None
) -> Iterator[bytes]:
    """The products of `queryset` as a stream of bytes in `fmt` (audited by core.tabular)."""
    if fmt not in FORMATS:
        raise CatalogError(_("Products export as csv or xlsx, not %s.") % fmt)
    return tabular.export_table(
        user=user,
        rows=queryset.select_related("line"),
        columns=product_columns(),
        fmt=fmt,
        filters=filters,
    )


def _export(user: Any, fmt: str, filters: dict[str, str], out: Any) -> int:
    queryset = filtered_products(user, filters)
    count = tabular.scoped(user, queryset).count()
    for chunk in export_products(user=user, queryset=queryset, fmt=fmt, filters=dict(filters)):
        out.write(chunk)
    return count


EXPORTER = registry.Exporter(
    key="products", label=gettext_lazy("Products"), formats=FORMATS, export=_export
)

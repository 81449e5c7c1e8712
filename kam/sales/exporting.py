"""`kam export deals` and the deal list's export: CSV or XLSX of the deals a user may see.

Built on the accounts exporter's writers: the same streaming, cell neutralisation (text a
spreadsheet would run as a formula gets a leading apostrophe) and export audit entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core import registry, tabular
from kam.core.tabular import Column
from kam.sales import selectors
from kam.sales.errors import SalesError
from kam.sales.filters import DealFilterSet
from kam.sales.models import Deal

FORMATS = ("csv", "xlsx")


def _date(value: Any) -> str:
    return value.isoformat() if value else ""


def deal_columns() -> list[Column]:
    return [
        Column("ID", lambda d: d.pk),
        Column("Title", lambda d: d.title),
        Column("Account", lambda d: d.account.name),
        Column("Pipeline", lambda d: d.pipeline.name),
        Column("Stage", lambda d: d.stage.name),
        Column("Status", lambda d: d.get_status_display()),
        Column("Amount", lambda d: d.amount),
        Column("Currency", lambda d: d.currency),
        Column("Probability (%)", lambda d: d.probability),
        Column("Expected close", lambda d: _date(d.expected_close_date)),
        Column("Owner", lambda d: d.owner.username),
        Column("Source", lambda d: d.get_source_display() if d.source else ""),
        Column("Products of interest", lambda d: d.products_of_interest),
        Column("Next step", lambda d: d.next_step),
        Column("Next step date", lambda d: _date(d.next_step_date)),
        Column("Lost reason", lambda d: d.lost_reason),
        Column("Lost to", lambda d: d.lost_to),
        Column("In stage since", lambda d: _date(d.stage_entered_at)),
        Column("Closed", lambda d: _date(d.closed_at)),
        Column("Created", lambda d: _date(d.created_at)),
    ]


def export_deals(
    *, user: Any, queryset: QuerySet[Deal], fmt: str, filters: dict[str, Any] | None = None
) -> Iterator[bytes]:
    """The deals of `queryset` that `user` may see, as a stream of bytes in `fmt` (audited)."""
    if fmt not in FORMATS:
        raise SalesError(_("Deals export as csv or xlsx, not %s.") % fmt)
    rows = queryset.select_related("account", "pipeline", "stage", "owner")
    return tabular.export_table(
        user=user, rows=rows, columns=deal_columns(), fmt=fmt, filters=filters
    )


def filtered_deals(user: Any, filters: dict[str, str] | QueryDict) -> QuerySet[Deal]:
    data = filters if isinstance(filters, QueryDict) else _query_dict(filters)
    filterset = DealFilterSet(data, queryset=selectors.deal_list(user=user))
    if not filterset.is_valid():
        problems = {name: list(messages) for name, messages in filterset.errors.items()}
        raise SalesError(_("Some filters are not valid."), fields=problems)
    return filterset.qs


def _query_dict(filters: dict[str, str]) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in filters.items():
        data.appendlist(key, value)
    return data


def _export(user: Any, fmt: str, filters: dict[str, str], out: Any) -> int:
    """The `Exporter` entry point: write the export to the binary stream `out`."""
    unknown = sorted(set(filters) - set(DealFilterSet.base_filters))
    if unknown:
        keys = ", ".join(sorted(DealFilterSet.base_filters))
        raise SalesError(
            _("Unknown filter %(key)s; use one of %(keys)s.") % {"key": unknown[0], "keys": keys}
        )
    queryset = filtered_deals(user, filters)
    count = tabular.scoped(user, queryset).count()
    for chunk in export_deals(user=user, queryset=queryset, fmt=fmt, filters=dict(filters)):
        out.write(chunk)
    return count


EXPORTER = registry.Exporter(
    key="deals", label=gettext_lazy("Deals"), formats=FORMATS, export=_export
)

"""`kam export contracts` and the contract list's export: CSV or XLSX of the contracts a user may
see, through `kam.core.tabular` (scoped again, formula-safe cells, audited). The confidential
columns (value, currency) are left out for roles without confidential access."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.contracts import selectors
from kam.contracts.errors import ContractError
from kam.contracts.filters import ContractFilterSet
from kam.contracts.models import Contract
from kam.core import access, registry, tabular
from kam.core.tabular import Column

FORMATS = ("csv", "xlsx")


def _date(value: Any) -> str:
    return value.isoformat() if value else ""


def contract_columns(user: Any) -> list[Column]:
    columns = [
        Column("ID", lambda c: c.pk),
        Column("Number", lambda c: c.number),
        Column("Type", lambda c: c.get_kind_display()),
        Column("Title", lambda c: c.title),
        Column("Account", lambda c: c.account.name),
        Column("Status", lambda c: c.get_status_display()),
        Column("Start", lambda c: _date(c.start_date)),
        Column("End", lambda c: _date(c.end_date)),
        Column("Signed on", lambda c: _date(c.signed_on)),
        Column("Value", lambda c: c.value, confidential="value"),
        Column("Currency", lambda c: c.currency, confidential="currency"),
        Column("Renews automatically", lambda c: "yes" if c.is_auto_renewal else "no"),
        Column("Renewal term (months)", lambda c: c.renewal_term_months or ""),
        Column("Notice date", lambda c: _date(c.notice_date)),
        Column("Referral clause", lambda c: c.referral_terms if c.has_referral_clause else ""),
        Column("Owner", lambda c: c.owner.username),
    ]
    hidden = set(access.hidden_fields(user, Contract))
    return [column for column in columns if column.confidential not in hidden]


def export_contracts(
    *, user: Any, queryset: QuerySet[Contract], fmt: str, filters: dict[str, Any] | None = None
) -> Iterator[bytes]:
    """The contracts of `queryset` that `user` may see, as a stream of bytes in `fmt`."""
    if fmt not in FORMATS:
        raise ContractError(_("Contracts export as csv or xlsx, not %s.") % fmt)
    rows = queryset.select_related("account", "owner")
    return tabular.export_table(
        user=user, rows=rows, columns=contract_columns(user), fmt=fmt, filters=filters
    )


def filtered_contracts(user: Any, filters: dict[str, str] | QueryDict) -> QuerySet[Contract]:
    if isinstance(filters, QueryDict):
        data = filters
    else:
        data = QueryDict(mutable=True)
        for key, value in filters.items():
            data.appendlist(key, value)
    filterset = ContractFilterSet(data, queryset=selectors.contract_list(user=user))
    if not filterset.is_valid():
        problems = {name: list(messages) for name, messages in filterset.errors.items()}
        raise ContractError(_("Some filters are not valid."), fields=problems)
    return filterset.qs


def _export(user: Any, fmt: str, filters: dict[str, str], out: Any) -> int:
    """The `Exporter` entry point: write the export to the binary stream `out`."""
    unknown = sorted(set(filters) - set(ContractFilterSet.base_filters))
    if unknown:
        keys = ", ".join(sorted(ContractFilterSet.base_filters))
        raise ContractError(
            _("Unknown filter %(key)s; use one of %(keys)s.") % {"key": unknown[0], "keys": keys}
        )
    queryset = filtered_contracts(user, filters)
    count = tabular.scoped(user, queryset).count()
    for chunk in export_contracts(user=user, queryset=queryset, fmt=fmt, filters=dict(filters)):
        out.write(chunk)
    return count


EXPORTER = registry.Exporter(
    key="contracts", label=gettext_lazy("Contracts"), formats=FORMATS, export=_export
)

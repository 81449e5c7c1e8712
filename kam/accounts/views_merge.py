"""Pages of the duplicates review and of merging two accounts or two contacts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.accounts import merge, selectors_duplicates
from kam.accounts.models import Account, Contact
from kam.core import access
from kam.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from kam.core.http import KamRequest

CHOICE_LABELS = {
    "survivor": gettext_lazy("Keep this record's value"),
    "loser": gettext_lazy("Take the duplicate's value"),
    "union": gettext_lazy("Combine both"),
}


@login_required
def duplicates(request: KamRequest) -> HttpResponse:
    target = request.GET.get("target", "accounts")
    if target not in selectors_duplicates.TARGETS:
        target = "accounts"
    pairs = selectors_duplicates.duplicate_pairs(user=request.user, target=target)  # type: ignore[arg-type]
    page = selectors_duplicates.PairPaginator(pairs, 25).get_page(request.GET.get("page"))  # type: ignore[arg-type]
    return render(request, "accounts/duplicates.html", {"page": page, "target": target})


@dataclass(frozen=True)
class FieldRow:
    """One field of the two records side by side."""

    name: str
    label: str
    survivor: str
    loser: str
    differs: bool
    is_hidden: bool
    choices: tuple[str, ...]

    @property
    def input_name(self) -> str:
        return f"field_{self.name}"


class MergeForm(forms.Form):
    """A choice per differing field (the survivor's value preselected) and both versions read."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    loser_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, rows: list[FieldRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            if row.differs and not row.is_hidden:
                self.fields[row.input_name] = forms.ChoiceField(
                    label=row.label,
                    choices=[(choice, CHOICE_LABELS[choice]) for choice in row.choices],
                    initial="survivor",
                    required=False,
                    widget=forms.RadioSelect,
                )

    def field_choices(self) -> dict[str, str]:
        return {
            row.name: self.cleaned_data.get(row.input_name) or "survivor"
            for row in self.rows
            if row.input_name in self.fields
        }

    def selected(self, row: FieldRow) -> str:
        if self.is_bound:
            return str(self.data.get(row.input_name) or "survivor")
        return "survivor"


def _display(record: Model, field: Any) -> str:
    value = getattr(record, field.name)
    if field.choices:
        value = getattr(record, f"get_{field.name}_display")()
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {item}" for key, item in value.items()) or "—"
    return "—" if value in (None, "") else str(value)


def _rows(user: Any, survivor: Model, loser: Model) -> list[FieldRow]:
    hidden = set(access.hidden_fields(user, type(survivor)))
    rows = []
    for field in merge.mergeable_fields(type(survivor)):
        is_hidden = field.name in hidden
        mine, theirs = field.value_from_object(survivor), field.value_from_object(loser)
        rows.append(
            FieldRow(
                name=field.name,
                label=capfirst(str(field.verbose_name)),
                survivor=_("hidden") if is_hidden else _display(survivor, field),
                loser=_("hidden") if is_hidden else _display(loser, field),
                differs=mine != theirs,
                is_hidden=is_hidden,
                choices=merge.field_choices_for(field),
            )
        )
    return rows


def _pair(request: KamRequest, queryset: QuerySet[Any], survivor: int, loser: int) -> list[Any]:
    """Both records for the merge page: visible (404), changeable (403), live (a clear error)."""
    if survivor == loser:
        raise merge.MergeError(_("A record cannot be merged into itself."))
    records = [
        merge.merge_candidate(user=request.user, queryset=queryset, pk=pk)
        for pk in (survivor, loser)
    ]
    if not all(access.can(request.user, record, "change") for record in records):
        raise PermissionDeniedError(_("Merging needs the right to change both records."))
    return records


def _merge_page(
    request: KamRequest, *, kind: str, queryset: QuerySet[Any], survivor: int, loser: int
) -> HttpResponse:
    try:
        kept, gone = _pair(request, queryset, survivor, loser)
    except ApplicationError as error:
        if isinstance(error, PermissionDeniedError) or error.status_code == 404:
            raise
        messages.error(request, error.message)
        return redirect(f"{reverse('accounts:duplicates')}?target={kind}s")
    initial = {"version": kept.version, "loser_version": gone.version}
    rows = _rows(request.user, kept, gone)
    form = MergeForm(request.POST or None, rows=rows, initial=initial)
    alerts: list[str] = []
    if request.method == "POST" and form.is_valid():
        service = merge.account_merge if kind == "account" else merge.contact_merge
        try:
            merged = service(
                user=request.user,
                survivor=kept,
                loser=gone,
                field_choices=form.field_choices(),
                expected_versions={
                    "survivor": form.cleaned_data["version"],
                    "loser": form.cleaned_data["loser_version"],
                },
            )
        except ConflictError as error:
            # The page now shows the saved values and versions: choosing again applies to them.
            form = MergeForm(rows=rows, initial=initial)
            alerts.append(error.message)
        except ApplicationError as error:
            if isinstance(error, PermissionDeniedError) or error.status_code == 404:
                raise
            alerts.append(error.message)
            alerts.extend(
                f"{name}: {' '.join(problems)}" for name, problems in error.fields.items()
            )
        else:
            messages.success(
                request, _("Merged “%(loser)s” into “%(kept)s”.") % {"loser": gone, "kept": merged}
            )
            return redirect(_record_url(merged))
    context = {
        "kind": kind,
        "survivor": kept,
        "loser": gone,
        "form": form,
        "alerts": alerts,
        "rows": [(row, form.selected(row)) for row in rows],
        "related": merge.related_counts(gone),
        "swap_url": reverse(f"accounts:{kind}_merge", args=[gone.pk, kept.pk]),
        "survivor_url": _record_url(kept),
        "loser_url": _record_url(gone),
    }
    template = "accounts/merge.html" if kind == "account" else "accounts/contact_merge.html"
    return render(request, template, context)


def _record_url(record: Any) -> str:
    if isinstance(record, Contact):
        return (
            reverse("accounts:account_detail", args=[record.account_id]) + f"#contact-{record.pk}"
        )
    return reverse("accounts:account_detail", args=[record.pk])


@login_required
def account_merge(request: KamRequest, survivor: int, loser: int) -> HttpResponse:
    queryset = Account.objects.select_related("owner", "parent", "referred_by")
    return _merge_page(request, kind="account", queryset=queryset, survivor=survivor, loser=loser)


@login_required
def contact_merge(request: KamRequest, survivor: int, loser: int) -> HttpResponse:
    queryset = Contact.objects.select_related("account", "owner")
    return _merge_page(request, kind="contact", queryset=queryset, survivor=survivor, loser=loser)

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kam.accounts import exporting, selectors, services
from kam.accounts.choices import AddressKind, Channel
from kam.accounts.filters import AccountFilterSet, ContactFilterSet
from kam.accounts.forms import (
    FACT_FIELDS,
    AccountFactForm,
    AccountForm,
    AddressForm,
    BulkActionForm,
    ContactForm,
    TagsForm,
    TeamMemberForm,
)
from kam.accounts.models import Account, AccountAddress, Contact, CustomField
from kam.accounts.permissions import access_account, access_contact
from kam.core import access, registry
from kam.core.errors import ApplicationError, ConflictError, NotFoundError
from kam.core.forms import apply_errors, rearm_after_conflict
from kam.core.http import KamRequest
from kam.core.selectors import record_history


@login_required
def account_list(request: KamRequest) -> HttpResponse:
    filters = AccountFilterSet(request.GET, queryset=selectors.account_list(user=request.user))
    page = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
    template = (
        "accounts/partials/_account_rows.html" if request.htmx else "accounts/account_list.html"
    )
    return render(
        request,
        template,
        {
            "filters": filters,
            "page": page,
            "saved_filters": selectors.saved_filters(user=request.user, list_name="accounts"),
            "query": request.GET.urlencode(),
            "can_reassign": access.changes_all(request.user),
            "bulk_form": BulkActionForm(),
        },
    )


@login_required
def account_detail(request: KamRequest, pk: int) -> HttpResponse:
    account = selectors.account_detail(user=request.user, account_id=pk)
    can_change = access.can(request.user, account, "change")
    entries = registry.timeline(request.user, account, limit=TIMELINE_PAGE)
    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            "group": selectors.group_of(user=request.user, account=account),
            "rollup": selectors.group_rollup(user=request.user, account=account),
            "contacts": selectors.contacts_of(user=request.user, account=account),
            "facts": _facts(request, account, can_change=can_change),
            "entries": entries,
            "next_before": _next_before(entries),
            "panels": registry.panels_for("accounts.account", request.user),
            "addresses": _addresses(account),
            "team_form": _team_form(account) if can_change else None,
            "sees_confidential": access.can_see_confidential(request.user),
            "can_change": can_change,
        },
    )


@login_required
def contact_list(request: KamRequest) -> HttpResponse:
    filters = ContactFilterSet(request.GET, queryset=selectors.contact_list(user=request.user))
    page = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/contact_list.html",
        {
            "filters": filters,
            "page": page,
            "can_create": not access.is_read_only(request.user),
            # Saved contact views are also what a campaign's audience is chosen from.
            "saved_filters": selectors.saved_filters(user=request.user, list_name="contacts"),
            "query": _without_page(request),
        },
    )


def _without_page(request: KamRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def account_create(request: KamRequest) -> HttpResponse:
    form = AccountForm(
        request.POST or None, initial={"kind": "prospect", "tier": "standard", "status": "lead"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_create(user=request.user, data=form.service_data())
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Account “%s” created.") % account.name)
            return redirect("accounts:account_detail", pk=account.pk)
    return render(request, "accounts/account_form.html", {"form": form, "account": None})


@login_required
def account_edit(request: KamRequest, pk: int) -> HttpResponse:
    account = access_account(user=request.user, account_id=pk, action="change")
    initial = {
        name: getattr(account, name) for name in AccountForm.base_fields if hasattr(account, name)
    }
    initial.update(
        emails=", ".join(account.emails),
        phones=", ".join(account.phones),
        country=str(account.country or ""),
        version=account.version,
    )
    form = AccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_update(
                user=request.user,
                account=account,
                expected_version=form.cleaned_data["version"] or 0,
                data=form.service_data(),
            )
        except ConflictError as error:
            apply_errors(form, error)
            current = rearm_after_conflict(form, request.POST, error)
            return render(
                request,
                "accounts/account_form.html",
                {"form": form, "account": account, "conflict": current},
            )
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("accounts:account_detail", pk=account.pk)
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


@login_required
@require_POST
def account_bulk(request: KamRequest) -> HttpResponse:
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an action and at least one account."))
        return redirect("accounts:account_list")
    action = form.cleaned_data["action"]
    value = form.cleaned_data["owner"] if action == "reassign" else form.cleaned_data["value"]
    try:
        count = services.accounts_bulk_update(
            user=request.user, account_ids=form.account_ids(), action=action, value=value
        )
    except ApplicationError as error:
        messages.error(
            request, " ".join(m for ms in error.fields.values() for m in ms) or error.message
        )
    else:
        messages.success(request, _("%d accounts changed.") % count)
    return redirect(request.POST.get("next") or "accounts:account_list")


@login_required
@require_POST
def saved_filter_save(request: KamRequest) -> HttpResponse:
    query = request.POST.get("query", "")
    list_name = request.POST.get("list_name", "accounts")
    if list_name not in SAVED_VIEW_LISTS:
        return HttpResponseBadRequest(_("Unknown list."))
    try:
        services.saved_filter_save(
            user=request.user,
            list_name=list_name,
            name=request.POST.get("name", ""),
            query=query,
            is_shared=request.POST.get("is_shared") == "on",
        )
    except ApplicationError as error:
        messages.error(request, " ".join(m for ms in error.fields.values() for m in ms))
    return redirect(f"{reverse(SAVED_VIEW_LISTS[list_name])}?{query}")


@login_required
@require_POST
def saved_filter_delete(request: KamRequest, pk: int) -> HttpResponse:
    list_name = request.POST.get("list_name", "accounts")
    services.saved_filter_delete(user=request.user, saved_filter_id=pk)
    return redirect(SAVED_VIEW_LISTS.get(list_name, "accounts:account_list"))


# The lists whose filters can be saved as views, and their pages.
SAVED_VIEW_LISTS = {"accounts": "accounts:account_list", "contacts": "accounts:contact_list"}


EXPORT_TYPES = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "vcf": ("text/vcard; charset=utf-8", "vcf"),
}


@login_required
def list_export(request: KamRequest, target: str) -> StreamingHttpResponse:
    """The list as the user filtered it, in his visibility, as CSV, XLSX or (contacts) vCard."""
    fmt = request.GET.get("format", "csv")
    if fmt not in EXPORT_TYPES or target not in ("accounts", "contacts"):
        raise NotFoundError()
    params = request.GET.copy()
    params.pop("format", None)
    try:
        if target == "accounts":
            queryset = AccountFilterSet(
                params, queryset=selectors.account_list(user=request.user)
            ).qs
            stream = exporting.export_accounts(
                user=request.user, queryset=queryset, fmt=fmt, filters=params.dict()
            )
        else:
            queryset = ContactFilterSet(
                params, queryset=selectors.contact_list(user=request.user)
            ).qs
            stream = exporting.export_contacts(
                user=request.user, queryset=queryset, fmt=fmt, filters=params.dict()
            )
    except ApplicationError:
        raise NotFoundError() from None
    content_type, extension = EXPORT_TYPES[fmt]
    response = StreamingHttpResponse(stream, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="kam-{target}.{extension}"'
    return response


# --- The account page: timeline, key facts, team, addresses and tags edited in place ------------

TIMELINE_PAGE = 20


def _next_before(entries: list[registry.TimelineEntry]) -> str:
    """Where the next timeline page starts: a full page may have older entries behind it."""
    if len(entries) < TIMELINE_PAGE:
        return ""
    return registry.TimelineCursor.after(entries[-1]).token()


@login_required
def account_timeline(request: KamRequest, pk: int) -> HttpResponse:
    """One more page of the account's timeline (the "show older" button)."""
    account = access_account(user=request.user, account_id=pk)
    before = registry.TimelineCursor.parse(request.GET.get("before", ""))
    if before is None:
        return HttpResponseBadRequest(_("Say where the page starts: ?before= from “Show older”."))
    entries = registry.timeline(request.user, account, before=before, limit=TIMELINE_PAGE)
    return render(
        request,
        "accounts/partials/_timeline_entries.html",
        {"account": account, "entries": entries, "next_before": _next_before(entries)},
    )


@dataclass(frozen=True)
class Fact:
    """One key fact as the account page shows it."""

    name: str
    label: str
    text: str = ""
    items: tuple[str, ...] = ()
    url: str = ""
    is_editable: bool = False


def _fact_text(account: Account, name: str) -> str:
    value = getattr(account, name)
    if name == "country":
        return str(getattr(account.country, "name", "")) if account.country else ""
    if name == "credit_limit":
        return "" if value is None else f"{number_format(value, 2)} {account.currency}"
    if name == "payment_terms_days":
        return "" if value is None else ngettext("%d day", "%d days", value) % value
    display = getattr(account, f"get_{name}_display", None)
    return str(display() if display is not None else (value or ""))


def _fact(account: Account, name: str, *, is_editable: bool) -> Fact:
    label = str(AccountFactForm.base_fields[name].label)
    if name in ("phones", "emails"):
        return Fact(name, label, items=tuple(getattr(account, name)), is_editable=is_editable)
    if name == "website":
        text = account.domain or account.website
        return Fact(name, label, text=text, url=account.website, is_editable=is_editable)
    return Fact(name, label, text=_fact_text(account, name), is_editable=is_editable)


def _facts(request: KamRequest, account: Account, *, can_change: bool) -> list[Fact]:
    hidden = set(access.hidden_fields(request.user, Account))
    reassigns = access.changes_all(request.user)
    return [
        _fact(account, name, is_editable=can_change and (name != "owner" or reassigns))
        for name in FACT_FIELDS
        if name not in hidden
    ]


def _fact_form(account: Account, name: str, data: Any = None) -> AccountFactForm:
    initial = {field: getattr(account, field) for field in FACT_FIELDS[name]}
    if "country" in initial:
        initial["country"] = str(account.country or "")
    return AccountFactForm(
        data, fact=name, initial={**initial, "version": account.version}, auto_id="fact_%s"
    )


@login_required
def account_fact(request: KamRequest, pk: int, name: str) -> HttpResponse:
    """A key fact in place: shown (GET), its inline form (GET ?edit=1), saved (POST) with the
    version check; a stale save shows the newer value inline and overwrites nothing."""
    account = access_account(user=request.user, account_id=pk, action="change")
    if name not in FACT_FIELDS or name in access.hidden_fields(request.user, Account):
        raise NotFoundError()
    context: dict[str, Any] = {"account": account}
    form: AccountFactForm | None = None
    if request.method == "POST":
        form = _fact_form(account, name, request.POST)
        if form.is_valid():
            try:
                account = services.account_update(
                    user=request.user,
                    account=account,
                    expected_version=form.cleaned_data["version"],
                    data=form.service_data(),
                )
            except ConflictError:
                account = selectors.account_detail(user=request.user, account_id=pk)
                context["conflict"] = _fact(account, name, is_editable=False)
                data = request.POST.copy()
                data["version"] = str(account.version)
                form.data = data
                form.add_error(None, ConflictError.default_message)
            except ApplicationError as error:
                apply_errors(form, error)
            else:
                context.update(account=account, oob_header=True)
                form = None
    elif request.GET.get("edit"):
        form = _fact_form(account, name)
    context.update(fact=_fact(account, name, is_editable=True), form=form)
    return render(request, "accounts/partials/_fact.html", context)


def _team_form(account: Account, data: Any = None) -> TeamMemberForm:
    return TeamMemberForm(
        data, candidates=selectors.team_candidates(account=account), auto_id="team_%s"
    )


def _team_section(
    request: KamRequest, account: Account, form: TeamMemberForm | None = None
) -> HttpResponse:
    memberships = account.memberships.select_related("user").order_by("user__first_name", "pk")
    return render(
        request,
        "accounts/partials/_team.html",
        {
            "account": account,
            "memberships": list(memberships),
            "team_form": form or _team_form(account),
            "can_change": True,
        },
    )


@login_required
@require_POST
def account_team_add(request: KamRequest, pk: int) -> HttpResponse:
    account = access_account(user=request.user, account_id=pk, action="change")
    form: TeamMemberForm | None = _team_form(account, request.POST)
    if form is not None and form.is_valid():
        try:
            services.account_team_add(
                user=request.user,
                account=account,
                member=form.cleaned_data["member"],
                role=form.cleaned_data["role"],
            )
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            form = None
    return _team_section(request, account, form)


@login_required
@require_POST
def account_team_remove(request: KamRequest, pk: int, user_id: int) -> HttpResponse:
    account = access_account(user=request.user, account_id=pk, action="change")
    services.account_team_remove(user=request.user, account=account, member_id=user_id)
    return _team_section(request, account)


def _addresses(account: Account) -> list[tuple[str, str, AccountAddress | None]]:
    stored = {address.kind: address for address in account.addresses.all()}
    return [(kind, str(label), stored.get(kind)) for kind, label in AddressKind.choices]


@login_required
def account_address(request: KamRequest, pk: int, kind: str) -> HttpResponse:
    """One of the three addresses in place: shown, its inline form, saved (POST)."""
    account = access_account(user=request.user, account_id=pk, action="change")
    if kind not in AddressKind.values:
        raise NotFoundError()
    address = account.addresses.filter(kind=kind).first()
    initial: dict[str, Any] = (
        {f: str(getattr(address, f) or "") for f in services.ADDRESS_FIELDS} if address else {}
    )
    initial["expected_updated_at"] = address.updated_at if address else None
    form: AddressForm | None = None
    conflict = False
    if request.method == "POST":
        form = AddressForm(request.POST, initial=initial, auto_id=f"address_{kind}_%s")
        if form.is_valid():
            try:
                address = services.account_set_address(
                    user=request.user,
                    account=account,
                    kind=kind,
                    data=form.cleaned_data,
                    expected_updated_at=form.cleaned_data["expected_updated_at"],
                )
            except ConflictError as error:
                conflict = True
                address = account.addresses.filter(kind=kind).first()
                data = request.POST.copy()
                data["expected_updated_at"] = address.updated_at.isoformat() if address else ""
                form.data = data
                form.add_error(None, error.message)
            except ApplicationError as error:
                apply_errors(form, error)
            else:
                form = None
    elif request.GET.get("edit"):
        form = AddressForm(initial=initial, auto_id=f"address_{kind}_%s")
    label = str(AddressKind(kind).label)
    return render(
        request,
        "accounts/partials/_address.html",
        {
            "account": account,
            "kind": kind,
            "label": label,
            "address": address,
            "form": form,
            "conflict": conflict,
            "can_change": True,
        },
    )


@login_required
def account_tags(request: KamRequest, pk: int) -> HttpResponse:
    """The account's tags in place: shown, a comma-separated input, saved (POST)."""
    account = access_account(user=request.user, account_id=pk, action="change")
    names = ", ".join(tag.name for tag in account.tags.all())
    form: TagsForm | None = None
    if request.method == "POST":
        form = TagsForm(request.POST, auto_id="tags_%s")
        if form.is_valid():
            services.account_set_tags(user=request.user, account=account, names=form.names())
            form = None
    elif request.GET.get("edit"):
        form = TagsForm(initial={"tags": names}, auto_id="tags_%s")
    return render(
        request,
        "accounts/partials/_tags.html",
        {"account": account, "tags": list(account.tags.all()), "form": form, "can_change": True},
    )


# --- Contacts -------------------------------------------------------------------------------------


@login_required
def contact_detail(request: KamRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_detail(user=request.user, contact_id=pk)
    consents = {c.channel: c for c in contact.consents.all()}
    return render(
        request,
        "accounts/contact_detail.html",
        {
            "contact": contact,
            "consents": [(label, consents.get(ch)) for ch, label in Channel.choices],
            "custom": _custom_values(contact),
            "history": record_history(user=request.user, record=contact),
            "can_change": access.can(request.user, contact, "change"),
            "panels": registry.panels_for("accounts.contact", request.user),
        },
    )


def _custom_values(contact: Contact) -> list[tuple[str, Any]]:
    definitions = selectors.custom_fields(applies_to=CustomField.AppliesTo.CONTACT)
    return [(d.label, contact.custom.get(d.key)) for d in definitions if d.key in contact.custom]


@login_required
def contact_new(request: KamRequest) -> HttpResponse:
    """A new contact starts from his account: find it by name among those one may change."""
    query = request.GET.get("q", "")
    accounts = selectors.changeable_accounts(user=request.user, query=query)
    return render(request, "accounts/contact_new.html", {"query": query, "accounts": accounts})


def _contact_form(data: Any = None, contact: Contact | None = None, **kwargs: Any) -> ContactForm:
    return ContactForm(
        data,
        custom_fields=selectors.custom_fields(applies_to=CustomField.AppliesTo.CONTACT),
        consents=list(contact.consents.all()) if contact is not None else (),
        **kwargs,
    )


@login_required
def contact_create(request: KamRequest, pk: int) -> HttpResponse:
    """A contact at the account; likely duplicates are shown before the first save."""
    account = access_account(user=request.user, account_id=pk, action="change")
    form = _contact_form(request.POST or None)
    context: dict[str, Any] = {"form": form, "account": account, "contact": None}
    if request.method == "POST" and form.is_valid():
        data = form.service_data(account)
        if not form.cleaned_data["ignore_duplicates"]:
            context["duplicates"] = selectors.contact_duplicates(user=request.user, data=data)
        if not context.get("duplicates"):
            try:
                contact = services.contact_save(
                    user=request.user, data=data, consents=form.consents()
                )
            except ApplicationError as error:
                form.apply_errors(error.fields, error.message)
            else:
                messages.success(request, _("Contact “%s” added.") % contact.full_name)
                return redirect(
                    f"{reverse('accounts:account_detail', args=[pk])}#contact-{contact.pk}"
                )
    return render(request, "accounts/contact_form.html", context)


def _contact_initial(contact: Contact) -> dict[str, Any]:
    initial: dict[str, Any] = {
        name: getattr(contact, name) for name in ContactForm.base_fields if hasattr(contact, name)
    }
    initial["version"] = contact.version
    for key, value in contact.custom.items():
        initial[f"custom_{key}"] = {True: "yes", False: "no"}.get(value, value)
    return initial


@login_required
def contact_edit(request: KamRequest, pk: int) -> HttpResponse:
    contact = access_contact(user=request.user, contact_id=pk, action="change")
    form = _contact_form(request.POST or None, contact, initial=_contact_initial(contact))
    context: dict[str, Any] = {"form": form, "account": contact.account, "contact": contact}
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_save(
                user=request.user,
                contact=contact,
                expected_version=form.cleaned_data["version"] or 0,
                data=form.service_data(),
                consents=form.consents(),
            )
        except ConflictError as error:
            form.apply_errors({}, error.message)
            context["conflict"] = rearm_after_conflict(form, request.POST, error)
        except ApplicationError as error:
            form.apply_errors(error.fields, error.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("accounts:contact_detail", pk=contact.pk)
    return render(request, "accounts/contact_form.html", context)

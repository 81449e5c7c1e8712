from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Model
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.core import access, tabular
from kam.core.errors import ApplicationError
from kam.core.forms import apply_errors
from kam.core.http import KamRequest
from kam.core.selectors import record_history
from kam.documents import selectors, services
from kam.documents.downloads import file_response
from kam.documents.exporting import register_stream
from kam.documents.filters import RegisterFilterSet
from kam.documents.forms import DocumentUploadForm, VersionUploadForm
from kam.documents.models import Document
from kam.documents.permissions import access_document, access_version

# The page of each record type that has a documents panel (URL names: no upward import).
RECORD_PAGES = {
    "accounts.account": "accounts:account_detail",
    "accounts.contact": "accounts:contact_detail",
    "sales.deal": "sales:deal_detail",
}
REGISTER_PAGE_SIZE = 50


def record_url(record: Model) -> str:
    url_name = RECORD_PAGES.get(record._meta.label_lower)
    if url_name:
        try:
            return reverse(url_name, args=[record.pk])
        except NoReverseMatch:
            pass
    absolute = getattr(record, "get_absolute_url", None)
    return str(absolute()) if callable(absolute) else ""


@login_required
def record_panel(request: KamRequest, pk: int, record_type: str) -> HttpResponse:
    """A record page's documents: the list, and an upload form for those who may change it."""
    record = selectors.record_get(user=request.user, content_type=record_type, object_id=pk)
    can_change = access.can(request.user, record, "change")
    form = DocumentUploadForm(
        request.POST or None, request.FILES or None, user=request.user, record=record
    )
    created: Document | None = None
    if request.method == "POST" and can_change and form.is_valid():
        try:
            created = services.document_create(
                user=request.user, record=record, **form.service_data()
            )
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            form = DocumentUploadForm(user=request.user, record=record)
    context = {
        "record": record,
        "documents": selectors.record_documents(user=request.user, record=record),
        "form": form,
        "can_change": can_change,
        "created": created,
        "panel_url": request.path,
    }
    return render(request, "documents/partials/_panel.html", context)


@login_required
def document_detail(request: KamRequest, pk: int) -> HttpResponse:
    document = access_document(user=request.user, document_id=pk)
    return _detail(request, document, VersionUploadForm())


def _detail(request: KamRequest, document: Document, form: VersionUploadForm) -> HttpResponse:
    record = cast(Model, document.record)  # set by access_document
    context = {
        "document": document,
        "record": record,
        "record_url": record_url(record),
        "versions": selectors.document_versions(document=document),
        "can_change": access.can(request.user, record, "change"),
        "form": form,
        "history": record_history(user=request.user, record=document),
    }
    return render(request, "documents/document_detail.html", context)


@login_required
@require_POST
def version_upload(request: KamRequest, pk: int) -> HttpResponse:
    document = access_document(user=request.user, document_id=pk, action="change")
    form = VersionUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            version = services.document_add_version(
                user=request.user,
                document=document,
                upload=upload,
                filename=upload.name,
                comment=form.cleaned_data["comment"],
            )
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Version %(n)s uploaded.") % {"n": version.number})
            return redirect("documents:document_detail", pk=document.pk)
    return _detail(request, document, form)


@login_required
@require_POST
def document_delete(request: KamRequest, pk: int) -> HttpResponse:
    document = access_document(user=request.user, document_id=pk, action="change")
    services.document_delete(user=request.user, document=document)
    messages.success(request, _("Moved to the trash."))
    return redirect(record_url(cast(Model, document.record)) or reverse("documents:register"))


@login_required
def download(request: KamRequest, pk: int, number: int) -> FileResponse:
    version = access_version(user=request.user, document_id=pk, number=number)
    return file_response(user=request.user, version=version)


@login_required
def register(request: KamRequest) -> HttpResponseBase:
    """Incoming and outgoing documents with their register numbers; filters and export."""
    fmt = request.GET.get("export", "")
    if fmt:
        filters = {k: str(v) for k, v in request.GET.items() if k not in ("export", "page")}
        if fmt not in tabular.TABLE_FORMATS:
            fmt = "csv"
        try:
            stream = register_stream(user=request.user, fmt=fmt, filters=filters)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("documents:register")
        response = StreamingHttpResponse(stream, content_type=tabular.CONTENT_TYPES[fmt])
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="register-{stamp}.{fmt}"'
        return response
    filters = RegisterFilterSet(
        request.GET or None, queryset=selectors.register_list(user=request.user)
    )
    rows = filters.qs if filters.is_bound and filters.is_valid() else filters.queryset
    page = Paginator(rows, REGISTER_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filters": filters, "page": page, "query": query.urlencode()}
    return render(request, "documents/register.html", context)

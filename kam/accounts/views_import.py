"""Importing in the UI: upload → a dry run with the recognised column mapping → the real run,
with a live progress bar and the row errors as a download."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.files import File
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.accounts.importing.jobs import create_import_job, errors_csv, preview_file
from kam.accounts.importing.reader import ImportFileError
from kam.accounts.models import ImportJob
from kam.core import access
from kam.core.errors import ApplicationError
from kam.core.http import KamRequest

TARGETS = [ImportJob.Target.ACCOUNTS, ImportJob.Target.CONTACTS]


def _job(request: KamRequest, pk: int) -> ImportJob:
    job: ImportJob = access.get_for(request.user, ImportJob.objects.all(), pk)
    return job


def _error_text(error: ApplicationError) -> str:
    return " ".join(m for ms in error.fields.values() for m in ms) or error.message


@login_required
def import_start(request: KamRequest) -> HttpResponse:
    owners = (
        get_user_model().objects.filter(is_active=True)
        if access.changes_all(request.user)
        else None
    )
    if request.method == "POST":
        upload = request.FILES.get("file")
        owner = owners.filter(pk=request.POST.get("owner") or 0).first() if owners else None
        if upload is None:
            messages.error(request, _("Choose a CSV or XLSX file."))
        else:
            try:
                job = create_import_job(
                    user=request.user,
                    upload=upload,
                    target=request.POST.get("target", ""),
                    on_duplicate=request.POST.get("on_duplicate", "skip"),
                    dry_run=True,
                    owner=owner,
                )
            except (ApplicationError, ImportFileError) as error:
                messages.error(
                    request,
                    _error_text(error) if isinstance(error, ApplicationError) else str(error),
                )
            else:
                return redirect("accounts:import_job", pk=job.pk)
    jobs = access.scope(ImportJob.objects.all(), request.user).select_related("created_by")[:20]
    return render(
        request, "accounts/import_start.html", {"jobs": jobs, "owners": owners, "targets": TARGETS}
    )


@login_required
def import_job(request: KamRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    context: dict[str, object] = {"job": job}
    if request.htmx:
        return render(request, "accounts/partials/_import_progress.html", context)
    if job.is_dry_run and job.status == ImportJob.Status.DONE:
        try:
            preview = preview_file(
                Path(job.file.path),
                user=request.user,
                target=job.target,
                mapping=job.mapping or None,
            )
        except (ImportFileError, OSError):
            preview = None
        if preview is not None:
            context["preview"] = preview
            context["columns"] = [
                (
                    header,
                    preview["mapping"].get(header),
                    [row[i] for row in preview["sample"] if i < len(row)],
                )
                for i, header in enumerate(preview["headers"])
            ]
    return render(request, "accounts/import_job.html", context)


@login_required
@require_POST
def import_run(request: KamRequest, pk: int) -> HttpResponse:
    """Import for real the file a dry run previewed, with the mapping as the user left it."""
    dry = _job(request, pk)
    headers = request.POST.getlist("header")
    fields = request.POST.getlist("field")
    mapping = {header: (field or None) for header, field in zip(headers, fields, strict=False)}
    owner_id = dry.options.get("owner_id")
    try:
        with open(dry.file.path, "rb") as handle:
            job = create_import_job(
                user=request.user,
                upload=File(handle, name=dry.original_name),  # type: ignore[arg-type]
                target=dry.target,
                mapping=mapping,
                on_duplicate=request.POST.get("on_duplicate")
                or dry.options.get("on_duplicate", "skip"),
                dry_run=request.POST.get("dry_run") == "on",
                owner=get_user_model().objects.filter(pk=owner_id).first() if owner_id else None,
            )
    except (ApplicationError, ImportFileError) as error:
        messages.error(
            request, _error_text(error) if isinstance(error, ApplicationError) else str(error)
        )
        return redirect("accounts:import_job", pk=dry.pk)
    return redirect("accounts:import_job", pk=job.pk)


@login_required
def import_errors(request: KamRequest, pk: int) -> StreamingHttpResponse:
    job = _job(request, pk)
    response = StreamingHttpResponse(errors_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response

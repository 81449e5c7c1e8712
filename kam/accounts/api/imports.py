"""Import jobs: `POST /api/v1/import-jobs/` (multipart: a file and options) starts an import in
the background; `GET /api/v1/import-jobs/{id}/` shows its progress; `GET .../errors.csv` its row
errors. `POST /api/v1/import-jobs/preview/` is the mapping step: how a file reads, nothing saved.
`POST .../{id}/resume/` carries an interrupted job on (its process died; see jobs.py).
A job is visible to whoever started it (and to the roles that see everything)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from kam.accounts.importing import jobs
from kam.accounts.importing.engine import ON_DUPLICATE
from kam.accounts.models import ImportJob
from kam.core import access

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class _MappingField(serializers.JSONField):
    """{file header: field or null}, sent as JSON text in a multipart form."""

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if isinstance(value, str) and value.strip():
            import json

            try:
                value = json.loads(value)
            except ValueError:
                raise serializers.ValidationError("Send the mapping as a JSON object.") from None
        if value in ("", None):
            return None
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in value.items()
        ):
            raise serializers.ValidationError('Expected {"file header": "field" or null}.')
        return value


class ImportFileInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    file = serializers.FileField()
    target = serializers.ChoiceField(choices=ImportJob.Target.choices)
    mapping = _MappingField(required=False, allow_null=True)
    encoding = serializers.CharField(required=False, allow_blank=True, max_length=40)

    def validate_file(self, value: Any) -> Any:
        if value.size > MAX_UPLOAD_BYTES:
            raise serializers.ValidationError(
                f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
            )
        return value


class ImportJobCreateInputSerializer(ImportFileInputSerializer):
    on_duplicate = serializers.ChoiceField(choices=ON_DUPLICATE, default="skip")
    dry_run = serializers.BooleanField(default=False)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Owner of the rows whose file names none (default: you).",
    )


class ImportJobOutputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    status = serializers.CharField(
        read_only=True,
        help_text="pending, running, done, failed or interrupted (its process died: resume it "
        "with POST .../resume/, or import the same file again)",
    )
    progress = serializers.SerializerMethodField(help_text="Percent of the rows processed.")

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "target",
            "original_name",
            "created_by",
            "status",
            "is_dry_run",
            "options",
            "mapping",
            "total_rows",
            "processed_rows",
            "progress",
            "created_count",
            "updated_count",
            "skipped_count",
            "error_count",
            "message",
            "created_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_progress(self, job: ImportJob) -> int:
        if job.status == ImportJob.Status.DONE:
            return 100
        return 100 * job.processed_rows // job.total_rows if job.total_rows else 0


class ImportPreviewSerializer(serializers.Serializer):  # type: ignore[type-arg]
    format = serializers.CharField()
    encoding = serializers.CharField()
    delimiter = serializers.CharField()
    headers = serializers.ListField(child=serializers.CharField())
    mapping = serializers.DictField(child=serializers.CharField())
    field_choices = serializers.ListField(
        child=serializers.CharField(), help_text="The fields a column can be mapped to."
    )
    warnings = serializers.ListField(child=serializers.CharField())
    sample = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))


class ImportJobViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Imports of accounts or contacts from CSV or XLSX files, run in the background."""

    serializer_class = ImportJobOutputSerializer
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["status", "target"]
    ordering_fields = ["created_at"]

    def get_queryset(self) -> QuerySet[ImportJob]:
        jobs = access.scope(ImportJob.objects.all(), self.request.user)
        return jobs.select_related("created_by").order_by("-created_at", "-pk")

    @extend_schema(
        request={"multipart/form-data": ImportJobCreateInputSerializer},
        responses={201: ImportJobOutputSerializer},
    )
    def create(self, request: Request) -> Response:
        data = ImportJobCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        job = jobs.create_import_job(
            user=request.user,
            upload=values["file"],
            target=values["target"],
            mapping=values.get("mapping"),
            on_duplicate=values["on_duplicate"],
            dry_run=values["dry_run"],
            owner=values.get("owner"),
            encoding=values.get("encoding") or None,
        )
        return Response(self.get_serializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": ImportFileInputSerializer},
        responses={200: ImportPreviewSerializer},
    )
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        """How the file reads and which column feeds which field (nothing is saved)."""
        data = ImportFileInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        upload = values["file"]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "upload"
            with path.open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            preview = jobs.preview_file(
                path,
                user=request.user,
                target=values["target"],
                mapping=values.get("mapping"),
                encoding=values.get("encoding") or None,
            )
        return Response(ImportPreviewSerializer(preview).data)

    @extend_schema(request=None, responses={202: ImportJobOutputSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        """Carry an interrupted job on after its committed rows, in the background."""
        job = jobs.resume_import_job(user=request.user, job_id=self.get_object().pk)
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV")}
    )
    def errors(self, request: Request, pk: str | None = None) -> StreamingHttpResponse:
        """The job's row errors as CSV: row, column, value, reason."""
        job = self.get_object()
        response = StreamingHttpResponse(jobs.errors_csv(job), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
        return response

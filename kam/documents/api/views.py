from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from kam.core.access import Action
from kam.core.api.mixins import ETagMixin, VersionedUpdateMixin, etag
from kam.documents import selectors, services
from kam.documents.api import serializers as s
from kam.documents.downloads import file_response
from kam.documents.errors import DocumentError
from kam.documents.files import refuse_oversized_body
from kam.documents.filters import DocumentFilterSet
from kam.documents.models import Document
from kam.documents.permissions import access_document, access_version


class FileRenderer(BaseRenderer):
    """Lets a download answer whatever the client accepts (the file is not rendered by DRF)."""

    media_type = "*/*"
    format = "file"

    def render(self, data: Any, accepted_media_type: Any = None, context: Any = None) -> Any:
        return data


RECORD_PARAMETERS = [
    OpenApiParameter("content_type", str, description="The record's type: accounts.account"),
    OpenApiParameter("object_id", int, description="The record's id"),
]


class DocumentViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Documents on records, visible and changeable with their record. List one record's with
    `?content_type=accounts.account&object_id=12` (404 if you may not see it); upload with a
    multipart POST; a new file is `POST /documents/{id}/versions/`; delete moves to the trash."""

    serializer_class = s.DocumentOutputSerializer
    update_serializer_class = s.DocumentUpdateInputSerializer
    filterset_class = DocumentFilterSet
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    ordering_fields = ["created_at", "date", "title"]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Refuse a body announced larger than any allowed file before reading it."""
        if request.method == "POST":
            refuse_oversized_body(request.META.get("CONTENT_LENGTH"))
        super().initial(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Document]:
        params = self.request.query_params
        content_type, object_id = params.get("content_type"), params.get("object_id")
        if self.action != "list" or not (content_type or object_id):
            return selectors.document_list(user=self.request.user)
        if not content_type:
            raise DocumentError(fields={"content_type": [_("Name the record's type too.")]})
        if not object_id:  # every document of one record type
            selectors.documentable_model(content_type)
            return selectors.document_list(user=self.request.user)
        record = selectors.record_get(
            user=self.request.user, content_type=content_type, object_id=object_id
        )
        return selectors.record_documents(user=self.request.user, record=record)

    def get_object(self) -> Document:
        action: Action = "view" if self.request.method in ("GET", "HEAD") else "change"
        return access_document(user=self.request.user, document_id=self.kwargs["pk"], action=action)

    def get_serializer_class(self) -> Any:
        if self.action in ("retrieve", "create", "add_version", "update", "partial_update"):
            return s.DocumentDetailOutputSerializer
        return s.DocumentOutputSerializer

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        return services.document_update(
            user=self.request.user, document=instance, expected_version=expected, data=changes
        )

    def _answer(self, document: Document, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.document_fresh(document_id=document.pk)
        body = s.DocumentDetailOutputSerializer(fresh, context=self.get_serializer_context()).data
        return Response(body, status=code, headers={"ETag": etag(fresh.version)})

    @extend_schema(parameters=RECORD_PARAMETERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": s.DocumentCreateInputSerializer},
        responses={201: s.DocumentDetailOutputSerializer},
    )
    def create(self, request: Request) -> Response:
        data = s.DocumentCreateInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        record = selectors.record_get(
            user=request.user,
            content_type=values.pop("content_type"),
            object_id=values.pop("object_id"),
        )
        upload = values.pop("file")
        document = services.document_create(
            user=request.user, record=record, upload=upload, filename=upload.name, **values
        )
        return self._answer(document, status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": s.VersionCreateInputSerializer},
        responses={201: s.DocumentDetailOutputSerializer},
    )
    @action(detail=True, methods=["post"], url_path="versions")
    def add_version(self, request: Request, pk: str | None = None) -> Response:
        """Upload the next version of the document's file."""
        document = self.get_object()
        data = s.VersionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        services.document_add_version(
            user=request.user,
            document=document,
            upload=upload,
            filename=upload.name,
            comment=data.validated_data["comment"],
        )
        return self._answer(document, status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], renderer_classes=[FileRenderer, JSONRenderer])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        """The current version's file (an attachment)."""
        document = self.get_object()
        version = access_version(
            user=request.user,
            document_id=document.pk,
            number=document.current_version.number if document.current_version else 0,
        )
        return file_response(user=request.user, version=version)

    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    @action(
        detail=True,
        methods=["get"],
        url_path=r"versions/(?P<number>[0-9]+)/download",
        url_name="download-version",
        renderer_classes=[FileRenderer, JSONRenderer],
    )
    def download_version(
        self, request: Request, pk: str | None = None, number: str | None = None
    ) -> FileResponse:
        """One version's file (an attachment), earlier ones included."""
        version = access_version(user=request.user, document_id=pk, number=number)
        return file_response(user=request.user, version=version)

    def perform_destroy(self, instance: Document) -> None:
        services.document_delete(user=self.request.user, document=instance)

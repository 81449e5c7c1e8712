"""Domain errors and the one JSON error shape of the API.

Every error answer looks like:
    {"code": "validation_error", "detail": "Invalid input.", "fields": {"name": ["..."]}}
A conflict (HTTP 409) also carries "current": the newer values the client did not see.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A rule of the domain said no. Views turn it into a clear message, the API into JSON."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "invalid"
    default_message: str = "The request could not be carried out."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.fields = fields or {}
        self.extra = extra or {}
        super().__init__(self.message)


class NotFoundError(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    default_message = "Not found."


class PermissionDeniedError(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"
    default_message = "You do not have permission to do this."


class ConflictError(ApplicationError):
    """The record changed since the editor read it (optimistic locking)."""

    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    default_message = (
        "This record was changed by someone else since you opened it. "
        "Review the current values and apply your change again."
    )


class PreconditionRequiredError(ApplicationError):
    status_code = 428
    code = "version_required"
    default_message = "Send the version you last read (field `version` or an If-Match header)."


def _body(code: str, detail: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "detail": detail, "fields": fields or {}}


def _validation_fields(data: Any) -> dict[str, Any]:
    if isinstance(data, dict):
        return {
            key: value if isinstance(value, list | dict) else [value] for key, value in data.items()
        }
    if isinstance(data, list):
        return {"non_field_errors": data}
    return {"non_field_errors": [data]}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        body = _body(exc.code, exc.message, exc.fields)
        body.update(exc.extra)
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        fields = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(fields)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _body("validation_error", "Invalid input.", _validation_fields(exc.detail))
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        response.data = _body(str(code), str(exc.detail))
    return response

"""API building blocks: optimistic locking (version / If-Match / ETag), confidential fields."""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from kam.core import access
from kam.core.errors import PreconditionRequiredError

_ETAG = re.compile(r'^(?:W/)?"?(\d+)"?$')


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(request: Request) -> int:
    """The version the client last read: body `version`, else the If-Match header."""
    raw = request.data.get("version") if hasattr(request.data, "get") else None
    if raw is None:
        header = request.headers.get("If-Match", "").strip()
        match = _ETAG.match(header)
        raw = match.group(1) if match else None
    try:
        return int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PreconditionRequiredError(
            fields={"version": ["Send the version you last read (or an If-Match header)."]}
        ) from None


class ETagMixin:
    """Detail answers of versioned records carry `ETag: "<version>"`."""

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response: Response = super().retrieve(request, *args, **kwargs)  # type: ignore[misc]
        version = response.data.get("version") if isinstance(response.data, dict) else None
        if version is not None:
            response["ETag"] = etag(version)
        return response


class ConfidentialFieldsMixin(serializers.Serializer):  # type: ignore[type-arg]
    """Drops the model's confidential fields for users without the permission (output), and
    refuses writes to them (input)."""

    def _hidden(self) -> tuple[str, ...]:
        request = self.context.get("request")
        model = getattr(getattr(self, "Meta", None), "model", None)
        if request is None or model is None:
            return ()
        return access.hidden_fields(request.user, model)

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        for name in self._hidden():
            data.pop(name, None)
        return data

    def to_internal_value(self, data: Any) -> Any:
        hidden = [name for name in self._hidden() if name in data]
        if hidden:
            raise serializers.ValidationError(
                {name: ["You do not have permission to set this field."] for name in hidden}
            )
        return super().to_internal_value(data)


class VersionedUpdateMixin:
    """PUT/PATCH for versioned records: validate input, demand the version read, call a service.

    Subclasses set `update_serializer_class` and implement `apply_update()` (the service call).
    """

    update_serializer_class: type[serializers.Serializer]  # type: ignore[type-arg]

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        raise NotImplementedError

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()  # type: ignore[attr-defined]
        serializer = self.update_serializer_class(
            data=request.data,
            partial=kwargs.get("partial", False),
            context=self.get_serializer_context(),  # type: ignore[attr-defined]
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        changes.pop("version", None)
        updated = self.apply_update(instance, expected_version(request), changes)
        output = self.get_serializer(  # type: ignore[attr-defined]
            self.get_queryset().get(pk=updated.pk)  # type: ignore[attr-defined]
        )
        return Response(output.data, headers={"ETag": etag(updated.version)})

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

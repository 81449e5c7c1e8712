"""The calls endpoints of /api/v1/: the telephony webhook, telephony lines, consents."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

import django_filters
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.throttling import AnonRateThrottle

from kam.accounts.choices import Channel
from kam.accounts.models import ContactConsent
from kam.core.api.mixins import ETagMixin, VersionedUpdateMixin
from kam.core.errors import ApplicationError
from kam.outreach import choices
from kam.outreach.models import Call, TelephonyLine
from kam.outreach.permissions_calls import access_consent
from kam.outreach.selectors import calls as selectors
from kam.outreach.services import calls as services
from kam.outreach.services import consents as consent_services
from kam.outreach.signing import signature_is_valid
from kam.users.models import User

# A logged call may be stamped a little ahead of our clock (the provider's clock), not more.
CLOCK_SKEW = timedelta(minutes=5)

# --- the telephony webhook --------------------------------------------------------------------


class BodyTooLargeError(ApplicationError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "too_large"
    default_message = "The request body is too large."


def _number(value: str, *, allow_withheld: bool = False) -> str:
    try:
        return services.normalise_number(value, allow_withheld=allow_withheld)
    except ValidationError as error:
        raise serializers.ValidationError(error.messages) from None


class TelephonyEventInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One call event, generic JSON. `from` is the caller (`anonymous` or "" when withheld)."""

    to = serializers.CharField(max_length=40, help_text="The number or extension called.")
    direction = serializers.ChoiceField(choices=choices.CallDirection.choices)
    start = serializers.CharField(max_length=40, help_text="ISO 8601 with a UTC offset.")
    duration = serializers.IntegerField(
        min_value=0, max_value=86_400, required=False, allow_null=True, default=None
    )
    recording_url = serializers.URLField(max_length=1000, required=False, default="")
    call_id = serializers.RegexField(
        r"^[A-Za-z0-9._:@\-]{1,100}$", required=False, default="", max_length=100
    )
    event = serializers.ChoiceField(
        choices=choices.CallState.choices, required=False, default=choices.CallState.ENDED
    )

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        # `from` is a Python keyword: declared here rather than as a class attribute.
        fields = super().get_fields()
        fields["from"] = serializers.CharField(max_length=40, allow_blank=True)
        return fields

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)

    def validate_from(self, value: str) -> str:
        return _number(value, allow_withheld=True)

    def validate_to(self, value: str) -> str:
        return _number(value)

    def validate_start(self, value: str) -> datetime:
        try:
            start = datetime.fromisoformat(value)
        except ValueError:
            raise serializers.ValidationError(_("Give an ISO 8601 date and time.")) from None
        if start.tzinfo is None:
            raise serializers.ValidationError(_("Give the UTC offset (+01:00 or Z)."))
        if start > timezone.now() + CLOCK_SKEW:
            raise serializers.ValidationError(_("The call cannot start in the future."))
        return start

    def validate_recording_url(self, value: str) -> str:
        if value and urlsplit(value).scheme not in ("http", "https"):
            raise serializers.ValidationError(_("Only http and https addresses."))
        return value

    def event_of(self) -> services.CallEvent:
        data = self.validated_data
        return services.CallEvent(
            event=data["event"],
            direction=data["direction"],
            from_number=data["from"],
            to_number=data["to"],
            started_at=data["start"],
            duration_seconds=data["duration"],
            recording_url=data["recording_url"],
            call_id=data["call_id"],
        )


class TelephonyEventOutputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Call
        fields = ["id", "state", "direction", "user", "contact", "account", "activity"]
        read_only_fields = fields


class TelephonyRateThrottle(AnonRateThrottle):
    """Posts per minute per sender address (KAM_TELEPHONY_RATE)."""

    scope = "telephony"

    def get_rate(self) -> str:
        return str(settings.KAM_TELEPHONY_RATE)


def raw_body(request: Request) -> bytes:
    limit = settings.KAM_TELEPHONY_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise BodyTooLargeError()
    body: bytes = request.body
    if len(body) > limit:
        raise BodyTooLargeError()
    return body


def json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        message = _("The body is not JSON.")
        raise serializers.ValidationError({"non_field_errors": [message]}) from None
    if not isinstance(payload, dict):
        raise serializers.ValidationError({"non_field_errors": [_("Send one JSON object.")]})
    return payload


class TelephonyEventViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    """The telephony provider's webhook. No session or token: the raw body must be signed,
    `X-KAM-Signature: sha256=<hex HMAC-SHA256 of the body under KAM_TELEPHONY_SECRET>`; an
    unsigned or badly signed post gets 401 and nothing is stored. Posting the same event again
    is harmless (200, the same call)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (TelephonyRateThrottle,)
    parser_classes = (JSONParser,)
    serializer_class = TelephonyEventOutputSerializer

    @extend_schema(
        request=TelephonyEventInputSerializer,
        responses={201: TelephonyEventOutputSerializer, 200: TelephonyEventOutputSerializer},
        parameters=[
            OpenApiParameter(
                "X-KAM-Signature",
                location=OpenApiParameter.HEADER,
                required=True,
                description="sha256=<hex HMAC-SHA256 of the raw body>",
            )
        ],
        auth=[],
    )
    def create(self, request: Request) -> Response:
        body = raw_body(request)
        header = request.headers.get("X-KAM-Signature", "")
        if not signature_is_valid(body=body, header=header, secret=settings.KAM_TELEPHONY_SECRET):
            raise services.SignatureError()
        data = TelephonyEventInputSerializer(data=json_object(body))
        data.is_valid(raise_exception=True)
        receipt = services.call_event_record(event=data.event_of())
        code = status.HTTP_201_CREATED if receipt.is_new else status.HTTP_200_OK
        return Response(TelephonyEventOutputSerializer(receipt.call).data, status=code)


# --- telephony lines --------------------------------------------------------------------------


class TelephonyLineOutputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = TelephonyLine
        fields = ["id", "number", "user", "label", "is_active", "version", "created_at"]
        read_only_fields = fields


class TelephonyLineInputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    number = serializers.CharField(max_length=40)
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = TelephonyLine
        fields = ["number", "user", "label", "is_active", "version"]


class TelephonyLineViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Numbers and extensions that ring a user. Everyone sees his own; admins, the head of
    sales and auditors see all; only admins create, change and delete them."""

    serializer_class = TelephonyLineOutputSerializer
    update_serializer_class = TelephonyLineInputSerializer
    filterset_fields: ClassVar[list[str]] = ["user", "is_active"]
    ordering_fields: ClassVar[list[str]] = ["number", "created_at"]

    def get_queryset(self) -> QuerySet[TelephonyLine]:
        return selectors.line_list(user=self.request.user)

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        return services.line_update(
            user=self.request.user, line=instance, expected_version=expected, data=changes
        )

    @extend_schema(
        request=TelephonyLineInputSerializer, responses={201: TelephonyLineOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        data = TelephonyLineInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("version", None)
        line = services.line_create(user=request.user, data=values)
        return Response(self.get_serializer(line).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: TelephonyLine) -> None:
        services.line_delete(user=self.request.user, line=instance)


# --- consents ---------------------------------------------------------------------------------


class ConsentFilterSet(django_filters.FilterSet):
    contact = django_filters.NumberFilter(field_name="contact")
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    granted = django_filters.BooleanFilter(field_name="is_granted")

    class Meta:
        model = ContactConsent
        fields = ["contact", "channel", "granted"]


class ConsentOutputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = ContactConsent
        fields = ["id", "contact", "channel", "is_granted", "given_at", "how", "updated_at"]
        read_only_fields = fields


class ConsentCreateInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    contact = serializers.IntegerField(min_value=1)
    channel = serializers.ChoiceField(choices=Channel.choices)
    is_granted = serializers.BooleanField()
    how = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class ConsentUpdateInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    is_granted = serializers.BooleanField()
    how = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ConsentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Contacts' consent per channel, visible with the contact. Give or withdraw with POST
    (contact, channel) or PUT/PATCH on one consent; a withdrawal is kept, never deleted.
    Filters: contact, channel, granted."""

    serializer_class = ConsentOutputSerializer
    filterset_class = ConsentFilterSet
    ordering_fields: ClassVar[list[str]] = ["given_at", "updated_at"]

    def get_queryset(self) -> QuerySet[ContactConsent]:
        return selectors.consent_list(user=self.request.user)

    def get_object(self) -> ContactConsent:
        return access_consent(user=self.request.user, consent_id=self.kwargs["pk"])

    @extend_schema(
        request=ConsentCreateInputSerializer,
        responses={201: ConsentOutputSerializer, 200: ConsentOutputSerializer},
    )
    def create(self, request: Request) -> Response:
        data = ConsentCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        consent, is_new = consent_services.consent_record(
            user=request.user, contact_id=values.pop("contact"), **values
        )
        code = status.HTTP_201_CREATED if is_new else status.HTTP_200_OK
        return Response(self.get_serializer(consent).data, status=code)

    @extend_schema(request=ConsentUpdateInputSerializer, responses=ConsentOutputSerializer)
    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._change(request, partial=False)

    @extend_schema(request=ConsentUpdateInputSerializer, responses=ConsentOutputSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._change(request, partial=True)

    def _change(self, request: Request, *, partial: bool) -> Response:
        consent = self.get_object()
        data = ConsentUpdateInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        is_granted = data.validated_data.get("is_granted", consent.is_granted)
        consent = consent_services.consent_change(
            user=request.user,
            consent=consent,
            is_granted=is_granted,
            how=data.validated_data.get("how"),
        )
        return Response(self.get_serializer(consent).data)


def register(router: SimpleRouter) -> None:
    """Add this topic's viewsets to the outreach router."""
    router.register("telephony/events", TelephonyEventViewSet, basename="telephony-event")
    router.register("telephony/lines", TelephonyLineViewSet, basename="telephony-line")
    router.register("consents", ConsentViewSet, basename="consent")

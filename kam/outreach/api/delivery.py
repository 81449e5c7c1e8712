"""Reports from the chat/SMS provider about the messages the outbox handed it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from kam.core.errors import ApplicationError
from kam.outreach.api.calls import TelephonyRateThrottle, json_object, raw_body
from kam.outreach.services import delivery as services
from kam.outreach.signing import signature_is_valid


class ReportSignatureError(ApplicationError):
    status_code = 401
    code = "bad_signature"
    default_message = "The request is not signed with the chat webhook secret."


class ChatReportInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    reference = serializers.CharField(max_length=64)
    status = serializers.ChoiceField(choices=services.REPORT_OUTCOMES)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ChatReportOutputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    changed = serializers.BooleanField()


class ChatReportViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    """`POST /api/v1/chat-reports/`: the provider says whether a message arrived. No session or
    token: the raw body is signed like our own requests to it (`X-KAM-Signature:
    sha256=<hex HMAC-SHA256 under KAM_CHAT_WEBHOOK_SECRET>`); otherwise 401 and nothing changes.
    `reference` is what we sent as `reference`. A repeated or unknown report answers
    `{"changed": false}`."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (TelephonyRateThrottle,)
    parser_classes = (JSONParser,)
    serializer_class = ChatReportOutputSerializer

    @extend_schema(
        request=ChatReportInputSerializer,
        responses={200: ChatReportOutputSerializer},
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
        secret = settings.KAM_CHAT_WEBHOOK_SECRET
        if not signature_is_valid(body=body, header=header, secret=secret):
            raise ReportSignatureError()
        data = ChatReportInputSerializer(data=json_object(body))
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = data.validated_data
        changed = services.delivery_report(
            token=values["reference"], outcome=values["status"], reason=values.get("reason", "")
        )
        return Response({"changed": changed})


def register(router: SimpleRouter) -> None:
    router.register("chat-reports", ChatReportViewSet, basename="chat-report")

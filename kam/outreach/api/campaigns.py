"""The campaigns endpoints of /api/v1/: campaigns with their audience, preview, launch, cancel,
report, recipients, letters and responses into deals."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from kam.core.api.mixins import ETagMixin, VersionedUpdateMixin, etag
from kam.core.pagination import PageNumberPagination
from kam.outreach import choices, consent, letters
from kam.outreach.forms_campaigns import CampaignFilterSet
from kam.outreach.models import Campaign, Delivery
from kam.outreach.selectors import campaigns as selectors
from kam.outreach.services import campaigns as services

_OUTPUT = [
    "id",
    "name",
    "kind",
    "status",
    "subject",
    "body",
    "channels",
    "audience_filter",
    "audience_query",
    "product",
    "promotion",
    "event",
    "scheduled_at",
    "throttle_per_minute",
    "owner",
    "owner_name",
    "recipients",
    "launched_at",
    "completed_at",
    "version",
    "created_at",
    "updated_at",
]


class CampaignOutputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    owner_name = serializers.CharField(source="owner.username", read_only=True)
    recipients = serializers.IntegerField(read_only=True)
    channels = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Campaign
        fields = _OUTPUT
        read_only_fields = fields


class CampaignInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Shapes and types only; the service checks templates, the audience and the links."""

    name = serializers.CharField(max_length=200, required=False)
    kind = serializers.ChoiceField(choices=choices.CampaignKind.choices, required=False)
    subject = serializers.CharField(max_length=255, required=False)
    body = serializers.CharField(required=False)
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=list(consent.CAMPAIGN_CHANNELS)),
        required=False,
        min_length=1,
    )
    audience_filter = serializers.IntegerField(required=False, allow_null=True)
    audience_query = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    product = serializers.IntegerField(required=False, allow_null=True)
    promotion = serializers.IntegerField(required=False, allow_null=True)
    event = serializers.IntegerField(required=False, allow_null=True)
    scheduled_at = serializers.DateTimeField(required=False, allow_null=True)
    throttle_per_minute = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=100000
    )
    version = serializers.IntegerField(required=False, min_value=1)


class CampaignCreateInputSerializer(CampaignInputSerializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=choices.CampaignKind.choices)
    subject = serializers.CharField(max_length=255)
    body = serializers.CharField()
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=list(consent.CAMPAIGN_CHANNELS)), min_length=1
    )


class RecipientOutputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    contact_name = serializers.CharField(source="contact.full_name", read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)
    deal = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = [
            "id",
            "contact",
            "contact_name",
            "account",
            "account_name",
            "channel",
            "address",
            "status",
            "reason",
            "sent_at",
            "delivered_at",
            "opened_at",
            "clicked_at",
            "unsubscribed_at",
            "replied_at",
            "failed_at",
            "deal",
        ]
        read_only_fields = fields

    def get_deal(self, delivery: Delivery) -> int | None:
        link = getattr(delivery, "campaign_deal", None)
        return link.deal_id if link is not None else None


ReportSerializer = inline_serializer(
    "CampaignReport",
    {
        "total": serializers.IntegerField(),
        "counts": serializers.DictField(child=serializers.IntegerField()),
        "by_channel": serializers.DictField(
            child=serializers.DictField(child=serializers.IntegerField())
        ),
        "rates": serializers.DictField(
            child=serializers.DecimalField(max_digits=5, decimal_places=1)
        ),
        "deals": serializers.IntegerField(),
        "failures": serializers.ListField(child=serializers.DictField()),
    },
)
AudienceSerializer = inline_serializer(
    "CampaignAudience",
    {
        "total": serializers.IntegerField(),
        "reachable": serializers.IntegerField(),
        "by_channel": serializers.DictField(child=serializers.IntegerField()),
        "suppressed": serializers.IntegerField(),
        "suppressed_reasons": serializers.ListField(child=serializers.DictField()),
    },
)
PreviewSerializer = inline_serializer(
    "CampaignPreview",
    {name: serializers.CharField() for name in ("subject", "body", "channel", "address", "reason")},
)


class PreviewInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    contact = serializers.IntegerField(min_value=1)


class DealsInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    deliveries = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=1000
    )


def _values(serializer: serializers.Serializer) -> dict[str, Any]:  # type: ignore[type-arg]
    values = dict(serializer.validated_data)
    values.pop("version", None)
    return values


class CampaignViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Campaigns one may see (his own; a team lead his team's; head of sales, auditor and admin
    all). Filters: q, status, kind, event; `ordering`. Edits need the `version` read (409 when
    stale) and only while draft or scheduled. `launch` writes the outbox; `report` and
    `recipients` show the outcome (recipient rows scoped by their account)."""

    serializer_class = CampaignOutputSerializer
    update_serializer_class = CampaignInputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CampaignFilterSet

    def get_queryset(self) -> QuerySet[Campaign]:
        return selectors.campaign_list(user=self.request.user)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The list's filters apply to the list only (`recipients?status=` is the rows')."""
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def _fresh(self, campaign: Campaign) -> dict[str, Any]:
        data: dict[str, Any] = self.get_serializer(self.get_queryset().get(pk=campaign.pk)).data
        return data

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        return services.campaign_update(
            user=self.request.user, campaign=instance, expected_version=expected, data=changes
        )

    @extend_schema(request=CampaignCreateInputSerializer, responses={201: CampaignOutputSerializer})
    def create(self, request: Request) -> Response:
        data = CampaignCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = services.campaign_create(user=request.user, data=_values(data))
        return Response(
            self._fresh(campaign),
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag(campaign.version)},
        )

    def perform_destroy(self, instance: Campaign) -> None:
        services.campaign_delete(user=self.request.user, campaign=instance)

    @extend_schema(responses=AudienceSerializer)
    @action(detail=True, methods=["get"])
    def audience(self, request: Request, pk: str | None = None) -> Response:
        """Who the campaign would reach now: total, reachable per channel, suppressed with
        the reasons (consent, do-not-contact, no address)."""
        return Response(selectors.audience_preview(campaign=self.get_object()).as_dict())

    @extend_schema(request=PreviewInputSerializer, responses=PreviewSerializer)
    @action(detail=True, methods=["post"])
    def preview(self, request: Request, pk: str | None = None) -> Response:
        """The subject and body as one contact (one you may see) would get them."""
        data = PreviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            services.campaign_preview(
                user=request.user,
                campaign=self.get_object(),
                contact_id=data.validated_data["contact"],
            )
        )

    @extend_schema(request=None, responses=CampaignOutputSerializer)
    @action(detail=True, methods=["post"])
    def launch(self, request: Request, pk: str | None = None) -> Response:
        """Write the outbox now and start sending; 409 `campaign_state` if already launched."""
        campaign = self.get_object()
        services.campaign_launch(user=request.user, campaign=campaign)
        return Response(self._fresh(campaign))

    @extend_schema(request=None, responses=CampaignOutputSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Stop the campaign; messages not yet sent fail as "cancelled"."""
        campaign = self.get_object()
        services.campaign_cancel(user=request.user, campaign=campaign)
        return Response(self._fresh(campaign))

    @extend_schema(responses=ReportSerializer)
    @action(detail=True, methods=["get"])
    def report(self, request: Request, pk: str | None = None) -> Response:
        """Counts per status and channel, rates of the messages sent, deals opened."""
        campaign = self.get_object()
        body = selectors.campaign_report(campaign=campaign)
        body["failures"] = selectors.reason_counts(
            campaign=campaign, status=choices.DeliveryStatus.FAILED
        )
        return Response(body)

    @extend_schema(
        parameters=[OpenApiParameter("status", str, description="a delivery status or replied")],
        responses=RecipientOutputSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def recipients(self, request: Request, pk: str | None = None) -> Response:
        """The recipient rows whose account you may see, paginated; `?status=` filters."""
        rows = selectors.campaign_recipients(
            user=request.user,
            campaign=self.get_object(),
            status=request.query_params.get("status", ""),
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(RecipientOutputSerializer(page, many=True).data)

    @extend_schema(request=None, responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["post"])
    def letters(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The post and fax letters as one PDF; the first call marks them sent."""
        campaign = self.get_object()
        services.require_change(user=request.user, campaign=campaign)
        data, marked = letters.campaign_letters(user=request.user, campaign=campaign)
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.pk}.pdf"'
        response["X-KAM-Letters-Marked"] = str(marked)
        return response

    @extend_schema(
        request=DealsInputSerializer,
        responses=inline_serializer("CampaignDeals", {"opened": serializers.IntegerField()}),
    )
    @action(detail=True, methods=["post"])
    def deals(self, request: Request, pk: str | None = None) -> Response:
        """Open a deal (source: campaign) per responder, once; `deliveries` narrows to some."""
        data = DealsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        opened = services.responses_to_deals(
            user=request.user,
            campaign=self.get_object(),
            delivery_ids=data.validated_data.get("deliveries"),
        )
        return Response({"opened": opened})


def register(router: SimpleRouter) -> None:
    """Add this topic's viewsets to the outreach router."""
    router.register("campaigns", CampaignViewSet, basename="campaign")

"""The events endpoints of /api/v1/: events, and per event its guests (walk-in, check-in),
its leads (capture) and its report, as actions of the event (they live and die with it)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from kam.accounts.models import Account
from kam.accounts.permissions import access_contact
from kam.core.api.mixins import ETagMixin, VersionedUpdateMixin, etag
from kam.core.errors import NotFoundError
from kam.outreach.choices import EventKind, GuestStatus
from kam.outreach.filters_events import EventFilterSet
from kam.outreach.models import Event, EventGuest, EventLead
from kam.outreach.permissions_events import access_event, access_guest
from kam.outreach.selectors import events as selectors
from kam.outreach.services import events as services

# --- Serializers -----------------------------------------------------------------------------


class EventOutputSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.username", read_only=True)
    staff: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Event
        fields = [
            "id",
            "name",
            "kind",
            "starts_at",
            "ends_at",
            "place",
            "description",
            "budget",
            "currency",
            "owner",
            "owner_name",
            "staff",
            "is_cancelled",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class EventInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Shapes and types; the service checks dates, money, people and access."""

    name = serializers.CharField(max_length=200, required=False)
    kind = serializers.ChoiceField(choices=EventKind.choices, required=False)
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)
    place = serializers.CharField(max_length=255, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    currency = serializers.CharField(max_length=3, required=False)
    owner = serializers.IntegerField(required=False)
    staff = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=200)
    is_cancelled = serializers.BooleanField(required=False)
    version = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        starts, ends = attrs.get("starts_at"), attrs.get("ends_at")
        if starts and ends and ends < starts:
            raise serializers.ValidationError(
                {"ends_at": ["The event cannot end before it starts."]}
            )
        return attrs


class EventCreateInputSerializer(EventInputSerializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=EventKind.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class GuestOutputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A guest; `emails` and `phones` only when the user may see the contact's account."""

    id = serializers.IntegerField(source="guest.pk")
    contact = serializers.IntegerField(source="guest.contact_id")
    account = serializers.IntegerField(source="guest.account_id")
    name = serializers.CharField()
    company = serializers.CharField()
    emails = serializers.ListField(child=serializers.CharField())
    phones = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(choices=GuestStatus.choices, source="guest.status")
    responded_at = serializers.DateTimeField(source="guest.responded_at", allow_null=True)
    checked_in_at = serializers.DateTimeField(source="guest.checked_in_at", allow_null=True)
    checked_in_by = serializers.IntegerField(source="guest.checked_in_by_id", allow_null=True)


class CheckInInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A guest of the event to check in, or a contact walking in (not invited)."""

    guest = serializers.IntegerField(required=False)
    contact = serializers.IntegerField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("guest" in attrs) == ("contact" in attrs):
            raise serializers.ValidationError(
                {"non_field_errors": ["Give either a guest or a contact."]}
            )
        return attrs


class LeadOutputSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)

    class Meta:
        model = EventLead
        fields = [
            "id",
            "event",
            "account",
            "account_name",
            "contact",
            "deal",
            "captured_by",
            "notes",
            "created_at",
        ]
        read_only_fields = fields


class LeadInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    account = serializers.IntegerField(required=False, allow_null=True)
    company_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    contact_first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    contact_last_name = serializers.CharField(max_length=100)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    create_deal = serializers.BooleanField(required=False, default=False)
    deal_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    deal_currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False, allow_blank=True)
    ignore_duplicates = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("account") and not (attrs.get("company_name") or "").strip():
            raise serializers.ValidationError(
                {"company_name": ["Give the company's name or an existing account."]}
            )
        return attrs


class ReportOutputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    invited = serializers.IntegerField()
    registered = serializers.IntegerField()
    declined = serializers.IntegerField()
    attended = serializers.IntegerField()
    walk_ins = serializers.IntegerField()
    leads = serializers.IntegerField()
    deals = serializers.IntegerField()
    won_deals = serializers.IntegerField()
    revenue = serializers.DictField(child=serializers.DecimalField(max_digits=16, decimal_places=2))
    budget = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    cost_per_lead = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


# --- The viewset -----------------------------------------------------------------------------


def _values(serializer: Any) -> dict[str, Any]:
    values = dict(serializer.validated_data)
    values.pop("version", None)
    return values


def _lead_input(user: Any, values: dict[str, Any]) -> services.LeadInput:
    account = None
    if values.get("account"):
        # Only the id is resolved here; whether the user may change it is the service's check.
        account = Account.objects.filter(pk=values["account"]).first()
        if account is None:
            raise NotFoundError("The account does not exist or is not yours to change.")
    values = {**values, "account": account}
    values["deal_currency"] = (values.get("deal_currency") or "").upper()
    return services.LeadInput(**values)


class EventViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Events the user may see: his own and those he staffs; all for the head of sales, admins,
    auditors (read-only) and marketing (read-only). Filters: q, kind, when, owner, starts_after,
    starts_before; `ordering`. Editing needs the version read (body or If-Match)."""

    serializer_class = EventOutputSerializer
    update_serializer_class = EventInputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = EventFilterSet

    def get_queryset(self) -> QuerySet[Event]:
        return selectors.event_list(user=self.request.user).prefetch_related("staff")

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        return services.event_update(
            user=self.request.user, event=instance, expected_version=expected, data=changes
        )

    @extend_schema(request=EventCreateInputSerializer, responses={201: EventOutputSerializer})
    def create(self, request: Request) -> Response:
        data = EventCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.event_create(user=request.user, data=_values(data))
        return Response(
            self.get_serializer(self.get_queryset().get(pk=event.pk)).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag(event.version)},
        )

    def perform_destroy(self, instance: Event) -> None:
        services.event_delete(user=self.request.user, event=instance)

    def _changeable(self) -> Event:
        return access_event(user=self.request.user, event_id=self.kwargs["pk"], action="change")

    @extend_schema(responses=GuestOutputSerializer(many=True))
    @action(detail=True, methods=["get"])
    def guests(self, request: Request, pk: str | None = None) -> Response:
        """The event's guests, by name; `?status=` filters. Paginated."""
        event = self.get_object()
        wanted = request.query_params.get("status")
        if wanted and wanted not in GuestStatus.values:
            raise serializers.ValidationError({"status": ["Unknown status."]})
        page = self.paginate_queryset(selectors.guests_of(event=event, status=wanted))
        rows = selectors.guest_rows(user=request.user, guests=list(page or []))
        return self.get_paginated_response(GuestOutputSerializer(rows, many=True).data)

    @extend_schema(request=CheckInInputSerializer, responses=GuestOutputSerializer)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request: Request, pk: str | None = None) -> Response:
        """Check a guest in (`guest`), or add a contact walking in as attended (`contact`).
        Idempotent: a guest already checked in keeps his first check-in."""
        event = self._changeable()
        data = CheckInInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "guest" in data.validated_data:
            guest = access_guest(
                user=request.user, event=event, guest_id=data.validated_data["guest"]
            )
            guest = services.guest_check_in(user=request.user, guest=guest)
        else:
            contact = access_contact(user=request.user, contact_id=data.validated_data["contact"])
            guest = services.guest_walk_in(user=request.user, event=event, contact=contact)
        guest = EventGuest.objects.select_related("contact", "account").get(pk=guest.pk)
        row = selectors.guest_rows(user=request.user, guests=[guest])[0]
        return Response(GuestOutputSerializer(row).data)

    @extend_schema(methods=["get"], responses=LeadOutputSerializer(many=True), request=None)
    @extend_schema(
        methods=["post"], request=LeadInputSerializer, responses={201: LeadOutputSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def leads(self, request: Request, pk: str | None = None) -> Response:
        """GET: the leads captured at the event. POST: capture one (a new account with
        `company_name`, or an existing `account`; a contact; a deal when `create_deal`). A
        company that looks like existing accounts answers 400 `possible_duplicates` with
        `duplicates`; send `ignore_duplicates: true` to create it anyway."""
        if request.method == "GET":
            event = self.get_object()
            page = self.paginate_queryset(selectors.leads_of(event=event))
            return self.get_paginated_response(LeadOutputSerializer(page, many=True).data)
        event = self._changeable()
        data = LeadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = services.lead_capture(
            user=request.user,
            event=event,
            lead=_lead_input(request.user, dict(data.validated_data)),
        )
        return Response(LeadOutputSerializer(lead).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=ReportOutputSerializer)
    @action(detail=True, methods=["get"])
    def report(self, request: Request, pk: str | None = None) -> Response:
        """Invited, registered, declined, attended (walk-ins), leads, deals (won), revenue of
        the won deals per currency, budget and cost per lead (see docs/outreach-events.md)."""
        event = self.get_object()
        report = selectors.event_report(event=event)
        return Response(ReportOutputSerializer(report).data)


def register(router: SimpleRouter) -> None:
    """Add this topic's viewsets to the outreach router."""
    router.register("events", EventViewSet, basename="event")

"""The mail endpoints of /api/v1/: messages (list, detail, send, import) and mailboxes."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from kam.accounts.permissions import access_contact
from kam.core.api.mixins import ETagMixin, VersionedUpdateMixin, etag
from kam.core.errors import PermissionDeniedError
from kam.outreach.filters_mail import MessageFilterSet
from kam.outreach.models import EmailTemplate, Mailbox, Message, MessageAttachment
from kam.outreach.permissions import access_message
from kam.outreach.selectors import mail as selectors
from kam.outreach.services import mail_boxes, mail_in, mail_out
from kam.outreach.tasks.mail import poll_mailbox_task
from kam.sales.permissions import access_deal

MAX_IMPORT_BYTES = 50 * 1024 * 1024


class AttachmentOutputSerializer(serializers.ModelSerializer[MessageAttachment]):
    class Meta:
        model = MessageAttachment
        fields = ["id", "filename", "content_type", "size", "document", "error"]


class MessageOutputSerializer(serializers.ModelSerializer[Message]):
    class Meta:
        model = Message
        fields = [
            "id",
            "direction",
            "message_id",
            "in_reply_to",
            "thread_key",
            "from_address",
            "from_name",
            "to_addresses",
            "cc_addresses",
            "subject",
            "sent_at",
            "contact",
            "account",
            "deal",
            "mailbox",
            "owner",
            "activity",
            "delivery",
            "is_malformed",
            "parse_error",
            "created_at",
        ]
        read_only_fields = fields


class MessageDetailOutputSerializer(MessageOutputSerializer):
    attachments = AttachmentOutputSerializer(many=True, read_only=True)

    class Meta(MessageOutputSerializer.Meta):
        fields = [*MessageOutputSerializer.Meta.fields, "text_body", "html_body", "attachments"]
        read_only_fields = fields


class MessageSendInputSerializer(serializers.Serializer[Any]):
    contact = serializers.IntegerField()
    subject = serializers.CharField(max_length=255, required=False, default="")
    body = serializers.CharField(
        max_length=100_000, required=False, default="", trim_whitespace=False
    )
    cc = serializers.ListField(
        child=serializers.CharField(max_length=320), required=False, default=list, max_length=20
    )
    deal = serializers.IntegerField(required=False, allow_null=True)
    template = serializers.IntegerField(required=False, allow_null=True)
    reply_to = serializers.IntegerField(required=False, allow_null=True)


class ImportInputSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()


class ImportOutputSerializer(serializers.Serializer[Any]):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    malformed = serializers.IntegerField()


def _draft(user: Any, data: dict[str, Any]) -> mail_out.Draft:
    subject, body = data["subject"], data["body"]
    if data.get("template"):
        template = mail_out.template_for(user=user, template_id=data["template"])
        subject, body = subject or template.subject, body or template.body
    reply_to = None
    if data.get("reply_to"):
        reply_to = access_message(user=user, message_id=data["reply_to"])
    deal = access_deal(user=user, deal_id=data["deal"]) if data.get("deal") else None
    return mail_out.Draft(
        contact=access_contact(user=user, contact_id=data["contact"]),
        subject=subject,
        body=body,
        cc=tuple(data["cc"]),
        deal=deal,
        reply_to=reply_to,
    )


class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """E-mails sent and received that the user may see (those of accounts he sees, plus his
    own). Filters: contact, account, deal, direction, mailbox, is_malformed, q. `POST` sends an
    e-mail to a contact (subject and body in Django template syntax over contact, account, deal
    and user); `import/` takes an .eml or .mbox file."""

    serializer_class = MessageOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = MessageFilterSet

    def get_queryset(self) -> QuerySet[Message]:
        if self.action == "retrieve":
            return Message.objects.visible_to(self.request.user).prefetch_related("attachments")
        return selectors.message_list(user=self.request.user)

    def get_serializer_class(self) -> Any:
        return (
            MessageDetailOutputSerializer if self.action == "retrieve" else MessageOutputSerializer
        )

    @extend_schema(
        request=MessageSendInputSerializer, responses={201: MessageDetailOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        data = MessageSendInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = mail_out.message_send(
            user=request.user, draft=_draft(request.user, dict(data.validated_data))
        )
        return Response(MessageDetailOutputSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": ImportInputSerializer}, responses=ImportOutputSerializer
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_file(self, request: Request) -> Response:
        """Import an .eml (one message) or .mbox (many) file; a message already stored (same
        Message-ID) is counted as a duplicate, an unreadable one is kept raw as malformed."""
        data = ImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise serializers.ValidationError({"file": ["The file is too large."]})
        result = mail_in.messages_import(
            user=request.user, data=upload.read(), filename=upload.name
        )
        return Response(ImportOutputSerializer(result).data, status=status.HTTP_201_CREATED)


class MailboxOutputSerializer(serializers.ModelSerializer[Mailbox]):
    is_shared = serializers.SerializerMethodField()

    class Meta:
        model = Mailbox
        fields = [
            "id",
            "name",
            "email_address",
            "host",
            "port",
            "use_ssl",
            "username",
            "folder",
            "owner",
            "is_shared",
            "is_active",
            "last_polled_at",
            "last_error",
            "last_uid",
            "version",
        ]
        read_only_fields = fields

    def get_is_shared(self, mailbox: Mailbox) -> bool:
        return mailbox.owner_id is None


class MailboxInputSerializer(serializers.ModelSerializer[Mailbox]):
    """The password is write-only: it is stored encrypted and never answered."""

    password = serializers.CharField(
        write_only=True, required=False, max_length=500, trim_whitespace=False
    )
    is_shared = serializers.BooleanField(required=False, default=False)
    version = serializers.IntegerField(required=False)

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "email_address",
            "host",
            "port",
            "use_ssl",
            "username",
            "folder",
            "is_active",
            "password",
            "is_shared",
            "version",
        ]


class MailboxViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """IMAP mailboxes KAM polls every minute: one's own, or shared (no owner; admins only).
    The password is write-only; `poll/` reads the new messages now."""

    serializer_class = MailboxOutputSerializer
    update_serializer_class = MailboxInputSerializer

    def get_queryset(self) -> QuerySet[Mailbox]:
        return selectors.mailbox_list(user=self.request.user)

    @extend_schema(request=MailboxInputSerializer, responses={201: MailboxOutputSerializer})
    def create(self, request: Request) -> Response:
        data = MailboxInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        password = values.pop("password", "")
        is_shared = values.pop("is_shared", False)
        values.pop("version", None)
        mailbox = mail_boxes.mailbox_create(
            user=request.user, data=values, password=password, is_shared=is_shared
        )
        return Response(
            MailboxOutputSerializer(mailbox).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag(mailbox.version)},
        )

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        password = changes.pop("password", None)
        changes.pop("is_shared", None)
        return mail_boxes.mailbox_update(
            user=self.request.user,
            mailbox=instance,
            expected_version=expected,
            data=changes,
            password=password,
        )

    def perform_destroy(self, instance: Mailbox) -> None:
        mail_boxes.mailbox_delete(user=self.request.user, mailbox=instance)

    @extend_schema(request=None, responses={202: None})
    @action(detail=True, methods=["post"])
    def poll(self, request: Request, pk: str | None = None) -> Response:
        """Queue a poll of this mailbox now (one's own, or any for an admin)."""
        mailbox = self.get_object()
        if not mail_boxes.can_manage(request.user, mailbox):
            raise PermissionDeniedError()
        poll_mailbox_task.delay(mailbox.pk)
        return Response(status=status.HTTP_202_ACCEPTED)


class EmailTemplateSerializer(serializers.ModelSerializer[EmailTemplate]):
    is_shared = serializers.BooleanField(required=False, default=False)
    version = serializers.IntegerField(required=False)

    class Meta:
        model = EmailTemplate
        fields = ["id", "name", "subject", "body", "owner", "is_shared", "version"]
        read_only_fields = ["id", "owner"]

    def to_representation(self, instance: EmailTemplate) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["is_shared"] = instance.owner_id is None
        data["version"] = instance.version
        return data


class EmailTemplateViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The e-mail templates one may use: one's own and the shared ones. Shared templates
    (`is_shared`) are created and changed by admins; one's own by oneself."""

    serializer_class = EmailTemplateSerializer
    update_serializer_class = EmailTemplateSerializer

    def get_queryset(self) -> QuerySet[EmailTemplate]:
        return selectors.template_list(user=self.request.user)

    @extend_schema(request=EmailTemplateSerializer, responses={201: EmailTemplateSerializer})
    def create(self, request: Request) -> Response:
        data = EmailTemplateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        is_shared = values.pop("is_shared", False)
        template = mail_out.template_create(user=request.user, data=values, is_shared=is_shared)
        return Response(EmailTemplateSerializer(template).data, status=status.HTTP_201_CREATED)

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        changes.pop("is_shared", None)
        return mail_out.template_update(
            user=self.request.user, template=instance, expected_version=expected, data=changes
        )

    def perform_destroy(self, instance: EmailTemplate) -> None:
        mail_out.template_delete(user=self.request.user, template=instance)


def register(router: SimpleRouter) -> None:
    """Add this topic's viewsets to the outreach router."""
    router.register("messages", MessageViewSet, basename="message")
    router.register("mailboxes", MailboxViewSet, basename="mailbox")
    router.register("email-templates", EmailTemplateViewSet, basename="email-template")

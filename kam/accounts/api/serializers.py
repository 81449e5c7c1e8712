from __future__ import annotations

from django.contrib.auth import get_user_model
from django_countries.serializers import CountryFieldMixin
from rest_framework import serializers

from kam.accounts.choices import Channel
from kam.accounts.models import (
    Account,
    AccountAddress,
    AccountTeamMember,
    Contact,
    ContactConsent,
    Tag,
)
from kam.core.api.mixins import ConfidentialFieldsMixin

TAG_NAME_MAX = Tag._meta.get_field("name").max_length
TAGS_MAX = 100  # tags on one account: more is a mistake (a pasted column), not a tagging scheme


class AccountAddressSerializer(CountryFieldMixin, serializers.ModelSerializer):
    class Meta:
        model = AccountAddress
        fields = ["kind", "street", "city", "postal_code", "region", "country", "updated_at"]
        read_only_fields = fields


class AddressInputSerializer(serializers.Serializer):
    """One address of an account. Lengths and types here; the service checks the country and
    the kind. `updated_at` is the stored address's `updated_at` as read (null: there was none)."""

    street = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    region = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    updated_at = serializers.DateTimeField(allow_null=True)


class TeamMemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)

    class Meta:
        model = AccountTeamMember
        fields = ["user", "username", "name", "role", "created_at"]
        read_only_fields = fields


class TeamMemberInputSerializer(serializers.Serializer):
    """Whom to put on the account team; the service checks he is active and not the owner."""

    user = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.all())
    role = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class AccountOutputSerializer(
    ConfidentialFieldsMixin, CountryFieldMixin, serializers.ModelSerializer
):
    tags: serializers.SlugRelatedField[Account] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="name"
    )
    addresses = AccountAddressSerializer(many=True, read_only=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "legal_name",
            "country",
            "tax_number",
            "registration_number",
            "industry",
            "size_band",
            "website",
            "domain",
            "phones",
            "emails",
            "parent",
            "kind",
            "tier",
            "status",
            "owner",
            "source",
            "referred_by",
            "credit_limit",
            "currency",
            "payment_terms_days",
            "tags",
            "custom",
            "notes",
            "addresses",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AccountInputSerializer(
    ConfidentialFieldsMixin, CountryFieldMixin, serializers.ModelSerializer
):
    """Shapes and types only; the service validates e-mails, phones, tax numbers, links."""

    phones = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    emails = serializers.ListField(child=serializers.CharField(max_length=254), required=False)
    website = serializers.CharField(max_length=255, required=False, allow_blank=True)
    custom = serializers.DictField(required=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=TAG_NAME_MAX),
        required=False,
        max_length=TAGS_MAX,
        help_text="Tag names; replaces the account's tags (an empty list removes them all).",
    )
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Account
        fields = [
            "name",
            "legal_name",
            "country",
            "tax_number",
            "registration_number",
            "industry",
            "size_band",
            "website",
            "phones",
            "emails",
            "parent",
            "kind",
            "tier",
            "status",
            "owner",
            "source",
            "referred_by",
            "credit_limit",
            "currency",
            "payment_terms_days",
            "custom",
            "notes",
            "tags",
            "version",
        ]
        extra_kwargs = {"name": {"required": True}, "owner": {"required": False}}


class ContactConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactConsent
        fields = ["channel", "is_granted", "given_at", "how"]
        read_only_fields = fields


class ContactOutputSerializer(serializers.ModelSerializer):
    consents = ContactConsentSerializer(many=True, read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "account",
            "account_name",
            "first_name",
            "middle_name",
            "last_name",
            "job_title",
            "buying_role",
            "emails",
            "phones",
            "preferred_channel",
            "do_not_contact",
            "birthday",
            "notes",
            "owner",
            "custom",
            "consents",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ContactInputSerializer(serializers.ModelSerializer):
    phones = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    emails = serializers.ListField(child=serializers.CharField(max_length=254), required=False)
    custom = serializers.DictField(required=False)
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Contact
        fields = [
            "account",
            "first_name",
            "middle_name",
            "last_name",
            "job_title",
            "buying_role",
            "emails",
            "phones",
            "preferred_channel",
            "do_not_contact",
            "birthday",
            "notes",
            "owner",
            "custom",
            "version",
        ]
        extra_kwargs = {"last_name": {"required": True}}


class ConsentInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    is_granted = serializers.BooleanField()
    how = serializers.CharField(max_length=200, required=False, default="")

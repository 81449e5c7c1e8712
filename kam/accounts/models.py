"""The customer databank: client companies (accounts), their people (contacts), group hierarchy."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from kam.accounts import choices
from kam.core.access import AccessSpec
from kam.core.models import SoftDeleteModel, TimeStampedModel, live_unique


class Tag(TimeStampedModel):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")

    def __str__(self) -> str:
        return self.name


class Account(SoftDeleteModel):
    """A client company: prospect, customer, partner or contractor; may belong to a group."""

    name = models.CharField(_("name"), max_length=255)
    legal_name = models.CharField(_("legal name"), max_length=255, blank=True)
    country = CountryField(_("country"), blank=True)
    tax_number = models.CharField(_("tax / VAT number"), max_length=32, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=32, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size_band = models.CharField(
        _("size"), max_length=16, choices=choices.SizeBand.choices, blank=True
    )
    website = models.URLField(_("website"), max_length=255, blank=True)
    domain = models.CharField(_("domain"), max_length=255, blank=True, editable=False)
    phones = models.JSONField(_("phones"), default=list, blank=True)
    emails = models.JSONField(_("e-mails"), default=list, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subsidiaries",
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=choices.Kind.choices, default=choices.Kind.PROSPECT
    )
    tier = models.CharField(
        _("tier"), max_length=16, choices=choices.Tier.choices, default=choices.Tier.STANDARD
    )
    status = models.CharField(
        _("lifecycle status"),
        max_length=16,
        choices=choices.Status.choices,
        default=choices.Status.LEAD,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_accounts",
    )
    team_members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account team"),
        through="accounts.AccountTeamMember",
        blank=True,
        related_name="account_teams",
    )
    source = models.CharField(
        _("acquisition source"), max_length=20, choices=choices.Source.choices, blank=True
    )
    referred_by = models.ForeignKey(
        "self",
        verbose_name=_("referred by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    credit_limit = models.DecimalField(
        _("credit limit"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), null=True, blank=True
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="accounts")
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    name_key = models.CharField(max_length=255, blank=True, editable=False)

    access: ClassVar[AccessSpec] = AccessSpec(
        owner="owner",
        members="team_members",
        confidential=("credit_limit", "payment_terms_days"),
    )

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("account")
        indexes = [
            models.Index(fields=["owner", "status"], name="account_owner_status_idx"),
            models.Index(fields=["name_key"], name="account_name_key_idx"),
            models.Index(fields=["tax_number"], name="account_tax_number_idx"),
            models.Index(fields=["domain"], name="account_domain_idx"),
            models.Index(fields=["tier", "status"], name="account_tier_status_idx"),
            models.Index(fields=["name", "id"], name="account_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class AccountTeamMember(TimeStampedModel):
    """A user who works an account beside its owner (the account team)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_memberships"
    )
    role = models.CharField(_("role in the account team"), max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "user"], name="account_team_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.account}"


class AccountAddress(TimeStampedModel):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("kind"), max_length=16, choices=choices.AddressKind.choices)
    street = models.CharField(_("street"), max_length=255, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    country = CountryField(_("country"), blank=True)

    class Meta:
        ordering = ["kind", "pk"]
        verbose_name = _("account address")
        verbose_name_plural = _("account addresses")
        constraints = [
            models.UniqueConstraint(fields=["account", "kind"], name="account_address_kind_unique")
        ]

    def __str__(self) -> str:
        parts = [
            self.street,
            self.postal_code,
            self.city,
            self.region,
            str(getattr(self.country, "name", "")),
        ]
        return ", ".join(part for part in parts if part)


class Contact(SoftDeleteModel):
    """A person at a client company, with his buying role and consent per channel."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="contacts"
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    buying_role = models.CharField(
        _("buying role"), max_length=20, choices=choices.BuyingRole.choices, blank=True
    )
    emails = models.JSONField(_("e-mails"), default=list, blank=True)
    phones = models.JSONField(_("phones"), default=list, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=choices.Channel.choices, blank=True
    )
    do_not_contact = models.BooleanField(_("do not contact"), default=False)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_contacts",
    )
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)

    access: ClassVar[AccessSpec] = AccessSpec(via="account")

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        verbose_name = _("contact")
        indexes = [
            models.Index(fields=["account", "last_name"], name="contact_account_name_idx"),
            models.Index(fields=["last_name", "first_name", "id"], name="contact_name_idx"),
        ]

    def __str__(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)


class ContactConsent(TimeStampedModel):
    """Whether a contact agreed to be reached on a channel, and when and how he said so."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=10, choices=choices.Channel.choices)
    is_granted = models.BooleanField(_("granted"))
    given_at = models.DateTimeField(_("given at"))
    how = models.CharField(_("how"), max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "channel"], name="contact_consent_unique")
        ]

    def __str__(self) -> str:
        return f"{self.contact}: {self.channel} {'yes' if self.is_granted else 'no'}"


class CustomField(SoftDeleteModel):
    """A typed field an admin adds to accounts or contacts; values live in their `custom`."""

    class AppliesTo(models.TextChoices):
        ACCOUNT = "account", _("Accounts")
        CONTACT = "contact", _("Contacts")

    applies_to = models.CharField(_("applies to"), max_length=10, choices=AppliesTo.choices)
    key = models.SlugField(_("key"), max_length=50)
    label = models.CharField(_("label"), max_length=100)
    field_type = models.CharField(_("type"), max_length=10, choices=choices.CustomFieldType.choices)
    options = models.JSONField(_("options (for a choice)"), default=list, blank=True)
    is_required = models.BooleanField(_("required"), default=False)

    access: ClassVar[AccessSpec] = AccessSpec(public=True)

    class Meta:
        ordering = ["applies_to", "label"]
        constraints = [live_unique("applies_to", "key", name="custom_field_key_unique_live")]

    def __str__(self) -> str:
        return self.label


class MatchKey(models.Model):
    """A normalised value that identifies a company or a person (name, domain, tax number,
    e-mail, phone): the index the duplicate finder looks candidates up in."""

    class Kind(models.TextChoices):
        NAME = "name", _("Name")
        DOMAIN = "domain", _("Domain")
        TAX = "tax", _("Tax number")
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.CharField(max_length=255)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="match_keys"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="match_keys"
    )

    class Meta:
        indexes = [
            # Covering: the duplicates review groups by key without reading the table.
            models.Index(fields=["kind", "value", "account"], name="match_key_account_idx"),
            models.Index(fields=["kind", "value", "contact"], name="match_key_contact_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(account__isnull=False) ^ models.Q(contact__isnull=False),
                name="match_key_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class SavedFilter(TimeStampedModel):
    """A named set of list filters a user keeps (and may share with everyone)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    list_name = models.CharField(max_length=20)
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filters"), max_length=2000)
    is_shared = models.BooleanField(_("shared with everyone"), default=False)

    access: ClassVar[AccessSpec] = AccessSpec(owner="owner")

    class Meta:
        ordering = ["list_name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "list_name", "name"], name="saved_filter_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ImportJob(TimeStampedModel):
    """One import of a file of accounts or contacts: its options, progress and outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        INTERRUPTED = "interrupted", _("Interrupted")

    class Target(models.TextChoices):
        ACCOUNTS = "accounts", _("Accounts")
        CONTACTS = "contacts", _("Contacts")

    target = models.CharField(max_length=10, choices=Target.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs"
    )
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    mapping = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    is_dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Moved on by every committed batch: a running job whose heartbeat stops was killed.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    access: ClassVar[AccessSpec] = AccessSpec(owner="created_by")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="import_job_heartbeat_idx")]

    def __str__(self) -> str:
        return f"{self.get_target_display()} from {self.original_name}"


class ImportRowError(models.Model):
    """Why one row (or one cell) of an import was not taken."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row_number = models.PositiveIntegerField()
    column = models.CharField(max_length=255, blank=True)
    value = models.CharField(max_length=500, blank=True)
    reason = models.CharField(max_length=500)

    class Meta:
        ordering = ["row_number", "pk"]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.reason}"


class ImportLedger(models.Model):
    """Which row of which file became which record, written in the same transaction as the
    record: re-running a file after a crash skips what was already imported."""

    file_sha256 = models.CharField(max_length=64)
    target = models.CharField(max_length=10)
    row_number = models.PositiveIntegerField()
    object_id = models.BigIntegerField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["file_sha256", "target", "row_number"], name="import_ledger_row_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.file_sha256[:8]}:{self.target}:{self.row_number}"

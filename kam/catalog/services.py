"""Write use cases of the catalog: products, price lists, promotions, agreements.

Admins and heads of sales change the assortment, price lists and promotions. An agreement is
written by whoever may change its account while it is a draft; it is submitted for approval
and approved (or sent back) by a head of sales or an admin. Every write validates the whole
record, runs in one transaction and is audited under the acting user.
"""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.catalog.choices import AgreementStatus
from kam.catalog.errors import AgreementTransitionError, CatalogError
from kam.catalog.models import (
    Agreement,
    AgreementLineDiscount,
    BonusTier,
    BundleComponent,
    PriceList,
    PriceRule,
    Product,
    Promotion,
    VolumeTarget,
)
from kam.core import access
from kam.core.audit import acting_as, log_event
from kam.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from kam.core.roles import Role
from kam.core.services import field_values, soft_delete

PRODUCT_FIELDS = frozenset(
    [
        "sku",
        "name",
        "description",
        "line",
        "unit",
        "list_price",
        "currency",
        "vat_rate",
        "is_active",
        "launch_date",
        "discontinued_on",
    ]
)
PRICE_LIST_FIELDS = frozenset(
    ["name", "currency", "valid_from", "valid_to", "is_active", "description"]
)
PROMOTION_FIELDS = frozenset(
    ["name", "description", "starts_on", "ends_on", "discount_percent", "channels", "is_active"]
)
AGREEMENT_FIELDS = frozenset(
    [
        "title",
        "valid_from",
        "valid_to",
        "price_list",
        "extra_discount_percent",
        "payment_terms_days",
        "credit_limit",
        "currency",
        "notes",
    ]
)


def can_edit_catalog(user: Any) -> bool:
    """Admins and heads of sales change the assortment, price lists and promotions."""
    return access.changes_all(user) and not access.is_read_only(user)


def can_approve_agreements(user: Any) -> bool:
    return access.changes_all(user) and not access.is_read_only(user)


def _require_editor(user: Any) -> None:
    if not can_edit_catalog(user):
        raise PermissionDeniedError(_("Only administrators and heads of sales edit the catalog."))


def _full_clean(instance: Model, exclude: list[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        raise CatalogError(_("Some values are not valid."), fields=error.message_dict) from None


def _assign(instance: Model, data: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise CatalogError(fields={name: [_("Unknown field.")] for name in unknown})
    for name, value in data.items():
        setattr(instance, name, value)


def _check_version(instance: Any, expected_version: int | None) -> Any:
    locked = type(instance)._base_manager.select_for_update().get(pk=instance.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(extra={"current": field_values(locked), "version": locked.version})
    return locked


def _save(instance: Model, user: Any) -> None:
    _full_clean(instance)
    with acting_as(user):
        instance.save()


# --- Products ---------------------------------------------------------------------------------


def _set_product_relations(
    product: Product,
    *,
    related: list[Product] | None,
    complementary: list[Product] | None,
    components: list[dict[str, Any]] | None,
    user: Any,
) -> None:
    for name, others in (("related", related), ("complementary", complementary)):
        if others is None:
            continue
        if any(other.pk == product.pk for other in others):
            raise CatalogError(fields={name: [_("A product cannot be related to itself.")]})
        with acting_as(user):
            getattr(product, name).set(others)
    if components is None:
        return
    with acting_as(user):
        product.components.all().delete()
        for part in components:
            component = BundleComponent(
                bundle=product, component=part["component"], quantity=part["quantity"]
            )
            try:
                component.full_clean()
            except ValidationError as error:
                raise CatalogError(fields={"components": error.messages}) from None
            component.save()


@transaction.atomic
def product_create(
    *,
    user: Any,
    data: dict[str, Any],
    related: list[Product] | None = None,
    complementary: list[Product] | None = None,
    components: list[dict[str, Any]] | None = None,
) -> Product:
    _require_editor(user)
    product = Product()
    _assign(product, data, PRODUCT_FIELDS)
    _save(product, user)
    _set_product_relations(
        product, related=related, complementary=complementary, components=components, user=user
    )
    return product


@transaction.atomic
def product_update(
    *,
    user: Any,
    product: Product,
    data: dict[str, Any],
    expected_version: int | None = None,
    related: list[Product] | None = None,
    complementary: list[Product] | None = None,
    components: list[dict[str, Any]] | None = None,
) -> Product:
    """Change a product; a stale `expected_version` raises ConflictError, nothing written."""
    _require_editor(user)
    locked: Product = _check_version(product, expected_version)
    _assign(locked, data, PRODUCT_FIELDS)
    _save(locked, user)
    _set_product_relations(
        locked, related=related, complementary=complementary, components=components, user=user
    )
    return locked


@transaction.atomic
def product_delete(*, user: Any, product: Product) -> Product:
    _require_editor(user)
    return soft_delete(instance=product, user=user)


# --- Price lists --------------------------------------------------------------------------------


def _replace_rules(price_list: PriceList, rules: list[dict[str, Any]], user: Any) -> None:
    with acting_as(user):
        price_list.rules.all().delete()
        for index, data in enumerate(rules):
            rule = PriceRule(price_list=price_list, **data)
            try:
                rule.full_clean(exclude=["price_list"])
            except ValidationError as error:
                problems = [
                    f"{_('Rule %d') % (index + 1)}, {name}: {message}"
                    for name, messages in error.message_dict.items()
                    for message in messages
                ]
                raise CatalogError(
                    _("Rule %d is not valid.") % (index + 1), fields={"rules": problems}
                ) from None
            rule.save()


@transaction.atomic
def price_list_create(
    *, user: Any, data: dict[str, Any], rules: list[dict[str, Any]] | None = None
) -> PriceList:
    _require_editor(user)
    price_list = PriceList()
    _assign(price_list, data, PRICE_LIST_FIELDS)
    _save(price_list, user)
    _replace_rules(price_list, rules or [], user)
    return price_list


@transaction.atomic
def price_list_update(
    *,
    user: Any,
    price_list: PriceList,
    data: dict[str, Any],
    expected_version: int | None = None,
    rules: list[dict[str, Any]] | None = None,
) -> PriceList:
    """Change a price list; `rules` given replace all its rules (None keeps them)."""
    _require_editor(user)
    locked: PriceList = _check_version(price_list, expected_version)
    _assign(locked, data, PRICE_LIST_FIELDS)
    _save(locked, user)
    if rules is not None:
        _replace_rules(locked, rules, user)
    return locked


# --- Promotions -------------------------------------------------------------------------------


@transaction.atomic
def promotion_create(
    *,
    user: Any,
    data: dict[str, Any],
    products: list[Any] | None = None,
    lines: list[Any] | None = None,
) -> Promotion:
    _require_editor(user)
    promotion = Promotion()
    _assign(promotion, data, PROMOTION_FIELDS)
    _save(promotion, user)
    with acting_as(user):
        promotion.products.set(products or [])
        promotion.lines.set(lines or [])
    return promotion


@transaction.atomic
def promotion_update(
    *,
    user: Any,
    promotion: Promotion,
    data: dict[str, Any],
    expected_version: int | None = None,
    products: list[Any] | None = None,
    lines: list[Any] | None = None,
) -> Promotion:
    _require_editor(user)
    locked: Promotion = _check_version(promotion, expected_version)
    _assign(locked, data, PROMOTION_FIELDS)
    _save(locked, user)
    with acting_as(user):
        if products is not None:
            locked.products.set(products)
        if lines is not None:
            locked.lines.set(lines)
    return locked


# --- Agreements -------------------------------------------------------------------------------


def _require_account_change(user: Any, account: Any) -> None:
    if not access.can(user, account, "view"):
        raise NotFoundError()
    if not access.can(user, account, "change") or not access.can_see_confidential(user):
        raise PermissionDeniedError(_("You may not change this account's conditions."))


def _replace_terms(
    agreement: Agreement,
    *,
    line_discounts: list[dict[str, Any]] | None,
    volume_targets: list[dict[str, Any]] | None,
    user: Any,
) -> None:
    with acting_as(user):
        if line_discounts is not None:
            agreement.line_discounts.all().delete()
            for data in line_discounts:
                discount = AgreementLineDiscount(agreement=agreement, **data)
                _clean_part(discount, "line_discounts")
                discount.save()
        if volume_targets is None:
            return
        agreement.volume_targets.all().delete()
        for data in volume_targets:
            tiers = data.get("tiers", [])
            target = VolumeTarget(
                agreement=agreement, **{k: v for k, v in data.items() if k != "tiers"}
            )
            _clean_part(target, "volume_targets")
            target.save()
            thresholds = [tier["threshold_amount"] for tier in tiers]
            if len(set(thresholds)) != len(thresholds):
                raise CatalogError(fields={"volume_targets": [_("Two tiers have one threshold.")]})
            for tier_data in tiers:
                tier = BonusTier(target=target, **tier_data)
                _clean_part(tier, "volume_targets")
                tier.save()


def _clean_part(instance: Model, name: str) -> None:
    try:
        instance.full_clean(validate_unique=False)
    except ValidationError as error:
        raise CatalogError(fields={name: error.messages}) from None


@transaction.atomic
def agreement_create(
    *,
    user: Any,
    account: Any,
    data: dict[str, Any],
    line_discounts: list[dict[str, Any]] | None = None,
    volume_targets: list[dict[str, Any]] | None = None,
) -> Agreement:
    """A draft agreement with the account (the user must be allowed to change the account)."""
    _require_account_change(user, account)
    agreement = Agreement(account=account, status=AgreementStatus.DRAFT)
    _assign(agreement, data, AGREEMENT_FIELDS)
    _save(agreement, user)
    _replace_terms(
        agreement, line_discounts=line_discounts, volume_targets=volume_targets, user=user
    )
    return agreement


@transaction.atomic
def agreement_update(
    *,
    user: Any,
    agreement: Agreement,
    data: dict[str, Any],
    expected_version: int | None = None,
    line_discounts: list[dict[str, Any]] | None = None,
    volume_targets: list[dict[str, Any]] | None = None,
) -> Agreement:
    """Change a draft or pending agreement (a pending one goes back to draft); an approved one is
    fixed: negotiate a new agreement instead."""
    _require_account_change(user, agreement.account)
    locked: Agreement = _check_version(agreement, expected_version)
    if locked.status == AgreementStatus.APPROVED:
        raise AgreementTransitionError(
            _("An approved agreement cannot change; create a new one for the new conditions.")
        )
    _assign(locked, data, AGREEMENT_FIELDS)
    locked.status = AgreementStatus.DRAFT
    _save(locked, user)
    _replace_terms(locked, line_discounts=line_discounts, volume_targets=volume_targets, user=user)
    return locked


def _transition(
    agreement: Agreement, *, user: Any, expected: str, to: str, expected_version: int | None
) -> Agreement:
    locked: Agreement = _check_version(agreement, expected_version)
    if locked.status != expected:
        raise AgreementTransitionError(
            _("The agreement is %(status)s; only a %(expected)s one can do this.")
            % {"status": locked.get_status_display(), "expected": AgreementStatus(expected).label}
        )
    locked.status = to
    now = timezone.now()
    if to == AgreementStatus.PENDING:
        locked.submitted_at = now
    if to == AgreementStatus.APPROVED:
        locked.approved_at, locked.approved_by = now, user
    _save(locked, user)
    return locked


def _notify(recipients: Any, agreement: Agreement, title: str) -> None:
    from django.urls import reverse

    from kam.users.services import notification_create

    url = reverse("accounts:account_detail", args=[agreement.account_id])
    for recipient in recipients:
        notification_create(recipient=recipient, title=title, body=agreement.title, url=url)


@transaction.atomic
def agreement_submit(
    *, user: Any, agreement: Agreement, expected_version: int | None = None
) -> Agreement:
    """Draft -> pending approval; every active head of sales is notified (in-app)."""
    _require_account_change(user, agreement.account)
    submitted = _transition(
        agreement,
        user=user,
        expected=AgreementStatus.DRAFT,
        to=AgreementStatus.PENDING,
        expected_version=expected_version,
    )
    heads = (
        get_user_model().objects.filter(role=Role.SALES_HEAD, is_active=True).exclude(pk=user.pk)
    )
    _notify(
        heads,
        submitted,
        _("Agreement to approve: %(account)s") % {"account": submitted.account.name},
    )
    return submitted


@transaction.atomic
def agreement_approve(
    *, user: Any, agreement: Agreement, expected_version: int | None = None
) -> Agreement:
    """Pending -> approved, by a head of sales or an admin; audited with an approval event."""
    if not can_approve_agreements(user):
        raise PermissionDeniedError(_("Only a head of sales approves agreements."))
    approved = _transition(
        agreement,
        user=user,
        expected=AgreementStatus.PENDING,
        to=AgreementStatus.APPROVED,
        expected_version=expected_version,
    )
    with acting_as(user):
        log_event(obj=approved, action=LogEntry.Action.UPDATE, data={"event": "approved"})
    _notify(
        [approved.account.owner],
        approved,
        _("Agreement approved: %(account)s") % {"account": approved.account.name},
    )
    return approved


@transaction.atomic
def agreement_reject(
    *, user: Any, agreement: Agreement, expected_version: int | None = None
) -> Agreement:
    """Pending -> draft (sent back to the account's owner, who is notified)."""
    if not can_approve_agreements(user):
        raise PermissionDeniedError(_("Only a head of sales approves agreements."))
    rejected = _transition(
        agreement,
        user=user,
        expected=AgreementStatus.PENDING,
        to=AgreementStatus.DRAFT,
        expected_version=expected_version,
    )
    _notify(
        [rejected.account.owner],
        rejected,
        _("Agreement sent back for changes: %(account)s") % {"account": rejected.account.name},
    )
    return rejected

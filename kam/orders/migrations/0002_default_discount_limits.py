"""Default discount limits per role: account manager 10%, key-account manager 15%, head of
sales and administrator 100% (admins edit them afterwards)."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = {
    "account_manager": Decimal("10"),
    "key_account_manager": Decimal("15"),
    "sales_head": Decimal("100"),
    "admin": Decimal("100"),
}


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    DiscountLimit = apps.get_model("orders", "DiscountLimit")
    for role, percent in DEFAULTS.items():
        DiscountLimit.objects.get_or_create(role=role, defaults={"max_percent": percent})


def remove(apps, schema_editor):  # type: ignore[no-untyped-def]
    DiscountLimit = apps.get_model("orders", "DiscountLimit")
    DiscountLimit.objects.filter(role__in=list(DEFAULTS)).delete()


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_orders_lines_deliveries_approvals_tasks")]

    operations = [migrations.RunPython(install, remove)]

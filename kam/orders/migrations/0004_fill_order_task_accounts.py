"""Existing department tasks all belong to an order: give each its order's account, which the
task's access now goes through."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    OrderTask = apps.get_model("orders", "OrderTask")
    Order = apps.get_model("orders", "Order")
    OrderTask.objects.filter(account__isnull=True, order__isnull=False).update(
        account=Subquery(Order.objects.filter(pk=OuterRef("order_id")).values("account_id")[:1])
    )


def empty(apps, schema_editor):
    OrderTask = apps.get_model("orders", "OrderTask")
    OrderTask.objects.filter(order__isnull=False).update(account=None)


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_bonus_settlements_contract_tasks")]

    operations = [migrations.RunPython(fill, empty)]

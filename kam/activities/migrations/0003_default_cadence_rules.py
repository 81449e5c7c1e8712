"""The default contact cadence per account tier (admins edit them afterwards)."""

from typing import Any

from django.db import migrations

DEFAULTS = {"strategic": 14, "key": 30, "standard": 90}


def create_defaults(apps: Any, schema_editor: Any) -> None:
    rule = apps.get_model("activities", "CadenceRule")
    for tier, days in DEFAULTS.items():
        rule.objects.get_or_create(tier=tier, defaults={"max_days_without_contact": days})


def remove_defaults(apps: Any, schema_editor: Any) -> None:
    apps.get_model("activities", "CadenceRule").objects.filter(tier__in=DEFAULTS).delete()


class Migration(migrations.Migration):
    dependencies = [("activities", "0002_contact_cadence_stats_overdue_notice")]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]

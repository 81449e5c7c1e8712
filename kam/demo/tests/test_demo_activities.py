"""Demo activities: a year of a realistic mix on the demo accounts, valid by the services' rules."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from kam.activities import services
from kam.activities.models import AccountContactStats, Activity
from kam.demo import activities_data
from kam.demo.generator import generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> dict[str, int]:
    generate(size="small", seed=1)
    return activities_data.generate(rng=random.Random(1), size="small")


def test_a_year_of_every_kind_with_planned_and_overdue_items(demo: dict[str, int]) -> None:
    now = timezone.now()
    activities = Activity.objects.all()

    assert demo["activities_activity"] == activities.count()
    assert set(activities.values_list("kind", flat=True)) == {k for k, _ in activities_data.MIX}
    assert activities.filter(occurred_at__lt=now - timedelta(days=300)).exists()
    assert activities.filter(status="planned", kind="meeting", occurred_at__gt=now).exists()
    assert activities.filter(kind="task", status="planned", due_at__lt=now).exists()
    assert not activities.filter(occurred_at__lt=now - timedelta(days=366)).exists()


def test_strategic_accounts_are_worked_more_than_standard_ones(demo: dict[str, int]) -> None:
    per_tier = {
        row["account__tier"]: row["n"] / row["accounts"]
        for row in Activity.objects.values("account__tier").annotate(
            n=Count("pk"), accounts=Count("account", distinct=True)
        )
    }

    assert per_tier["strategic"] > per_tier["key"] > per_tier["standard"]


def test_every_demo_activity_obeys_the_services_rules(demo: dict[str, int]) -> None:
    now = timezone.now()
    broken = {
        activity.pk: errors
        for activity in Activity.objects.all()
        if (errors := services._rules(activity, now=now))
    }

    assert broken == {}


def test_contacts_belong_to_the_activitys_account_and_stats_are_built(
    demo: dict[str, int],
) -> None:
    through = Activity.contacts.through.objects.select_related("activity", "contact")
    assert demo["activities_activity_contacts"] == through.count() > 0
    assert all(link.contact.account_id == link.activity.account_id for link in through)
    assert demo["activities_accountcontactstats"] == AccountContactStats.objects.count() > 0
    built = dict(AccountContactStats.objects.values_list("account_id", "repeat_contact_count"))
    services.contact_stats_rebuild()
    assert dict(AccountContactStats.objects.values_list("account_id", "repeat_contact_count")) == (
        built
    )


def test_unknown_size_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown size"):
        activities_data.generate(rng=random.Random(1), size="huge")

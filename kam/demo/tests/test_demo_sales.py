"""The demo's deals: every stage, histories consistent with the stage rules, counted."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db.models import Count

from kam.demo.generator import DemoResult, generate
from kam.demo.sales_data import add_sales
from kam.sales.models import Deal, Need, Objection, StageChange
from kam.sales.services import default_pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> DemoResult:
    result = generate(size="small", seed=1)
    add_sales(result, size="small", seed=1)
    return result


def test_deals_in_every_stage_with_won_and_lost(demo: DemoResult) -> None:
    stages = set(default_pipeline().stages.values_list("name", flat=True))
    used = set(Deal.objects.values_list("stage__name", flat=True))

    assert used == stages
    assert Deal.objects.filter(status="lost").exclude(lost_reason="").count() == (
        Deal.objects.filter(status="lost").count()
    )
    assert not Deal.objects.filter(status="open", next_step="").exists()
    assert not Deal.objects.filter(status="won", closed_at__isnull=True).exists()


def test_histories_walk_the_cycle_and_respect_its_rules(demo: DemoResult) -> None:
    for deal in Deal.objects.all():
        changes = list(StageChange.objects.filter(deal=deal).order_by("changed_at", "pk"))
        assert changes[0].from_stage_id is None
        assert changes[-1].to_stage_id == deal.stage_id
        assert changes[-1].changed_at == deal.stage_entered_at
        for before, after in zip(changes, changes[1:], strict=False):
            assert after.from_stage_id == before.to_stage_id
            assert after.seconds_in_from_stage == int(
                (after.changed_at - before.changed_at).total_seconds()
            )
    needs_stage = default_pipeline().stages.get(name="Needs identified")
    passed = Deal.objects.filter(stage_changes__to_stage=needs_stage)
    assert not passed.annotate(n=Count("needs")).filter(n=0).exists()
    assert Objection.objects.filter(is_resolved=True).exclude(answer="").exists()


def test_rows_are_counted_into_the_demo_result(demo: DemoResult) -> None:
    assert demo.tables["sales_deal"] == Deal.objects.count() > 20
    assert demo.tables["sales_stagechange"] == StageChange.objects.count()
    assert demo.tables["sales_need"] == Need.objects.count()


def test_demo_command_loads_deals() -> None:
    out = io.StringIO()
    call_command("demo", "--size", "small", "--seed", "2", "--json", stdout=out)

    summary = json.loads(out.getvalue())
    assert summary["tables"]["sales_deal"] == Deal.objects.count() > 20

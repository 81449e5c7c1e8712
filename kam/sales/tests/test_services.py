"""Deals, moves and their rules, needs and objections, pipelines and stages: the services."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from auditlog.models import LogEntry

from kam.accounts.models import Account
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from kam.sales import services
from kam.sales.errors import MoveRefusedError, SalesError
from kam.sales.models import Deal, Pipeline, Stage, StageChange
from kam.sales.tests.factories import deal_data, pipeline, stage
from kam.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(org: Any) -> Account:
    return AccountFactory(owner=org.owner, name="Acme")


@pytest.fixture
def deal(org: Any, account: Account) -> Deal:
    return services.deal_create(user=org.owner, data=deal_data(account))


def test_fresh_install_has_the_seed_cycle() -> None:
    stages = list(pipeline().stages.order_by("position").values_list("name", "probability"))

    assert pipeline().is_default
    assert stages == [
        ("Lead", 5),
        ("Appointment set", 10),
        ("Meeting prepared", 15),
        ("Contact established", 20),
        ("Needs identified", 30),
        ("Presented", 45),
        ("Objections handled", 60),
        ("Closing", 80),
        ("Won", 100),
        ("Lost", 0),
    ]
    assert stage("Needs identified").requirements == ["needs_recorded"]


def test_create_puts_the_deal_in_the_first_stage_with_its_probability(deal: Deal, org: Any) -> None:
    assert deal.stage == stage("Lead")
    assert deal.probability == 5
    assert deal.probability_overridden is False
    assert deal.status == "open"
    assert deal.owner == org.owner
    first = StageChange.objects.get(deal=deal)
    assert first.from_stage is None
    assert first.seconds_in_from_stage is None
    assert LogEntry.objects.get_for_object(deal).get().actor == org.owner


def test_create_keeps_a_probability_given_by_hand(org: Any, account: Account) -> None:
    deal = services.deal_create(user=org.owner, data=deal_data(account, probability=40))

    assert (deal.probability, deal.probability_overridden) == (40, True)


@pytest.mark.parametrize(
    ("missing", "field"), [("next_step", "next_step"), ("next_step_date", "next_step_date")]
)
def test_an_open_deal_needs_its_next_step(
    org: Any, account: Account, missing: str, field: str
) -> None:
    data = deal_data(account)
    data[missing] = "" if missing == "next_step" else None

    with pytest.raises(SalesError) as error:
        services.deal_create(user=org.owner, data=data)

    assert field in error.value.fields
    assert not Deal.objects.exists()


def test_create_refuses_contacts_of_another_account(org: Any, account: Account) -> None:
    stranger = ContactFactory(account=AccountFactory(owner=org.owner), last_name="Stranger")

    with pytest.raises(SalesError) as error:
        services.deal_create(user=org.owner, data=deal_data(account, contacts=[stranger]))

    assert "does not work at Acme" in error.value.fields["contacts"][0]


def test_create_refuses_an_inactive_owner(org: Any, account: Account) -> None:
    gone = UserFactory(is_active=False)

    with pytest.raises(SalesError) as error:
        services.deal_create(user=org.owner, data=deal_data(account, owner=gone))

    assert error.value.fields == {"owner": ["The owner must be an active user."]}


def test_create_on_an_account_one_may_not_change_is_404(org: Any, account: Account) -> None:
    with pytest.raises(NotFoundError):
        services.deal_create(user=org.other, data=deal_data(account))
    with pytest.raises(PermissionDeniedError):
        services.deal_create(user=org.auditor, data=deal_data(account))
    assert not Deal.objects.exists()


def test_create_refuses_a_stage_of_another_pipeline(org: Any, account: Account) -> None:
    other = services.pipeline_create(user=org.admin, name="Key accounts")
    foreign = other.stages.get(name="Presented")

    with pytest.raises(SalesError) as error:
        services.deal_create(
            user=org.owner, data=deal_data(account, pipeline=pipeline(), stage=foreign)
        )

    assert error.value.fields == {"stage": ["This stage belongs to another pipeline."]}


def test_move_records_the_time_spent_in_the_previous_stage(org: Any, account: Account) -> None:
    with time_machine.travel("2026-11-01 09:00:00+00:00", tick=False):
        deal = services.deal_create(user=org.owner, data=deal_data(account))
    with time_machine.travel("2026-11-03 10:30:00+00:00", tick=False):
        moved = services.deal_move(user=org.owner, deal=deal, stage=stage("Appointment set"))

    change = StageChange.objects.filter(deal=deal).latest("changed_at")
    assert (change.from_stage, change.to_stage) == (stage("Lead"), stage("Appointment set"))
    assert change.seconds_in_from_stage == 2 * 86400 + 5400
    assert change.changed_by == org.owner
    assert moved.probability == 10
    assert moved.stage_entered_at == datetime.datetime(2026, 11, 3, 10, 30, tzinfo=datetime.UTC)


def test_move_into_needs_identified_without_needs_is_refused(deal: Deal, org: Any) -> None:
    with pytest.raises(MoveRefusedError) as error:
        services.deal_move(user=org.owner, deal=deal, stage=stage("Needs identified"))

    assert "Record at least one need" in error.value.message
    deal.refresh_from_db()
    assert deal.stage == stage("Lead")
    assert StageChange.objects.filter(deal=deal).count() == 1


def test_move_into_needs_identified_with_a_need_passes(deal: Deal, org: Any) -> None:
    services.need_create(user=org.owner, deal=deal, description="Cheaper fuel cards")

    moved = services.deal_move(user=org.owner, deal=deal, stage=stage("Needs identified"))

    assert moved.stage == stage("Needs identified")


def test_move_to_a_stage_of_another_pipeline_is_refused(deal: Deal, org: Any) -> None:
    other = services.pipeline_create(user=org.admin, name="Key accounts")

    with pytest.raises(MoveRefusedError) as error:
        services.deal_move(user=org.owner, deal=deal, stage=other.stages.get(name="Presented"))

    assert "another pipeline" in error.value.message
    deal.refresh_from_db()
    assert deal.stage == stage("Lead")


def test_lost_needs_a_reason_and_won_closes(deal: Deal, org: Any) -> None:
    with pytest.raises(MoveRefusedError) as error:
        services.deal_move(user=org.owner, deal=deal, stage=stage("Lost"))
    assert error.value.fields["lost_reason"] == ["A lost deal needs the reason it was lost."]

    lost = services.deal_move(
        user=org.owner, deal=deal, stage=stage("Lost"), lost_reason="Price", lost_to="Rival"
    )
    assert (lost.status, lost.probability, lost.lost_to) == ("lost", 0, "Rival")
    assert lost.closed_at is not None

    reopened = services.deal_move(user=org.owner, deal=lost, stage=stage("Closing"))
    assert (reopened.status, reopened.closed_at, reopened.lost_reason) == ("open", None, "")

    won = services.deal_move(user=org.owner, deal=reopened, stage=stage("Won"))
    assert (won.status, won.probability) == ("won", 100)
    assert won.closed_at is not None


def test_an_overridden_probability_survives_moves(org: Any, account: Account) -> None:
    deal = services.deal_create(user=org.owner, data=deal_data(account, probability=50))

    moved = services.deal_move(user=org.owner, deal=deal, stage=stage("Appointment set"))

    assert moved.probability == 50


@pytest.mark.parametrize(("role", "allowed"), [("owner", True), ("lead", True), ("peer", False)])
def test_move_access(deal: Deal, org: Any, role: str, allowed: bool) -> None:
    user = getattr(org, role)
    if allowed:
        assert services.deal_move(user=user, deal=deal, stage=stage("Presented")).stage.name == (
            "Presented"
        )
    else:
        with pytest.raises(NotFoundError):
            services.deal_move(user=user, deal=deal, stage=stage("Presented"))


def test_update_is_versioned_and_refuses_stage_changes(deal: Deal, org: Any) -> None:
    updated = services.deal_update(
        user=org.owner, deal=deal, expected_version=deal.version, data={"amount": "500"}
    )
    assert updated.amount == Decimal("500.00")

    with pytest.raises(ConflictError):
        services.deal_update(
            user=org.owner, deal=deal, expected_version=deal.version, data={"title": "x"}
        )
    with pytest.raises(SalesError) as error:
        services.deal_update(
            user=org.owner,
            deal=updated,
            expected_version=updated.version,
            data={"stage": stage("Won")},
        )
    assert error.value.fields == {"stage": ["Move the deal to change its stage."]}


def test_update_back_to_the_stage_probability(org: Any, account: Account) -> None:
    deal = services.deal_create(user=org.owner, data=deal_data(account, probability=70))

    updated = services.deal_update(
        user=org.owner, deal=deal, expected_version=deal.version, data={"probability": None}
    )

    assert (updated.probability, updated.probability_overridden) == (5, False)


def test_objection_resolution_needs_the_answer(deal: Deal, org: Any) -> None:
    objection = services.objection_create(
        user=org.owner, deal=deal, kind="price", description="Too expensive"
    )
    with pytest.raises(SalesError) as error:
        services.objection_resolve(user=org.owner, objection=objection, answer="  ")
    assert "answer" in error.value.fields

    resolved = services.objection_resolve(
        user=org.owner, objection=objection, answer="Volume discount from 50 cards"
    )
    assert resolved.is_resolved
    assert resolved.resolved_at is not None


def test_needs_and_objections_need_change_rights(deal: Deal, org: Any) -> None:
    with pytest.raises(NotFoundError):
        services.need_create(user=org.other, deal=deal, description="x")
    with pytest.raises(PermissionDeniedError):
        services.objection_create(user=org.auditor, deal=deal, kind="price", description="x")


def test_soft_delete_hides_the_deal(deal: Deal, org: Any) -> None:
    services.deal_delete(user=org.owner, deal=deal)

    assert not Deal.objects.filter(pk=deal.pk).exists()
    assert Deal.all_objects.get(pk=deal.pk).deleted_by == org.owner


def test_admins_edit_stages_and_others_may_not(org: Any) -> None:
    lead = stage("Lead")
    with pytest.raises(PermissionDeniedError):
        services.stage_update(
            user=org.sales_head, stage=lead, expected_version=lead.version, data={"name": "x"}
        )
    with pytest.raises(SalesError) as error:
        services.stage_update(
            user=org.admin,
            stage=lead,
            expected_version=lead.version,
            data={"requirements": ["no_such_check"]},
        )
    assert "Unknown requirement no_such_check" in error.value.fields["requirements"][0]

    renamed = services.stage_update(
        user=org.admin,
        stage=lead,
        expected_version=lead.version,
        data={"name": "New lead", "probability": 7, "requirements": ["needs_recorded"]},
    )
    assert (renamed.name, renamed.probability, renamed.requirements) == (
        "New lead",
        7,
        ["needs_recorded"],
    )
    added = services.stage_create(
        user=org.admin, pipeline=pipeline(), data={"name": "Trial", "probability": 50}
    )
    assert added.position == 11


def test_a_stage_with_deals_cannot_be_deleted(deal: Deal, org: Any) -> None:
    with pytest.raises(SalesError):
        services.stage_delete(user=org.admin, stage=stage("Lead"))
    services.stage_delete(user=org.admin, stage=stage("Presented"))
    assert not Stage.objects.filter(name="Presented", pipeline=pipeline()).exists()


def test_a_new_pipeline_copies_the_cycle(org: Any) -> None:
    created = services.pipeline_create(user=org.admin, name="Key accounts")

    assert created.stages.count() == 10
    assert not Pipeline.objects.get(pk=created.pk).is_default
    with pytest.raises(SalesError):
        services.pipeline_create(
            user=org.admin, name="Broken", stages=[{"name": "Only", "probability": 5}]
        )

"""Contracts and obligations through their services: numbers, parties, rules, status moves,
renewals and expiry, obligations and who may close them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from auditlog.models import LogEntry

from kam.accounts.models import Account
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.contracts import services
from kam.contracts.errors import ContractError, ObligationError, TransitionRefusedError
from kam.contracts.models import Contract, ContractStatusChange, Obligation
from kam.contracts.tests.factories import ContractFactory, ObligationFactory, contract_data
from kam.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from kam.sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db
TODAY = "2026-11-15 12:00:00+00:00"


@pytest.fixture
def account(org: Any) -> Account:
    return AccountFactory(owner=org.owner, name="Acme")


@pytest.fixture
def contract(org: Any, account: Account) -> Contract:
    return services.contract_create(user=org.owner, data=contract_data(account))


def _statuses(contract: Contract) -> list[tuple[str, str, str]]:
    return list(
        ContractStatusChange.objects.filter(contract=contract)
        .order_by("pk")
        .values_list("event", "from_status", "to_status")
    )


# --- Create, numbers, parties ----------------------------------------------------------------


def test_numbers_are_suggested_per_year_and_an_editable_number_is_kept(
    org: Any, account: Account
) -> None:
    first = services.contract_create(user=org.owner, data=contract_data(account))
    second = services.contract_create(user=org.owner, data=contract_data(account))
    own = services.contract_create(user=org.owner, data=contract_data(account, number=" K-77 "))
    next_year = services.contract_create(
        user=org.owner,
        data=contract_data(
            account, start_date=datetime.date(2027, 2, 1), end_date=datetime.date(2027, 12, 31)
        ),
    )

    assert [first.number, second.number, own.number, next_year.number] == [
        "C-2026-0001",
        "C-2026-0002",
        "K-77",
        "C-2027-0001",
    ]
    assert services.contract_number_suggest(on=datetime.date(2026, 5, 1)) == "C-2026-0003"


def test_a_taken_number_is_refused_on_the_number_field(org: Any, account: Account) -> None:
    services.contract_create(user=org.owner, data=contract_data(account, number="K-1"))

    with pytest.raises(ContractError) as refused:
        services.contract_create(user=org.owner, data=contract_data(account, number="K-1"))

    assert list(refused.value.fields) == ["number"]
    assert Contract.objects.filter(number="K-1").count() == 1


def test_create_records_the_draft_its_owner_and_the_audit(org: Any, contract: Contract) -> None:
    assert contract.status == "draft"
    assert contract.owner == org.owner
    assert contract.value == Decimal("120000.00")
    assert _statuses(contract) == [("created", "", "draft")]
    entry = LogEntry.objects.get_for_object(contract).get(action=LogEntry.Action.CREATE)
    assert entry.actor == org.owner
    assert entry.changes["title"] == ["None", "Annual supply"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"end_date": datetime.date(2025, 12, 31)}, "end_date"),
        ({"value": Decimal("-1.00")}, "value"),
        ({"currency": "EURO"}, "currency"),
        ({"is_auto_renewal": True}, "renewal_term_months"),
        ({"end_date": None, "notice_period_days": 30}, "notice_period_days"),
        ({"has_referral_clause": True, "referral_terms": "  "}, "referral_terms"),
        ({"title": ""}, "title"),
        ({"kind": "lease"}, "kind"),
    ],
)
def test_bad_values_are_refused_field_by_field(
    org: Any, account: Account, extra: dict[str, Any], field: str
) -> None:
    with pytest.raises(ContractError) as refused:
        services.contract_create(user=org.owner, data=contract_data(account, **extra))

    assert field in refused.value.fields
    assert Contract.all_objects.count() == 0


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("peer", NotFoundError),
        ("other", NotFoundError),
        ("staff", NotFoundError),
        ("marketing", NotFoundError),
        ("auditor", PermissionDeniedError),
    ],
)
def test_a_contract_on_an_account_one_cannot_change_is_refused(
    org: Any, account: Account, who: str, error: type[Exception]
) -> None:
    data = contract_data(account)
    del data["value"], data["currency"]  # so that the roles without confidential access get by

    with pytest.raises(error):
        services.contract_create(user=getattr(org, who), data=data)

    assert Contract.all_objects.count() == 0


def test_an_unknown_account_answers_not_found(org: Any) -> None:
    with pytest.raises(NotFoundError):
        services.contract_create(user=org.owner, data=contract_data(987654321))


def test_parties_of_the_same_group_signatories_and_the_deal(org: Any) -> None:
    group = AccountFactory(owner=org.owner, name="Holding")
    client = AccountFactory(owner=org.owner, name="Client", parent=group)
    sister = AccountFactory(owner=org.owner, name="Sister", parent=group)
    signatory = ContactFactory(account=sister, last_name="Ivanova")
    deal = DealFactory(account=client, owner=org.owner)

    contract = services.contract_create(
        user=org.owner,
        data=contract_data(
            client,
            other_accounts=[sister.pk, group],
            client_signatories=[signatory.pk],
            our_signatory=org.lead.pk,
            deal=deal.pk,
        ),
    )

    assert sorted(a.name for a in contract.other_accounts.all()) == ["Holding", "Sister"]
    assert list(contract.client_signatories.all()) == [signatory]
    assert contract.our_signatory == org.lead
    assert contract.deal == deal


def test_parties_outside_the_group_are_refused(org: Any, account: Account) -> None:
    stranger = AccountFactory(owner=org.owner, name="Stranger")
    foreign_contact = ContactFactory(account=stranger)
    foreign_deal = DealFactory(account=stranger, owner=org.owner)

    for extra, field in (
        ({"other_accounts": [stranger.pk]}, "other_accounts"),
        ({"client_signatories": [foreign_contact.pk]}, "client_signatories"),
        ({"deal": foreign_deal.pk}, "deal"),
        ({"our_signatory": 987654321}, "our_signatory"),
    ):
        with pytest.raises(ContractError) as refused:
            services.contract_create(user=org.owner, data=contract_data(account, **extra))
        assert list(refused.value.fields) == [field]
    assert Contract.all_objects.count() == 0


def test_roles_without_confidential_access_cannot_set_the_value(org: Any) -> None:
    theirs = AccountFactory(owner=org.marketing, name="Marketing's")

    with pytest.raises(ContractError) as refused:
        services.contract_create(user=org.marketing, data=contract_data(theirs))
    data = contract_data(theirs)
    del data["value"], data["currency"]
    contract = services.contract_create(user=org.marketing, data=data)

    assert list(refused.value.fields) == ["value", "currency"]
    assert contract.value == Decimal("0.00")


def test_a_stale_edit_is_refused_and_nothing_changes(org: Any, contract: Contract) -> None:
    services.contract_update(
        user=org.owner, contract=contract, expected_version=1, data={"title": "First"}
    )

    with pytest.raises(ConflictError) as conflict:
        services.contract_update(
            user=org.lead, contract=contract, expected_version=1, data={"title": "Second"}
        )

    assert conflict.value.extra["current"]["title"] == "First"
    contract.refresh_from_db()
    assert (contract.title, contract.version) == ("First", 2)


def test_changing_the_end_date_moves_the_notice_date_and_rearms_the_notice(
    org: Any, contract: Contract
) -> None:
    Contract.objects.filter(pk=contract.pk).update(renewal_notified_at="2026-10-01T00:00:00Z")

    updated = services.contract_update(
        user=org.owner,
        contract=contract,
        expected_version=1,
        data={"end_date": datetime.date(2027, 3, 31), "notice_period_days": 60},
    )

    assert updated.notice_date == datetime.date(2027, 1, 30)
    assert updated.renewal_notified_at is None


# --- Status moves ----------------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_the_whole_lifecycle_is_recorded_in_the_history(org: Any, contract: Contract) -> None:
    for status in ("negotiation", "approval"):
        services.contract_transition(user=org.owner, contract=contract, status=status)
    services.contract_transition(
        user=org.owner, contract=contract, status="signed", signed_on=datetime.date(2026, 11, 10)
    )
    active = services.contract_transition(user=org.owner, contract=contract, status="active")

    assert (active.status, active.signed_on) == ("active", datetime.date(2026, 11, 10))
    assert _statuses(contract) == [
        ("created", "", "draft"),
        ("transition", "draft", "negotiation"),
        ("transition", "negotiation", "approval"),
        ("transition", "approval", "signed"),
        ("transition", "signed", "active"),
    ]
    audited = LogEntry.objects.get_for_object(contract).filter(
        action=LogEntry.Action.UPDATE, changes__has_key="status"
    )
    assert audited.count() == 4


@pytest.mark.parametrize(
    ("start", "target", "message"),
    [
        (
            "draft",
            "active",
            "A draft contract cannot become active; it can become: negotiation, terminated.",
        ),
        ("draft", "draft", "The contract is already Draft."),
        ("approval", "signed", "Give the signing date to mark the contract signed."),
        ("active", "terminated", "Say why the contract is terminated."),
        ("active", "expired", "A contract expires only after its end date."),
        (
            "terminated",
            "active",
            "A terminated contract is closed; its status cannot change any more.",
        ),
    ],
)
@time_machine.travel(TODAY, tick=False)
def test_refused_moves_say_why_and_change_nothing(
    org: Any, account: Account, start: str, target: str, message: str
) -> None:
    contract = ContractFactory(account=account, status=start)

    with pytest.raises(TransitionRefusedError) as refused:
        services.contract_transition(user=org.owner, contract=contract, status=target)

    assert refused.value.message == message
    contract.refresh_from_db()
    assert (contract.status, contract.version) == (start, 1)
    assert ContractStatusChange.objects.filter(contract=contract).count() == 0


@time_machine.travel(TODAY, tick=False)
def test_a_signing_date_in_the_future_and_an_unknown_status_are_refused(
    org: Any, account: Account
) -> None:
    contract = ContractFactory(account=account, status="approval")

    with pytest.raises(TransitionRefusedError) as future:
        services.contract_transition(
            user=org.owner, contract=contract, status="signed", signed_on=datetime.date(2026, 12, 1)
        )
    with pytest.raises(ContractError) as unknown:
        services.contract_transition(user=org.owner, contract=contract, status="archived")

    assert future.value.message == "The signing date cannot be in the future."
    assert unknown.value.fields == {"status": ["Unknown status archived."]}


@pytest.mark.parametrize(
    ("who", "error"), [("peer", NotFoundError), ("auditor", PermissionDeniedError)]
)
def test_only_those_who_may_change_it_move_a_contract(
    org: Any, contract: Contract, who: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        services.contract_transition(
            user=getattr(org, who), contract=contract, status="negotiation"
        )

    contract.refresh_from_db()
    assert contract.status == "draft"


# --- Renewal, expiry, start (the beat job) ---------------------------------------------------


def test_an_auto_renewing_contract_past_its_end_is_renewed_once_even_run_twice(
    org: Any, account: Account
) -> None:
    contract = ContractFactory(
        account=account,
        status="active",
        end_date=datetime.date(2026, 10, 31),
        is_auto_renewal=True,
        renewal_term_months=12,
        notice_period_days=30,
        renewal_notified_at=datetime.datetime(2026, 10, 1, tzinfo=datetime.UTC),
    )

    with time_machine.travel(TODAY, tick=False):
        first = services.contracts_roll_over()
        second = services.contracts_roll_over()

    assert first == {"renewed": 1, "expired": 0, "activated": 0}
    assert second == {"renewed": 0, "expired": 0, "activated": 0}
    contract.refresh_from_db()
    assert (contract.status, contract.end_date) == ("active", datetime.date(2027, 10, 31))
    assert contract.notice_date == datetime.date(2027, 10, 1)
    assert contract.renewal_notified_at is None
    (change,) = ContractStatusChange.objects.filter(contract=contract)
    assert (change.event, change.from_status, change.to_status) == ("renewal", "active", "active")
    assert change.reason == (
        "Renewed automatically for 12 months: end date 2026-10-31 → 2027-10-31."
    )
    audited = LogEntry.objects.get_for_object(contract).get(
        action=LogEntry.Action.UPDATE, changes__has_key="end_date"
    )
    assert audited.changes["end_date"] == ["2026-10-31", "2027-10-31"]


def test_the_end_date_itself_is_still_in_force(org: Any, account: Account) -> None:
    ContractFactory(account=account, status="active", end_date=datetime.date(2026, 11, 15))

    with time_machine.travel(TODAY, tick=False):
        assert services.contracts_roll_over() == {"renewed": 0, "expired": 0, "activated": 0}


def test_a_contract_without_auto_renewal_expires_and_a_signed_one_starts(
    org: Any, account: Account
) -> None:
    ended = ContractFactory(account=account, status="active", end_date=datetime.date(2026, 11, 1))
    starting = ContractFactory(
        account=account,
        status="signed",
        signed_on=datetime.date(2026, 11, 1),
        start_date=datetime.date(2026, 11, 15),
    )
    later = ContractFactory(account=account, status="signed", start_date=datetime.date(2026, 12, 1))

    with time_machine.travel(TODAY, tick=False):
        assert services.contracts_roll_over() == {"renewed": 0, "expired": 1, "activated": 1}

    statuses = dict(Contract.objects.values_list("pk", "status"))
    assert [statuses[c.pk] for c in (ended, starting, later)] == ["expired", "active", "signed"]
    assert ContractStatusChange.objects.get(contract=ended).reason == "The end date passed."


# --- Obligations -----------------------------------------------------------------------------


def test_obligations_name_one_responsible_of_the_right_side(
    org: Any, contract: Contract, account: Account
) -> None:
    buyer = ContactFactory(account=account)
    stranger = ContactFactory()
    ours = services.obligation_create(
        user=org.owner,
        contract=contract,
        data={
            "side": "ours",
            "description": "Deliver 40 pallets",
            "due_date": datetime.date(2026, 3, 1),
            "department": org.logistics.pk,
        },
    )
    theirs = services.obligation_create(
        user=org.owner,
        contract=contract,
        data={"side": "client", "description": "Pay the advance", "contact": buyer},
    )

    assert (ours.department, ours.status, theirs.contact) == (org.logistics, "open", buyer)
    for data, field in (
        (
            {"side": "ours", "description": "X", "department": org.logistics, "assignee": org.peer},
            "assignee",
        ),
        ({"side": "ours", "description": "X", "contact": buyer}, "contact"),
        ({"side": "client", "description": "X", "contact": stranger.pk}, "contact"),
        ({"side": "client", "description": "  "}, "description"),
        ({"side": "both", "description": "X"}, "side"),
    ):
        with pytest.raises(ObligationError) as refused:
            services.obligation_create(user=org.owner, contract=contract, data=data)
        assert field in refused.value.fields
    assert Obligation.objects.filter(contract=contract).count() == 2


def test_department_staff_close_their_departments_obligations_only(
    org: Any, contract: Contract
) -> None:
    theirs = ObligationFactory(contract=contract, department=org.logistics)
    elsewhere = ObligationFactory(contract=contract)

    done = services.obligation_close(user=org.staff, obligation=theirs, note="Shipped")

    assert (done.status, done.closed_by, done.closing_note) == ("done", org.staff, "Shipped")
    assert done.closed_at is not None
    with pytest.raises(NotFoundError):
        services.obligation_close(user=org.staff, obligation=elsewhere)
    with pytest.raises(NotFoundError):
        services.obligation_close(user=org.outsider, obligation=done, status="open")
    with pytest.raises(NotFoundError):  # closing is theirs; editing is the contract's people's
        services.obligation_update(
            user=org.staff,
            obligation=done,
            expected_version=done.version,
            data={"description": "X"},
        )
    elsewhere.refresh_from_db()
    assert elsewhere.status == "open"


def test_waiving_needs_a_note_and_reopening_clears_who_closed(org: Any, contract: Contract) -> None:
    obligation = ObligationFactory(contract=contract)

    with pytest.raises(ObligationError) as refused:
        services.obligation_close(user=org.owner, obligation=obligation, status="waived")
    waived = services.obligation_close(
        user=org.owner, obligation=obligation, status="waived", note="Client dropped it"
    )
    reopened = services.obligation_close(user=org.owner, obligation=waived, status="open")

    assert refused.value.fields == {"note": ["Say why the obligation is waived."]}
    assert (waived.status, waived.closing_note) == ("waived", "Client dropped it")
    assert (reopened.status, reopened.closed_by, reopened.closed_at) == ("open", None, None)


def test_the_document_context_has_what_a_template_needs(org: Any) -> None:
    client = AccountFactory(owner=org.owner, name="Client", legal_name="Client LLC")
    signer = ContactFactory(account=client, first_name="Anna", last_name="Orlova", job_title="CEO")
    contract = services.contract_create(
        user=org.owner,
        data=contract_data(
            client,
            client_signatories=[signer],
            has_referral_clause=True,
            referral_terms="Two references a year",
        ),
    )
    ObligationFactory(contract=contract, description="Deliver", department=org.logistics)

    context = services.contract_document_context(contract)

    assert context["number"] == contract.number
    assert context["client"]["name"] == "Client LLC"
    assert context["client"]["contact"] == signer.full_name
    assert (context["total"], context["currency"]) == (Decimal("120000.00"), "EUR")
    assert (context["starts_on"], context["ends_on"]) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 12, 31),
    )
    clauses = {clause["title"]: clause["text"] for clause in context["clauses"]}
    assert clauses["Recommendations"] == "Two references a year"
    assert clauses["Obligation (Ours)"] == "Deliver (due 06/30/2026; Logistics)"
    assert clauses["Signatures"] == f"For us: —. For the client: {signer.full_name} (CEO)."


def test_moving_a_contract_to_another_client_checks_the_parties_kept(
    org: Any, account: Account
) -> None:
    sister = AccountFactory(owner=org.owner, parent=account)
    contract = services.contract_create(
        user=org.owner, data=contract_data(account, other_accounts=[sister])
    )
    elsewhere = AccountFactory(owner=org.owner, name="Elsewhere")

    with pytest.raises(ContractError) as refused:
        services.contract_update(
            user=org.owner, contract=contract, expected_version=1, data={"account": elsewhere}
        )

    assert list(refused.value.fields) == ["other_accounts"]
    contract.refresh_from_db()
    assert contract.account == account

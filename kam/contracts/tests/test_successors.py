"""Renewal by a successor contract and the link to the key-account agreement, through the
services, the API and the contract page."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.test import Client

from kam.accounts.models import Account
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.catalog.models import Agreement
from kam.catalog.tests.factories import AgreementFactory
from kam.contracts import services
from kam.contracts.errors import ContractError, TransitionRefusedError
from kam.contracts.models import Contract, ContractStatusChange, Obligation
from kam.contracts.tests.factories import ContractFactory, ObligationFactory, contract_data
from kam.core import registry
from kam.core.errors import NotFoundError, PermissionDeniedError

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(org: Any) -> Account:
    return AccountFactory(owner=org.owner, name="Acme")


@pytest.fixture
def agreement(account: Account) -> Agreement:
    return AgreementFactory(account=account, title="Frame 2026")


@pytest.fixture
def active(org: Any, account: Account, agreement: Agreement) -> Contract:
    """An active contract of 2026 with a sister company, a signatory, an agreement and three
    obligations: one open of ours, one open of the client's, one done."""
    sister = AccountFactory(owner=org.owner, parent=account, name="Acme Sister")
    signer = ContactFactory(account=account, first_name="Anna", last_name="Orlova")
    contract = services.contract_create(
        user=org.owner,
        data=contract_data(
            account,
            number="R-100",
            title="Pumps 2026",
            other_accounts=[sister],
            client_signatories=[signer],
            agreement=agreement,
            notice_period_days=30,
            value=Decimal("120000.00"),
        ),
    )
    Contract.objects.filter(pk=contract.pk).update(
        status="active", signed_on=datetime.date(2025, 12, 20)
    )
    ObligationFactory(contract=contract, side="ours", description="Deliver the pumps")
    ObligationFactory(
        contract=contract,
        side="client",
        description="Pay the advance",
        due_date=datetime.date(2026, 3, 1),
    )
    done = ObligationFactory(contract=contract, description="Send samples")
    services.obligation_close(user=org.owner, obligation=done)
    contract.refresh_from_db()
    return contract


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Renewal: the service --------------------------------------------------------------------


def test_renew_makes_a_successor_continuing_the_dates_and_parties(
    org: Any, active: Contract, agreement: Agreement
) -> None:
    successor = services.contract_renew(user=org.owner, contract=active)

    active.refresh_from_db()
    assert successor.number == "C-2027-0001"
    assert (successor.status, successor.predecessor) == ("draft", active)
    assert (successor.start_date, successor.end_date) == (
        datetime.date(2027, 1, 1),
        datetime.date(2027, 12, 31),
    )
    assert successor.notice_date == datetime.date(2027, 12, 1)
    assert successor.signed_on is None
    assert (successor.title, successor.account, successor.owner) == (
        "Pumps 2026",
        active.account,
        org.owner,
    )
    assert (successor.value, successor.currency, successor.agreement) == (
        Decimal("120000.00"),
        "EUR",
        agreement,
    )
    assert [a.name for a in successor.other_accounts.all()] == ["Acme Sister"]
    assert [c.last_name for c in successor.client_signatories.all()] == ["Orlova"]
    assert active.status == "renewed"
    assert Contract.objects.get(pk=active.pk).successor == successor


def test_renew_copies_the_open_obligations_and_waives_the_old_ones(
    org: Any, active: Contract
) -> None:
    successor = services.contract_renew(user=org.owner, contract=active)

    copied = Obligation.objects.filter(contract=successor).order_by("description")
    old = Obligation.objects.filter(contract=active).order_by("description")
    assert [(o.side, o.description, o.due_date, o.status) for o in copied] == [
        ("ours", "Deliver the pumps", datetime.date(2026, 6, 30), "open"),
        ("client", "Pay the advance", datetime.date(2026, 3, 1), "open"),
    ]
    assert [(o.description, o.status, o.closing_note) for o in old] == [
        ("Deliver the pumps", "waived", f"Carried over to contract {successor.number}."),
        ("Pay the advance", "waived", f"Carried over to contract {successor.number}."),
        ("Send samples", "done", ""),
    ]
    assert {o.closed_by for o in old} == {org.owner}


def test_renew_writes_both_histories_and_the_audit(org: Any, active: Contract) -> None:
    successor = services.contract_renew(user=org.owner, contract=active)

    old_history = ContractStatusChange.objects.filter(contract=active).order_by("-pk").first()
    new_history = list(
        ContractStatusChange.objects.filter(contract=successor).values_list(
            "event", "to_status", "reason", "changed_by"
        )
    )
    assert old_history is not None
    assert (old_history.from_status, old_history.to_status, old_history.reason) == (
        "active",
        "renewed",
        f"Renewed by contract {successor.number}.",
    )
    assert new_history == [("created", "draft", "Renews contract R-100.", org.owner.pk)]
    created = LogEntry.objects.get_for_object(successor).filter(action=LogEntry.Action.CREATE)
    changed = LogEntry.objects.get_for_object(active).filter(action=LogEntry.Action.UPDATE)
    assert [entry.actor for entry in created] == [org.owner]
    assert changed.first() is not None
    assert changed.first().changes_dict["status"] == ["active", "renewed"]  # type: ignore[union-attr]
    assert changed.first().actor == org.owner  # type: ignore[union-attr]


def test_renew_uses_the_renewal_term_when_the_contract_has_one(org: Any, account: Account) -> None:
    contract = ContractFactory(
        account=account,
        status="expired",
        start_date=datetime.date(2025, 3, 1),
        end_date=datetime.date(2026, 2, 28),
        renewal_term_months=6,
    )

    successor = services.contract_renew(user=org.lead, contract=contract)

    assert (successor.start_date, successor.end_date) == (
        datetime.date(2026, 3, 1),
        datetime.date(2026, 8, 31),
    )
    assert successor.number == "C-2026-0001"


@pytest.mark.parametrize(
    ("status", "end_date", "message"),
    [
        (
            "draft",
            datetime.date(2026, 12, 31),
            "Only an active or expired contract can be renewed.",
        ),
        (
            "terminated",
            datetime.date(2026, 12, 31),
            "Only an active or expired contract can be renewed.",
        ),
        ("active", None, "An open-ended contract has no end date to continue from."),
        ("renewed", datetime.date(2026, 12, 31), "The contract is already renewed."),
    ],
)
def test_renew_is_refused_with_the_reason_and_changes_nothing(
    org: Any, account: Account, status: str, end_date: datetime.date | None, message: str
) -> None:
    contract = ContractFactory(account=account, status=status, end_date=end_date)

    with pytest.raises(TransitionRefusedError) as refused:
        services.contract_renew(user=org.owner, contract=contract)

    assert refused.value.message == message
    contract.refresh_from_db()
    assert contract.status == status
    assert Contract.objects.count() == 1


def test_a_contract_is_renewed_once(org: Any, active: Contract) -> None:
    services.contract_renew(user=org.owner, contract=active)

    with pytest.raises(TransitionRefusedError):
        services.contract_renew(user=org.owner, contract=active)

    assert Contract.objects.filter(predecessor=active).count() == 1


@pytest.mark.parametrize(
    ("role", "error"),
    [
        ("peer", NotFoundError),
        ("kam", NotFoundError),
        ("staff", NotFoundError),
        ("auditor", PermissionDeniedError),
    ],
)
def test_renew_is_refused_to_those_who_may_not_change_the_contract(
    org: Any, active: Contract, role: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        services.contract_renew(user=getattr(org, role), contract=active)

    active.refresh_from_db()
    assert active.status == "active"
    assert Contract.objects.filter(predecessor=active).exists() is False
    assert Obligation.objects.filter(contract=active, status="open").count() == 2


def test_a_plain_status_change_cannot_mark_a_contract_renewed(org: Any, active: Contract) -> None:
    with pytest.raises(TransitionRefusedError) as refused:
        services.contract_transition(user=org.owner, contract=active, status="renewed")

    assert refused.value.message == (
        "A contract is renewed with Renew, which creates its successor contract."
    )
    active.refresh_from_db()
    assert (active.status, active.allowed_statuses) == ("active", ["expired", "terminated"])


# --- The agreement link ------------------------------------------------------------------------


def test_a_contract_carries_an_agreement_of_its_account_or_its_group(
    org: Any, account: Account
) -> None:
    parent = AccountFactory(owner=org.owner, name="Acme Holding")
    Account.objects.filter(pk=account.pk).update(parent=parent)
    account.refresh_from_db()
    group_agreement = AgreementFactory(account=parent, title="Group frame")
    contract = services.contract_create(
        user=org.owner, data=contract_data(account, agreement=group_agreement.pk)
    )

    updated = services.contract_update(
        user=org.owner, contract=contract, expected_version=1, data={"agreement": None}
    )

    assert Contract.objects.get(pk=contract.pk).agreement is None
    assert updated.version == 2
    assert (
        services.contract_create(
            user=org.owner, data=contract_data(account, agreement=group_agreement)
        ).agreement
        == group_agreement
    )


def test_an_agreement_of_another_client_or_unseen_is_refused(org: Any, account: Account) -> None:
    contract = services.contract_create(user=org.owner, data=contract_data(account))
    mine_elsewhere = AgreementFactory(account=AccountFactory(owner=org.owner, name="Other client"))
    unseen = AgreementFactory(account=AccountFactory(owner=org.other))

    for agreement in (mine_elsewhere, unseen, 987654321):
        with pytest.raises(ContractError) as refused:
            services.contract_update(
                user=org.owner,
                contract=contract,
                expected_version=1,
                data={"agreement": agreement},
            )
        assert refused.value.fields == {
            "agreement": ["Choose a key-account agreement of the client's group."]
        }
    contract.refresh_from_db()
    assert (contract.agreement, contract.version) == (None, 1)


def test_moving_the_contract_to_another_client_rechecks_the_agreement(
    org: Any, account: Account, agreement: Agreement
) -> None:
    contract = services.contract_create(
        user=org.owner, data=contract_data(account, agreement=agreement)
    )
    elsewhere = AccountFactory(owner=org.owner, name="Elsewhere")

    with pytest.raises(ContractError) as refused:
        services.contract_update(
            user=org.owner, contract=contract, expected_version=1, data={"account": elsewhere}
        )

    assert list(refused.value.fields) == ["agreement"]
    contract.refresh_from_db()
    assert (contract.account, contract.agreement) == (account, agreement)


# --- API ---------------------------------------------------------------------------------------


def test_api_renew_answers_the_successor(api_as: Any, org: Any, active: Contract) -> None:
    response = api_as(org.owner).post(f"/api/v1/contracts/{active.pk}/renew/", {}, format="json")
    old = api_as(org.owner).get(f"/api/v1/contracts/{active.pk}/").json()

    body = response.json()
    assert response.status_code == 201
    assert (body["number"], body["status"], body["predecessor"], body["successor"]) == (
        "C-2027-0001",
        "draft",
        active.pk,
        None,
    )
    assert (body["start_date"], body["end_date"], body["value"]) == (
        "2027-01-01",
        "2027-12-31",
        "120000.00",
    )
    assert (old["status"], old["successor"], old["predecessor"]) == ("renewed", body["id"], None)


def test_api_renew_refusal_and_stale_version_change_nothing(
    api_as: Any, org: Any, account: Account, active: Contract
) -> None:
    draft = ContractFactory(account=account, status="draft")
    client = api_as(org.owner)

    refused = client.post(f"/api/v1/contracts/{draft.pk}/renew/", {}, format="json")
    stale = client.post(
        f"/api/v1/contracts/{active.pk}/renew/", {"version": active.version + 5}, format="json"
    )

    assert refused.status_code == 400
    assert refused.json()["code"] == "transition_refused"
    assert refused.json()["detail"] == "Only an active or expired contract can be renewed."
    assert stale.status_code == 409
    assert Contract.objects.filter(predecessor__isnull=False).exists() is False


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 201),
        ("lead", 201),
        ("sales_head", 201),
        ("peer", 404),
        ("kam", 404),
        ("staff", 404),
        ("auditor", 403),
    ],
)
def test_api_renew_access(api_as: Any, org: Any, active: Contract, role: str, status: int) -> None:
    response = api_as(getattr(org, role)).post(
        f"/api/v1/contracts/{active.pk}/renew/", {}, format="json"
    )

    assert response.status_code == status
    active.refresh_from_db()
    assert active.status == ("renewed" if status == 201 else "active")
    if status != 201:
        assert "R-100" not in response.content.decode()
        assert Contract.objects.count() == 1


def test_api_renew_needs_a_signed_in_user(api: Any, active: Contract) -> None:
    assert api.post(f"/api/v1/contracts/{active.pk}/renew/", {}).status_code == 401
    assert Contract.objects.count() == 1


def test_api_sets_and_validates_the_agreement(
    api_as: Any, org: Any, account: Account, active: Contract
) -> None:
    other = AgreementFactory(account=AccountFactory(owner=org.owner, name="Far away"))
    client = api_as(org.owner)
    url = f"/api/v1/contracts/{active.pk}/"

    wrong = client.patch(url, {"agreement": other.pk, "version": active.version}, format="json")
    typed = client.patch(url, {"agreement": "frame", "version": active.version}, format="json")
    cleared = client.patch(url, {"agreement": None, "version": active.version}, format="json")

    assert wrong.status_code == 400
    assert wrong.json()["fields"] == {
        "agreement": ["Choose a key-account agreement of the client's group."]
    }
    assert typed.status_code == 400
    assert list(typed.json()["fields"]) == ["agreement"]
    assert (cleared.status_code, cleared.json()["agreement"]) == (200, None)


# --- The contract page -------------------------------------------------------------------------


def test_the_page_shows_the_agreement_and_the_links_both_ways(org: Any, active: Contract) -> None:
    successor = services.contract_renew(user=org.owner, contract=active)

    old_page = _client(org.owner).get(f"/contracts/{active.pk}/").content.decode()
    new_page = _client(org.owner).get(f"/contracts/{successor.pk}/").content.decode()

    assert "Frame 2026" in old_page
    assert f'href="/contracts/{successor.pk}/">{successor.number}</a>' in old_page
    assert f'href="/contracts/{active.pk}/">R-100</a>' in new_page
    assert 'id="contract-renew"' not in old_page
    assert 'id="contract-renew"' not in new_page


def test_the_renew_button_makes_the_successor_and_opens_it(org: Any, active: Contract) -> None:
    client = _client(org.owner)

    page = client.get(f"/contracts/{active.pk}/").content.decode()
    response = client.post(f"/contracts/{active.pk}/renew/")

    successor = Contract.objects.get(predecessor=active)
    assert 'id="contract-renew"' in page
    assert response.status_code == 302
    assert response["Location"] == f"/contracts/{successor.pk}/"


@pytest.mark.parametrize(("role", "status"), [("peer", 404), ("auditor", 302)])
def test_the_renew_button_is_refused_to_those_who_may_not(
    org: Any, active: Contract, role: str, status: int
) -> None:
    client = _client(getattr(org, role))

    response = client.post(f"/contracts/{active.pk}/renew/")

    assert response.status_code == status
    active.refresh_from_db()
    assert active.status == "active"
    assert Contract.objects.count() == 1
    if role == "auditor":
        assert 'id="contract-renew"' not in client.get(f"/contracts/{active.pk}/").content.decode()


def test_the_form_offers_the_group_agreements_and_saves_one(
    org: Any, account: Account, agreement: Agreement, active: Contract
) -> None:
    AgreementFactory(account=AccountFactory(owner=org.owner), title="Not this client's")
    client = _client(org.owner)
    form = client.get(f"/contracts/{active.pk}/edit/").content.decode()
    Contract.objects.filter(pk=active.pk).update(agreement=None)

    response = client.post(
        f"/contracts/{active.pk}/edit/",
        {
            "number": "R-100",
            "kind": "supply",
            "title": "Pumps 2026",
            "account": account.pk,
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "value": "120000.00",
            "currency": "EUR",
            "notice_period_days": "30",
            "agreement": agreement.pk,
            "version": active.version,
        },
    )

    assert "Frame 2026" in form
    assert "Not this client&#x27;s" not in form
    assert response.status_code == 302
    assert Contract.objects.get(pk=active.pk).agreement == agreement


def test_the_page_renders_the_panels_registered_for_contracts(
    org: Any, active: Contract, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = registry.Panel(
        key="test.contract_notes",
        title="Contract notes",
        model="contracts.contract",
        url_name="contracts:contract_detail",
        order=90,
    )
    monkeypatch.setitem(registry._panels, panel.key, panel)

    page = _client(org.owner).get(f"/contracts/{active.pk}/").content.decode()

    assert 'id="panel-testcontract_notes"' in page
    assert f'hx-get="/contracts/{active.pk}/"' in page
    assert "Contract notes" in page

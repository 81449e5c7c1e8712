"""Merging duplicate accounts and contacts, and the duplicates review (service, API, pages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kam.accounts import merge, selectors_duplicates
from kam.accounts.models import (
    Account,
    AccountAddress,
    AccountTeamMember,
    Contact,
    ContactConsent,
    MatchKey,
    Tag,
)
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.core import registry
from kam.core import services as core_services
from kam.core.errors import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from kam.core.roles import Role
from kam.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@dataclass
class Pair:
    survivor: Account
    loser: Account
    child: Account  # a subsidiary of the loser
    referral: Account  # referred by the loser
    kept_contact: Contact
    moved_contacts: list[Contact]


def merge_log(record: Any) -> LogEntry:
    content_type = ContentType.objects.get_for_model(type(record))
    return LogEntry.objects.filter(
        content_type=content_type,
        object_pk=str(record.pk),
        additional_data__event="merge",
    ).get()


def related_counts(account: Account) -> dict[str, int]:
    return {
        "contacts": Contact.all_objects.filter(account=account).count(),
        "team": AccountTeamMember.objects.filter(account=account).count(),
        "tags": account.tags.count(),
        "addresses": AccountAddress.objects.filter(account=account).count(),
        "subsidiaries": Account.all_objects.filter(parent=account).count(),
        "referrals": Account.all_objects.filter(referred_by=account).count(),
    }


@pytest.fixture
def pair(org: Any) -> Pair:
    """Two accounts of the owner's that are one company, each with its own attachments; they
    share a team member (peer), a tag (key) and an address kind (legal)."""
    survivor = AccountFactory(
        name="Acme GmbH",
        owner=org.owner,
        country="DE",
        tax_number="DE136695976",
        emails=["info@acme.de"],
        phones=["+4930123456"],
        credit_limit=Decimal("1000.00"),
        notes="",
    )
    loser = AccountFactory(
        name="ACME",
        owner=org.owner,
        country="DE",
        tax_number="",
        emails=["sales@acme.de", "info@acme.de"],
        phones=["+4930999999"],
        credit_limit=Decimal("5000.00"),
        industry="Machinery",
        notes="Met at Hannover Messe",
    )
    child = AccountFactory(name="Acme Polska", owner=org.owner, parent=loser)
    referral = AccountFactory(name="Beta AG", owner=org.owner, referred_by=loser)
    key, fair = Tag.objects.create(name="key"), Tag.objects.create(name="fair")
    survivor.tags.add(key)
    loser.tags.add(key, fair)
    AccountTeamMember.objects.create(account=survivor, user=org.peer, role="support")
    AccountTeamMember.objects.create(account=loser, user=org.peer, role="sales")
    AccountTeamMember.objects.create(account=loser, user=org.lead, role="sponsor")
    AccountAddress.objects.create(account=survivor, kind="legal", city="Berlin")
    AccountAddress.objects.create(account=loser, kind="legal", city="Hamburg")
    AccountAddress.objects.create(account=loser, kind="postal", city="Hamburg")
    kept_contact = ContactFactory(account=survivor, last_name="Schmidt")
    moved = [
        ContactFactory(account=loser, last_name="Meyer"),
        ContactFactory(account=loser, last_name="Braun"),
    ]
    core_services.soft_delete(instance=moved[1], user=org.owner)
    MatchKey.objects.create(kind="tax", value="DE136695976", account=survivor)
    MatchKey.objects.create(kind="email", value="info@acme.de", account=survivor)
    MatchKey.objects.create(kind="email", value="info@acme.de", account=loser)
    MatchKey.objects.create(kind="name", value="acme", account=loser)
    return Pair(survivor, loser, child, referral, kept_contact, moved)


def do_merge(user: Any, pair: Pair, **choices: str) -> Account:
    return merge.account_merge(
        user=user, survivor=pair.survivor, loser=pair.loser, field_choices=choices
    )


# -- what moves -------------------------------------------------------------------------------


def test_every_related_row_moves_and_the_counts_add_up(org: Any, pair: Pair) -> None:
    before_survivor, before_loser = related_counts(pair.survivor), related_counts(pair.loser)
    shared = {"team": 1, "tags": 1, "addresses": 1}  # the same member, tag and address kind

    do_merge(org.owner, pair)

    after = related_counts(pair.survivor)
    expected = {
        name: before_survivor[name] + before_loser[name] - shared.get(name, 0)
        for name in before_survivor
    }
    assert (
        after
        == expected
        == {
            "contacts": 3,
            "team": 2,
            "tags": 2,
            "addresses": 2,
            "subsidiaries": 1,
            "referrals": 1,
        }
    )
    assert related_counts(Account.all_objects.get(pk=pair.loser.pk)) == dict.fromkeys(after, 0)


def test_every_link_found_by_relation_metadata_is_empty_on_the_loser(org: Any, pair: Pair) -> None:
    links = merge.relation_links(Account)
    assert {link.key for link in links} >= {
        "accounts.contact.account",
        "accounts.accountteammember.account",
        "accounts.accountaddress.account",
        "accounts.account_tags.account",
        "accounts.account.parent",
        "accounts.account.referred_by",
        "accounts.matchkey.account",
    }

    do_merge(org.owner, pair)

    assert {link.key: link.rows(pair.loser).count() for link in links} == {
        link.key: 0 for link in links
    }


def test_moved_rows_get_a_new_version_so_open_editors_see_the_change(org: Any, pair: Pair) -> None:
    contact, child = pair.moved_contacts[0], pair.child

    do_merge(org.owner, pair)

    assert Contact.objects.get(pk=contact.pk).version == contact.version + 1
    assert Account.objects.get(pk=child.pk).version == child.version + 1
    assert Account.objects.get(pk=child.pk).parent_id == pair.survivor.pk


def test_unique_collisions_keep_the_survivors_row_and_record_the_losers(
    org: Any, pair: Pair
) -> None:
    do_merge(org.owner, pair)

    team = dict(
        AccountTeamMember.objects.filter(account=pair.survivor).values_list("user_id", "role")
    )
    addresses = dict(
        AccountAddress.objects.filter(account=pair.survivor).values_list("kind", "city")
    )
    assert team == {org.peer.pk: "support", org.lead.pk: "sponsor"}
    assert addresses == {"legal": "Berlin", "postal": "Hamburg"}
    assert sorted(pair.survivor.tags.values_list("name", flat=True)) == ["fair", "key"]
    dropped = merge_log(pair.loser).additional_data["dropped"]
    assert [row["role"] for row in dropped["accounts.accountteammember.account"]] == ["sales"]
    assert [row["city"] for row in dropped["accounts.accountaddress.account"]] == ["Hamburg"]
    assert len(dropped["accounts.account_tags.account"]) == 1


def test_match_keys_are_dropped_for_the_loser_and_rebuilt_for_the_survivor(
    org: Any, pair: Pair
) -> None:
    do_merge(org.owner, pair, emails="union")

    assert MatchKey.objects.filter(account=pair.loser).count() == 0
    survivor_keys = set(MatchKey.objects.filter(account=pair.survivor).values_list("kind", "value"))
    assert {("email", "info@acme.de"), ("email", "sales@acme.de")} <= survivor_keys
    moved = pair.moved_contacts[0]
    name_keys = MatchKey.objects.filter(contact=moved, kind="name").values_list("value", flat=True)
    assert [value.split(":")[0] for value in name_keys] == [str(pair.survivor.pk)]


# -- field choices and audit ------------------------------------------------------------------


def test_field_choices_are_applied_and_audited_old_to_new(org: Any, pair: Pair) -> None:
    merged = do_merge(
        org.owner, pair, name="loser", industry="loser", emails="union", phones="survivor"
    )

    merged.refresh_from_db()
    assert merged.name == "ACME"
    assert merged.industry == "Machinery"
    assert merged.emails == ["info@acme.de", "sales@acme.de"]
    assert merged.phones == ["+4930123456"]
    assert merged.tax_number == "DE136695976"  # not chosen: the survivor's
    assert merged.name_key == "acme"
    content_type = ContentType.objects.get_for_model(Account)
    update = LogEntry.objects.filter(
        content_type=content_type, object_pk=str(merged.pk), changes__has_key="name"
    ).latest("pk")
    assert update.changes_dict["name"] == ["Acme GmbH", "ACME"]
    assert update.actor == org.owner


def test_nothing_of_the_loser_is_unrecoverable(org: Any, pair: Pair) -> None:
    loser = pair.loser
    do_merge(org.owner, pair, name="loser")

    entry = merge_log(loser)
    data = entry.additional_data
    assert entry.actor == org.owner
    assert data["event"] == "merge"
    assert data["into"] == pair.survivor.pk
    values = data["values"]
    assert values["name"] == "ACME"
    assert values["notes"] == "Met at Hannover Messe"
    assert values["credit_limit"] == "5000.00"
    assert values["emails"] == ["sales@acme.de", "info@acme.de"]
    assert values["owner_id"] == org.owner.pk
    assert sorted(data["moved"]["accounts.contact.account"]) == sorted(
        c.pk for c in pair.moved_contacts
    )
    assert data["moved"]["accounts.account.parent"] == [pair.child.pk]
    assert data["moved"]["accounts.account.referred_by"] == [pair.referral.pk]
    assert merge_log(pair.survivor).additional_data["from"] == loser.pk

    trashed = Account.all_objects.get(pk=loser.pk)
    assert trashed.deleted_at is not None
    restored = core_services.restore(instance=trashed, user=org.owner)
    assert (restored.name, restored.notes, restored.credit_limit) == (
        "ACME",
        "Met at Hannover Messe",
        Decimal("5000.00"),
    )


def test_the_audit_keeps_the_losers_many_to_many_values(org: Any, pair: Pair) -> None:
    tag_ids = sorted(pair.loser.tags.values_list("pk", flat=True))
    member_ids = sorted(pair.loser.team_members.values_list("pk", flat=True))

    do_merge(org.owner, pair)

    values = merge_log(pair.loser).additional_data["values"]
    assert sorted(values["tags"]) == tag_ids
    assert sorted(values["team_members"]) == member_ids


def test_unknown_fields_and_choices_are_refused_naming_the_field(org: Any, pair: Pair) -> None:
    with pytest.raises(ApplicationError) as refused:
        do_merge(org.owner, pair, nosuch="loser", name="union", emails="both")

    assert set(refused.value.fields) == {"nosuch", "name", "emails"}
    assert Account.objects.filter(pk=pair.loser.pk).exists()


def test_a_referral_by_the_duplicate_itself_is_cleared(org: Any, pair: Pair) -> None:
    pair.survivor.referred_by = pair.loser
    pair.survivor.save()

    merged = do_merge(org.owner, pair)

    assert Account.objects.get(pk=merged.pk).referred_by_id is None
    assert merge_log(pair.loser).additional_data["cleared"] == {"referred_by": pair.loser.pk}


# -- refusals ---------------------------------------------------------------------------------


def test_a_record_cannot_be_merged_into_itself(org: Any, pair: Pair) -> None:
    with pytest.raises(ApplicationError, match="into itself"):
        merge.account_merge(
            user=org.owner, survivor=pair.survivor, loser=pair.survivor, field_choices={}
        )


def test_merging_with_a_record_in_the_trash_is_refused_clearly(org: Any, pair: Pair) -> None:
    core_services.soft_delete(instance=pair.loser, user=org.owner)

    with pytest.raises(ApplicationError, match="is in the trash; restore it before merging"):
        do_merge(org.owner, pair)

    assert Contact.objects.filter(account=pair.loser).count() == 1


@pytest.mark.parametrize("depth", [1, 2])
def test_a_parent_and_its_subsidiary_cannot_be_merged(org: Any, pair: Pair, depth: int) -> None:
    grandchild = AccountFactory(owner=org.owner, parent=pair.child)
    below = pair.child if depth == 1 else grandchild

    for survivor, loser in ((pair.loser, below), (below, pair.loser)):
        with pytest.raises(ApplicationError, match="one group line"):
            merge.account_merge(user=org.owner, survivor=survivor, loser=loser, field_choices={})

    assert Account.objects.get(pk=pair.child.pk).parent_id == pair.loser.pk


def test_taking_the_losers_parent_needs_the_right_to_change_that_parent(
    org: Any, pair: Pair
) -> None:
    pair.loser.parent = AccountFactory(owner=org.other, name="Foreign Holding")
    pair.loser.save()

    with pytest.raises(NotFoundError):
        do_merge(org.owner, pair, parent="loser")
    merged = do_merge(org.sales_head, pair, parent="loser")

    assert Account.objects.get(pk=merged.pk).parent == pair.loser.parent


def test_a_stale_version_is_a_conflict_and_nothing_changes(org: Any, pair: Pair) -> None:
    core_services.versioned_update(
        instance=pair.loser, expected_version=1, changes={"notes": "newer"}, user=org.owner
    )

    with pytest.raises(ConflictError) as conflict:
        merge.account_merge(
            user=org.owner,
            survivor=pair.survivor,
            loser=pair.loser,
            field_choices={"notes": "loser"},
            expected_versions={"survivor": 1, "loser": 1},
        )

    assert conflict.value.extra["loser_version"] == 2
    assert Account.objects.get(pk=pair.survivor.pk).notes == ""
    assert Contact.objects.filter(account=pair.loser).count() == 1


# -- access -----------------------------------------------------------------------------------


def test_another_manager_gets_not_found_and_nothing_changes(org: Any, pair: Pair) -> None:
    before = related_counts(pair.survivor), related_counts(pair.loser)

    with pytest.raises(NotFoundError):
        do_merge(org.other, pair)

    assert (related_counts(pair.survivor), related_counts(pair.loser)) == before
    assert Account.objects.filter(pk=pair.loser.pk).exists()


def test_a_loser_the_user_may_not_see_is_not_found(org: Any, pair: Pair) -> None:
    foreign = AccountFactory(owner=org.other)

    with pytest.raises(NotFoundError):
        merge.account_merge(user=org.owner, survivor=pair.survivor, loser=foreign, field_choices={})

    assert Account.objects.filter(pk=foreign.pk).exists()


def test_the_auditor_may_not_merge(org: Any, pair: Pair) -> None:
    with pytest.raises(PermissionDeniedError):
        do_merge(org.auditor, pair)

    assert Account.objects.filter(pk=pair.loser.pk).exists()


def test_the_head_of_sales_merges_accounts_of_two_owners_and_may_pick_the_owner(
    org: Any, pair: Pair
) -> None:
    pair.loser.owner = org.other
    pair.loser.save()

    merged = do_merge(org.sales_head, pair, owner="loser")

    assert Account.objects.get(pk=merged.pk).owner == org.other
    assert Account.all_objects.get(pk=pair.loser.pk).deleted_by == org.sales_head


def test_only_those_who_change_every_account_may_take_the_losers_owner(
    org: Any, pair: Pair
) -> None:
    shared = AccountFactory(owner=org.peer)
    AccountTeamMember.objects.create(account=shared, user=org.owner)

    with pytest.raises(PermissionDeniedError):
        merge.account_merge(
            user=org.owner,
            survivor=pair.survivor,
            loser=shared,
            field_choices={"owner": "loser"},
        )


def test_a_user_who_may_not_see_confidential_fields_cannot_choose_them(org: Any) -> None:
    agent = UserFactory(role=Role.SERVICE_AGENT)
    survivor = AccountFactory(owner=agent, credit_limit=Decimal(1))
    loser = AccountFactory(owner=agent, credit_limit=Decimal(2))

    with pytest.raises(PermissionDeniedError):
        merge.account_merge(
            user=agent, survivor=survivor, loser=loser, field_choices={"credit_limit": "loser"}
        )
    merged = merge.account_merge(user=agent, survivor=survivor, loser=loser, field_choices={})

    assert Account.objects.get(pk=merged.pk).credit_limit == Decimal(1)
    assert merge_log(loser).additional_data["values"]["credit_limit"] == "2.00"


# -- contacts ---------------------------------------------------------------------------------


def test_contact_merge_moves_consents_keeping_the_latest_statement_per_channel(
    org: Any,
) -> None:
    account = AccountFactory(owner=org.owner)
    survivor = ContactFactory(account=account, emails=["a@x.de"], job_title="CEO")
    loser = ContactFactory(account=account, emails=["b@x.de"], job_title="")
    now = timezone.now()
    ContactConsent.objects.create(
        contact=survivor, channel="email", is_granted=True, given_at=now - timedelta(days=300)
    )
    ContactConsent.objects.create(
        contact=loser, channel="email", is_granted=False, given_at=now, how="unsubscribe link"
    )
    ContactConsent.objects.create(
        contact=loser, channel="phone", is_granted=True, given_at=now, how="call"
    )
    MatchKey.objects.create(kind="email", value="b@x.de", contact=loser)

    merged = merge.contact_merge(
        user=org.owner,
        survivor=survivor,
        loser=loser,
        field_choices={"emails": "union", "job_title": "survivor"},
        expected_versions={"survivor": 1, "loser": 1},
    )

    consents = {
        c.channel: (c.is_granted, c.how) for c in ContactConsent.objects.filter(contact=merged)
    }
    assert consents == {"email": (False, "unsubscribe link"), "phone": (True, "call")}
    assert Contact.objects.get(pk=merged.pk).emails == ["a@x.de", "b@x.de"]
    assert Contact.all_objects.get(pk=loser.pk).deleted_at is not None
    assert MatchKey.objects.filter(contact=loser).count() == 0
    assert set(MatchKey.objects.filter(contact=merged, kind="email").values_list("value")) == {
        ("a@x.de",),
        ("b@x.de",),
    }
    dropped = merge_log(loser).additional_data["dropped"]["accounts.contactconsent.contact"]
    assert [row["how"] for row in dropped] == ["unsubscribe link"]


def test_contact_merge_may_take_the_losers_account(org: Any) -> None:
    survivor = ContactFactory(account=AccountFactory(owner=org.owner))
    loser = ContactFactory(account=AccountFactory(owner=org.owner))

    merged = merge.contact_merge(
        user=org.owner, survivor=survivor, loser=loser, field_choices={"account": "loser"}
    )

    assert Contact.objects.get(pk=merged.pk).account_id == loser.account_id


def test_contact_merge_needs_the_right_to_change_both(org: Any) -> None:
    mine = ContactFactory(account=AccountFactory(owner=org.owner))
    theirs = ContactFactory(account=AccountFactory(owner=org.other))

    with pytest.raises(NotFoundError):
        merge.contact_merge(user=org.owner, survivor=mine, loser=theirs, field_choices={})
    with pytest.raises(PermissionDeniedError):
        merge.contact_merge(user=org.auditor, survivor=mine, loser=theirs, field_choices={})

    assert Contact.objects.filter(pk__in=[mine.pk, theirs.pk]).count() == 2


def test_contacts_of_an_account_in_the_trash_are_not_merged(org: Any) -> None:
    survivor = ContactFactory(account=AccountFactory(owner=org.owner))
    loser = ContactFactory(account=AccountFactory(owner=org.owner))
    core_services.soft_delete(instance=loser.account, user=org.owner)

    with pytest.raises(ApplicationError, match="is in the trash"):
        merge.contact_merge(user=org.owner, survivor=survivor, loser=loser, field_choices={})


# -- cost -------------------------------------------------------------------------------------


def test_a_merge_costs_the_same_number_of_queries_whatever_the_number_of_rows(
    org: Any,
) -> None:
    def queries(contacts: int) -> int:
        survivor, loser = AccountFactory(owner=org.owner), AccountFactory(owner=org.owner)
        ContactFactory.create_batch(contacts, account=loser)
        with CaptureQueriesContext(connection) as captured:
            merge.account_merge(user=org.owner, survivor=survivor, loser=loser, field_choices={})
        return len(captured)

    queries(1)  # warms the content-type cache
    # At most two statements per link that points at accounts (apps above add links), plus a
    # fixed core (locks, the survivor's save, audit, match keys), plus the apps' merge hooks
    # (each recomputes one account's figures: a few statements, whatever the rows).
    hooks = len(registry.account_merge_hooks())
    ceiling = 14 + 2 * len(merge.relation_links(Account)) + 7 * hooks
    assert queries(2) == queries(40) <= ceiling


# -- duplicates review ------------------------------------------------------------------------


def keys(account: Any, **values: str) -> None:
    for kind, value in values.items():
        if isinstance(account, Contact):
            MatchKey.objects.create(kind=kind, value=value, contact=account)
        else:
            MatchKey.objects.create(kind=kind, value=value, account=account)


def test_duplicate_pairs_are_ranked_by_the_keys_they_share(org: Any) -> None:
    a, b, c, d = (AccountFactory(owner=org.owner) for _ in range(4))
    keys(a, tax="DE1", name="acme")
    keys(b, tax="DE1", name="acme")
    keys(c, name="acme")
    keys(d, name="other")

    pairs = list(selectors_duplicates.duplicate_pairs(user=org.owner))

    assert [(p.first.pk, p.second.pk, p.matched_on, p.score) for p in pairs] == [
        (a.pk, b.pk, ("tax", "name"), 99),
        (a.pk, c.pk, ("name",), 85),
        (b.pk, c.pk, ("name",), 85),
    ]
    assert all(p.can_merge for p in pairs)


def test_duplicate_pairs_only_hold_what_the_user_may_see(org: Any) -> None:
    mine, theirs, trashed = (
        AccountFactory(owner=org.owner),
        AccountFactory(owner=org.other),
        AccountFactory(owner=org.owner),
    )
    mine_too = AccountFactory(owner=org.owner)
    for account in (mine, theirs, trashed, mine_too):
        keys(account, domain="acme.de")
    core_services.soft_delete(instance=trashed, user=org.owner)

    owner_pairs = selectors_duplicates.duplicate_pairs(user=org.owner)
    head_pairs = selectors_duplicates.duplicate_pairs(user=org.sales_head)
    auditor_pairs = list(selectors_duplicates.duplicate_pairs(user=org.auditor))

    assert [(p.first.pk, p.second.pk) for p in owner_pairs] == [(mine.pk, mine_too.pk)]
    assert owner_pairs.count() == 1
    assert head_pairs.count() == 3
    assert len(auditor_pairs) == 3
    assert not any(p.can_merge for p in auditor_pairs)


def test_someone_who_sees_nothing_gets_no_pairs(org: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    first, second = AccountFactory(owner=org.owner), AccountFactory(owner=org.owner)
    keys(first, tax="DE1")
    keys(second, tax="DE1")

    pairs = selectors_duplicates.duplicate_pairs(user=AnonymousUser())

    assert (pairs.count(), pairs[0:10]) == (0, [])


def test_keys_shared_by_too_many_records_are_not_evidence(org: Any) -> None:
    accounts = AccountFactory.create_batch(selectors_duplicates.MAX_GROUP_SIZE + 1, owner=org.owner)
    for account in accounts:
        keys(account, phone="+498001234")

    assert selectors_duplicates.duplicate_pairs(user=org.owner).count() == 0


def test_duplicate_contact_pairs(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    first, second = ContactFactory(account=account), ContactFactory(account=account)
    keys(first, email="ivan@acme.de")
    keys(second, email="ivan@acme.de")

    pairs = list(selectors_duplicates.duplicate_pairs(user=org.owner, target="contacts"))
    client.force_login(org.owner)
    page = client.get("/accounts/duplicates/?target=contacts").content.decode()

    assert [(p.first, p.second, p.matched_on, p.score) for p in pairs] == [
        (first, second, ("email",), 95)
    ]
    assert selectors_duplicates.duplicate_pairs(user=org.other, target="contacts").count() == 0
    assert first.full_name in page
    assert f"/contacts/{first.pk}/merge/{second.pk}/" in page


def test_a_page_of_pairs_costs_constant_queries(
    org: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        first, second = AccountFactory(owner=org.owner), AccountFactory(owner=org.owner)
        keys(first, tax=f"DE{n}")
        keys(second, tax=f"DE{n}")
    pairs = selectors_duplicates.duplicate_pairs(user=org.owner)
    paginator = selectors_duplicates.PairPaginator(pairs, 10)

    with django_assert_max_num_queries(
        4
    ):  # the user's teams, the page and its total, records, rights
        page = paginator.get_page(2)
    past_the_end = selectors_duplicates.PairPaginator(pairs, 10).get_page(9)

    assert (len(page), paginator.count, page.has_next()) == (10, 30, True)
    assert (past_the_end.number, len(past_the_end)) == (3, 10)
    assert pairs[25:] == pairs[25:40]
    assert len(list(pairs)) == 30


# -- API --------------------------------------------------------------------------------------


def merge_body(pair: Pair, **fields: str) -> dict[str, Any]:
    return {
        "loser": pair.loser.pk,
        "fields": fields,
        "version": pair.survivor.version,
        "loser_version": pair.loser.version,
    }


def test_api_merge_answers_the_survivor(
    api_as: Any, org: Any, pair: Pair, django_assert_max_num_queries: Any
) -> None:
    # The bound grows with the number of tables pointing at accounts and contacts (every app
    # adds some: deals, activities...), never with the number of rows.
    with django_assert_max_num_queries(105):
        response = api_as(org.owner).post(
            f"/api/v1/accounts/{pair.survivor.pk}/merge/",
            merge_body(pair, name="loser", emails="union"),
        )

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"], body["emails"]) == (
        pair.survivor.pk,
        "ACME",
        ["info@acme.de", "sales@acme.de"],
    )
    assert response["ETag"] == f'"{body["version"]}"'
    assert Account.all_objects.get(pk=pair.loser.pk).deleted_at is not None


def test_api_merge_refusals_are_400_with_the_reason(api_as: Any, org: Any, pair: Pair) -> None:
    client = api_as(org.owner)
    url = f"/api/v1/accounts/{pair.loser.pk}/merge/"
    body = {"loser": pair.child.pk, "version": pair.loser.version, "loser_version": 1}

    one_line = client.post(url, body)
    itself = client.post(url, {**body, "loser": pair.loser.pk})
    core_services.soft_delete(instance=pair.child, user=org.owner)
    trashed = client.post(url, body)

    assert (one_line.status_code, one_line.json()["code"]) == (400, "merge_refused")
    assert "one group line" in one_line.json()["detail"]
    assert "into itself" in itself.json()["detail"]
    assert "is in the trash" in trashed.json()["detail"]


def test_api_merge_access_matrix(api_as: Any, api: Any, org: Any, pair: Pair) -> None:
    url = f"/api/v1/accounts/{pair.survivor.pk}/merge/"
    body = merge_body(pair)

    assert api.post(url, body).status_code in (401, 403)
    assert api_as(org.other).post(url, body).status_code == 404
    assert api_as(org.auditor).post(url, body).status_code == 403
    assert api_as(org.lead).post(url, body).status_code == 200  # leads the owner's team

    assert Account.all_objects.get(pk=pair.loser.pk).deleted_by == org.lead


def test_api_merge_with_an_invisible_loser_is_not_found_and_changes_nothing(
    api_as: Any, org: Any, pair: Pair
) -> None:
    foreign = AccountFactory(owner=org.other)
    body = {**merge_body(pair), "loser": foreign.pk}

    response = api_as(org.owner).post(f"/api/v1/accounts/{pair.survivor.pk}/merge/", body)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert Account.objects.get(pk=foreign.pk).version == foreign.version


def test_api_merge_stale_is_409_and_missing_versions_428(api_as: Any, org: Any, pair: Pair) -> None:
    url = f"/api/v1/accounts/{pair.survivor.pk}/merge/"
    client = api_as(org.owner)

    stale = client.post(url, {**merge_body(pair), "loser_version": pair.loser.version + 5})
    missing = client.post(url, {"loser": pair.loser.pk, "version": 1})

    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    assert stale.json()["loser_version"] == pair.loser.version
    assert missing.status_code == 428
    assert Account.objects.filter(pk=pair.loser.pk).exists()


def test_api_merge_bad_choices_are_400_naming_the_field(api_as: Any, org: Any, pair: Pair) -> None:
    url = f"/api/v1/accounts/{pair.survivor.pk}/merge/"

    bad_choice = api_as(org.owner).post(url, merge_body(pair, name="both"))
    unknown = api_as(org.owner).post(url, merge_body(pair, nosuch="loser"))
    union = api_as(org.owner).post(url, merge_body(pair, name="union"))

    assert bad_choice.status_code == 400
    assert "fields" in bad_choice.json()["fields"]
    assert unknown.status_code == 400
    assert list(unknown.json()["fields"]) == ["nosuch"]
    assert union.status_code == 400
    assert list(union.json()["fields"]) == ["name"]


def test_api_contact_merge(api_as: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    survivor, loser = ContactFactory(account=account), ContactFactory(account=account)

    response = api_as(org.owner).post(
        f"/api/v1/contacts/{survivor.pk}/merge/",
        {"loser": loser.pk, "fields": {"last_name": "loser"}, "version": 1, "loser_version": 1},
    )
    other = api_as(org.other).post(
        f"/api/v1/contacts/{survivor.pk}/merge/",
        {"loser": loser.pk, "version": 1, "loser_version": 1},
    )

    assert response.status_code == 200
    assert response.json()["last_name"] == loser.last_name
    assert other.status_code == 404


def test_api_duplicate_pairs(api_as: Any, org: Any, django_assert_max_num_queries: Any) -> None:
    first, second = AccountFactory(owner=org.owner), AccountFactory(owner=org.owner)
    keys(first, tax="DE1")
    keys(second, tax="DE1")
    client = api_as(org.owner)

    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/duplicate-pairs/?target=accounts")
    bad = client.get("/api/v1/duplicate-pairs/?target=deals")
    others = api_as(org.other).get("/api/v1/duplicate-pairs/")

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.json()["results"][0] == {
        "first": {"id": first.pk, "name": first.name, "version": 1, "owner": org.owner.pk},
        "second": {"id": second.pk, "name": second.name, "version": 1, "owner": org.owner.pk},
        "score": 95,
        "matched_on": ["tax"],
        "can_merge": True,
    }
    assert bad.status_code == 400
    assert list(bad.json()["fields"]) == ["target"]
    assert others.json()["count"] == 0


# -- pages ------------------------------------------------------------------------------------


def test_duplicates_page_lists_pairs_with_a_merge_link(
    client: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    first, second = AccountFactory(owner=org.owner), AccountFactory(owner=org.owner)
    keys(first, tax="DE1")
    keys(second, tax="DE1")
    client.force_login(org.owner)

    with django_assert_max_num_queries(12):
        page = client.get("/accounts/duplicates/").content.decode()
    contacts_page = client.get("/accounts/duplicates/?target=contacts").content.decode()

    assert first.name in page
    assert second.name in page
    assert f"/accounts/{first.pk}/merge/{second.pk}/" in page
    assert "95%" in page
    assert "No likely duplicates" in contacts_page


def test_merge_page_shows_both_records_side_by_side(client: Any, org: Any, pair: Pair) -> None:
    client.force_login(org.owner)

    response = client.get(f"/accounts/{pair.survivor.pk}/merge/{pair.loser.pk}/")
    page = response.content.decode()

    assert response.status_code == 200
    assert 'name="field_name" id="field_name-survivor" value="survivor" checked' in page
    assert 'id="field_name-loser" value="loser" >' in page
    assert 'id="field_emails-union"' in page
    assert 'name="field_tax_number"' in page
    assert 'name="field_kind"' not in page  # the same in both: no choice to make
    assert "Contacts: <strong>2</strong>" in page
    assert "Subsidiaries: <strong>1</strong>" in page
    assert f'name="loser_version" value="{pair.loser.version}"' in page


def test_merge_page_merges_with_the_chosen_values(client: Any, org: Any, pair: Pair) -> None:
    client.force_login(org.owner)
    url = f"/accounts/{pair.survivor.pk}/merge/{pair.loser.pk}/"

    response = client.post(
        url,
        {"version": 1, "loser_version": 1, "field_name": "loser", "field_emails": "union"},
        follow=True,
    )

    merged = Account.objects.get(pk=pair.survivor.pk)
    assert response.redirect_chain[-1][0] == f"/accounts/{merged.pk}/"
    assert "Merged “ACME” into “ACME”." in response.content.decode()
    assert (merged.name, merged.emails) == ("ACME", ["info@acme.de", "sales@acme.de"])
    assert Account.all_objects.get(pk=pair.loser.pk).deleted_at is not None


def test_merge_page_reports_a_stale_form_and_changes_nothing(
    client: Any, org: Any, pair: Pair
) -> None:
    client.force_login(org.owner)
    core_services.versioned_update(
        instance=pair.loser, expected_version=1, changes={"notes": "newer"}, user=org.owner
    )

    response = client.post(
        f"/accounts/{pair.survivor.pk}/merge/{pair.loser.pk}/",
        {"version": 1, "loser_version": 1, "field_notes": "loser"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "changed by someone else" in page
    assert 'name="loser_version" value="2"' in page
    assert "newer" in page
    assert Account.objects.filter(pk=pair.loser.pk).exists()


def test_merge_page_access_matrix(client: Any, org: Any, pair: Pair) -> None:
    url = f"/accounts/{pair.survivor.pk}/merge/{pair.loser.pk}/"
    body = {"version": 1, "loser_version": 1}

    assert client.get(url).status_code == 302  # to the login page
    client.force_login(org.other)
    assert client.get(url).status_code == 404
    assert client.post(url, body).status_code == 404
    client.force_login(org.auditor)
    assert client.get(url).status_code == 403
    assert client.post(url, body).status_code == 403
    client.force_login(org.sales_head)
    assert client.get(url).status_code == 200

    assert Account.objects.filter(pk=pair.loser.pk).exists()


def test_merge_page_of_a_record_in_the_trash_says_so(client: Any, org: Any, pair: Pair) -> None:
    core_services.soft_delete(instance=pair.loser, user=org.owner)
    client.force_login(org.owner)

    response = client.get(f"/accounts/{pair.survivor.pk}/merge/{pair.loser.pk}/", follow=True)

    assert "is in the trash; restore it before merging" in response.content.decode()


def test_contact_merge_page(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    survivor = ContactFactory(account=account, job_title="CEO")
    loser = ContactFactory(account=account, job_title="Director")
    client.force_login(org.owner)
    url = f"/contacts/{survivor.pk}/merge/{loser.pk}/"

    page = client.get(url).content.decode()
    response = client.post(url, {"version": 1, "loser_version": 1, "field_job_title": "loser"})

    assert "Merge two contacts" in page
    assert 'name="field_job_title"' in page
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/{account.pk}/#contact-{survivor.pk}"
    assert Contact.objects.get(pk=survivor.pk).job_title == "Director"
    assert Contact.all_objects.get(pk=loser.pk).deleted_at is not None


def test_merge_page_costs_bounded_queries(
    client: Any, org: Any, pair: Pair, django_assert_max_num_queries: Any
) -> None:
    client.force_login(org.owner)
    # One count per link that points at accounts (what the merge would move: apps above add
    # links), plus the page's fixed cost; not one query per related row.
    ceiling = 8 + len(merge.relation_links(Account))

    with django_assert_max_num_queries(ceiling):
        client.get(f"/accounts/{pair.survivor.pk}/merge/{pair.loser.pk}/")

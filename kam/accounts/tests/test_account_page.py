"""The 360° account page: the timeline, registered panels, key facts, team, addresses and tags
edited in place, with the version check and the access rule."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.shortcuts import resolve_url
from django.utils import timezone

from kam.accounts import services
from kam.accounts.models import Account, AccountAddress, AccountTeamMember
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.core import registry

pytestmark = pytest.mark.django_db


def _history(account: Account, size: int) -> None:
    """`size` audit entries on the account, one minute apart, the newest a minute ago."""
    now = timezone.now()
    LogEntry.objects.bulk_create(
        LogEntry(
            content_type_id=ContentType.objects.get_for_model(Account).pk,
            object_pk=str(account.pk),
            object_id=account.pk,
            object_repr=account.name,
            action=LogEntry.Action.UPDATE,
            changes={"industry": [f"v{n}", f"v{n + 1}"]},
            timestamp=now - timedelta(minutes=size - n),
        )
        for n in range(size)
    )


# --- timeline ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [5, 200])
def test_account_page_costs_constant_queries_whatever_the_history(
    client: Any, org: Any, django_assert_max_num_queries: Any, size: int
) -> None:
    account = AccountFactory(owner=org.owner)
    account.team_members.add(org.peer)
    for _n in range(5):
        ContactFactory(account=account)
    _history(account, size)
    client.force_login(org.owner)

    # One query per registered timeline source (outreach's campaign responses included).
    with django_assert_max_num_queries(25):
        response = client.get(f"/accounts/{account.pk}/")

    entries = response.context["entries"]
    # Also history: the account's creation, its team member, its five contacts' creation.
    assert len(entries) == min(size + 7, 20)
    assert entries == sorted(entries, key=lambda e: e.when, reverse=True)


def test_timeline_pages_through_the_whole_history_without_gaps_or_repeats(
    client: Any, org: Any
) -> None:
    account = AccountFactory(owner=org.owner)
    _history(account, 45)
    client.force_login(org.owner)

    seen: list[str] = []
    page = client.get(f"/accounts/{account.pk}/").content.decode()
    seen += re.findall(r"industry: (v\d+) →", page)
    while match := re.search(r'hx-get="(/accounts/\d+/timeline/\?before=[^"]+)"', page):
        page = client.get(match.group(1).replace("&amp;", "&")).content.decode()
        seen += re.findall(r"industry: (v\d+) →", page)

    assert seen == [f"v{n}" for n in reversed(range(45))]


def test_timeline_shows_contacts_changes_and_links_them(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    contact = services.contact_create(
        user=org.owner, data={"account": account, "last_name": "Ivanova", "job_title": "CFO"}
    )
    services.contact_update(
        user=org.owner, contact=contact, expected_version=1, data={"job_title": "CEO"}
    )
    client.force_login(org.owner)

    entries = client.get(f"/accounts/{account.pk}/").context["entries"]

    changed, created = entries[0], entries[1]
    assert changed.title == "Contact “Ivanova” changed"
    assert changed.detail == "job title: CFO → CEO"
    assert changed.actor == str(org.owner)
    assert changed.url == f"/contacts/{contact.pk}/"
    assert created.title == "Contact “Ivanova” created"


def test_timeline_masks_confidential_changes_for_those_without_the_permission(
    client: Any, org: Any
) -> None:
    account = services.account_create(
        user=org.sales_head, data={"name": "Vault", "owner": org.owner}
    )
    services.account_update(
        user=org.sales_head,
        account=account,
        expected_version=1,
        data={"credit_limit": "918273.64", "industry": "Banks"},
    )
    account.team_members.add(org.marketing)

    client.force_login(org.marketing)
    page = client.get(f"/accounts/{account.pk}/").content.decode()
    client.force_login(org.sales_head)
    head_page = client.get(f"/accounts/{account.pk}/").content.decode()

    assert "918273" not in page
    assert "918,273" not in page
    assert "industry: — → Banks; confidential fields changed" in page
    assert "credit limit: — → 918273.64" in head_page


def test_timeline_page_is_404_for_those_who_may_not_see_the_account(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    _history(account, 3)
    before = f"{timezone.now().isoformat()}|accounts.audit|1"
    client.force_login(org.other)

    response = client.get(f"/accounts/{account.pk}/timeline/", {"before": before})

    assert response.status_code == 404
    assert b"industry" not in response.content


def test_timeline_page_refuses_a_bad_cursor(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    client.force_login(org.owner)

    for bad in ("yesterday", timezone.now().isoformat(), "2026-01-01T00:00:00|x|1", "a|b|c"):
        response = client.get(f"/accounts/{account.pk}/timeline/", {"before": bad})
        assert response.status_code == 400, bad


def test_timeline_merges_sources_registered_by_other_apps(
    client: Any, org: Any, monkeypatch: Any
) -> None:
    account = AccountFactory(owner=org.owner)
    _history(account, 2)
    later = timezone.now() + timedelta(minutes=1)

    def deals(user: Any, acc: Any, before: Any, limit: int) -> list[registry.TimelineEntry]:
        return [registry.TimelineEntry(when=later, kind="deal", title="Deal won", pk=1)]

    monkeypatch.setitem(registry._timeline_sources, "test.deals", deals)
    client.force_login(org.owner)

    entries = client.get(f"/accounts/{account.pk}/").context["entries"]

    assert [e.title for e in entries] == [
        "Deal won",
        f"Account “{account.name}” created",
        f"Account “{account.name}” changed",
        f"Account “{account.name}” changed",
    ]


# --- panels -----------------------------------------------------------------------------------


def test_account_page_loads_each_registered_panel_lazily(
    client: Any, org: Any, monkeypatch: Any
) -> None:
    account = AccountFactory(owner=org.owner)
    shown = registry.Panel(
        key="test.deals",
        title="Open deals",
        model="accounts.account",
        url_name="accounts:account_timeline",
    )
    for_heads = registry.Panel(
        key="test.secret",
        title="Head only",
        model="accounts.account",
        url_name="accounts:account_timeline",
        visible=lambda user: user.role == "sales_head",
    )
    elsewhere = registry.Panel(
        key="test.other", title="On deals", model="sales.deal", url_name="accounts:account_detail"
    )
    for panel in (shown, for_heads, elsewhere):
        monkeypatch.setitem(registry._panels, panel.key, panel)
    client.force_login(org.owner)

    page = client.get(f"/accounts/{account.pk}/").content.decode()

    assert "Open deals" in page
    assert f'hx-get="/accounts/{account.pk}/timeline/" hx-trigger="load"' in page
    assert "Head only" not in page
    assert "On deals" not in page


# --- key facts in place -------------------------------------------------------------------------


def test_fact_edit_form_then_save_rerenders_the_fact_and_audits(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner, tier="standard")
    client.force_login(org.owner)

    form = client.get(f"/accounts/{account.pk}/facts/tier/", {"edit": "1"}).content.decode()
    response = client.post(f"/accounts/{account.pk}/facts/tier/", {"tier": "key", "version": 1})

    assert 'name="tier"' in form
    assert 'name="version" value="1"' in form
    page = response.content.decode()
    assert 'id="fact-tier"' in page
    assert "<span>Key</span>" in page
    assert 'id="account-summary" hx-swap-oob="true"' in page
    stored = Account.objects.get(pk=account.pk)
    assert (stored.tier, stored.version) == ("key", 2)
    entry = LogEntry.objects.get_for_object(stored).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.changes_dict == {"tier": ["standard", "key"]}
    assert entry.actor == org.owner


def test_stale_fact_save_shows_the_newer_value_and_overwrites_nothing(
    client: Any, org: Any
) -> None:
    account = AccountFactory(owner=org.owner, industry="Steel")
    services.account_update(
        user=org.owner,
        account=account,
        expected_version=1,
        data={"industry": "Chemicals"},
    )
    client.force_login(org.owner)

    stale = client.post(
        f"/accounts/{account.pk}/facts/industry/", {"industry": "Mining", "version": 1}
    )
    again = client.post(
        f"/accounts/{account.pk}/facts/industry/", {"industry": "Mining", "version": 2}
    )

    page = stale.content.decode()
    assert "changed by someone else" in page
    assert "Saved value now: <strong><span>Chemicals</span></strong>" in page
    assert 'value="Mining"' in page
    assert 'name="version" value="2"' in page
    assert "<span>Mining</span>" in again.content.decode()
    assert Account.objects.get(pk=account.pk).industry == "Mining"


def test_fact_validation_error_is_shown_inline_and_keeps_the_input(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner, country="DE")
    client.force_login(org.owner)

    response = client.post(
        f"/accounts/{account.pk}/facts/emails/",
        {"emails": ["sales@acme.de", "not-an-address"], "version": 1},
    )

    page = response.content.decode()
    assert "not-an-address is not a valid e-mail address" in page
    assert 'value="not-an-address"' in page
    assert Account.objects.get(pk=account.pk).emails == []


def test_fact_phones_are_saved_as_e164_from_several_inputs(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner, country="DE")
    client.force_login(org.owner)

    client.post(
        f"/accounts/{account.pk}/facts/phones/",
        {"phones": ["030 1234567", "", "+49 89 123456"], "version": 1},
    )

    assert Account.objects.get(pk=account.pk).phones == ["+49301234567", "+4989123456"]


def test_owner_fact_is_for_those_who_reassign(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    client.force_login(org.owner)
    page = client.get(f"/accounts/{account.pk}/").content.decode()
    refused = client.post(
        f"/accounts/{account.pk}/facts/owner/", {"owner": org.peer.pk, "version": 1}
    )

    assert "Edit Owner" not in page
    assert "Only the head of sales or an admin can reassign accounts." in refused.content.decode()
    assert Account.objects.get(pk=account.pk).owner == org.owner

    client.force_login(org.sales_head)
    client.post(f"/accounts/{account.pk}/facts/owner/", {"owner": org.peer.pk, "version": 1})
    assert Account.objects.get(pk=account.pk).owner == org.peer


def test_confidential_facts_are_neither_shown_nor_editable_without_the_permission(
    client: Any, org: Any
) -> None:
    account = AccountFactory(owner=org.owner, credit_limit=918273, payment_terms_days=45)
    account.team_members.add(org.marketing)
    client.force_login(org.marketing)

    page = client.get(f"/accounts/{account.pk}/").content.decode()
    form = client.get(f"/accounts/{account.pk}/facts/credit_limit/", {"edit": "1"})
    save = client.post(
        f"/accounts/{account.pk}/facts/payment_terms_days/",
        {"payment_terms_days": 5, "version": 1},
    )

    assert "918273" not in page
    assert "918,273" not in page
    assert "45 days" not in page
    assert 'id="fact-credit_limit"' not in page
    assert (form.status_code, save.status_code) == (404, 404)
    assert Account.objects.get(pk=account.pk).payment_terms_days == 45


def test_credit_limit_fact_saves_amount_and_currency_for_the_owner(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    client.force_login(org.owner)

    response = client.post(
        f"/accounts/{account.pk}/facts/credit_limit/",
        {"credit_limit": "12500.50", "currency": "usd", "version": 1},
    )

    stored = Account.objects.get(pk=account.pk)
    assert (str(stored.credit_limit), stored.currency) == ("12500.50", "USD")
    assert (
        "12,500.50 USD" in response.content.decode() or "12500.50 USD" in response.content.decode()
    )


def test_unknown_fact_is_404(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    client.force_login(org.owner)

    assert client.get(f"/accounts/{account.pk}/facts/name_key/").status_code == 404


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("other", 404),
        ("kam", 404),
        ("staff", 404),
        ("auditor", 403),
        ("owner", 200),
        ("lead", 200),
        ("sales_head", 200),
        ("admin", 200),
    ],
)
def test_in_place_edits_follow_the_access_rule(
    client: Any, org: Any, role: str, status: int
) -> None:
    account = AccountFactory(owner=org.owner, industry="Steel")
    client.force_login(getattr(org, role))

    fact = client.post(f"/accounts/{account.pk}/facts/industry/", {"industry": "X", "version": 1})
    team = client.post(f"/accounts/{account.pk}/team/", {"member": org.peer.pk, "role": "Tech"})
    tags = client.post(f"/accounts/{account.pk}/tags/", {"tags": "vip"})
    address = client.post(f"/accounts/{account.pk}/addresses/legal/", {"city": "Berlin"})

    assert [fact.status_code, team.status_code, tags.status_code, address.status_code] == [
        status
    ] * 4
    if status != 200:
        stored = Account.objects.get(pk=account.pk)
        assert stored.industry == "Steel"
        assert not AccountTeamMember.objects.exists()
        assert not stored.tags.exists()
        assert not AccountAddress.objects.exists()
        assert b"Steel" not in fact.content


def test_anonymous_is_sent_to_sign_in(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)

    response = client.post(f"/accounts/{account.pk}/facts/tier/", {"tier": "key", "version": 1})

    assert response.status_code == 302
    assert (
        response["Location"]
        == f"{resolve_url(settings.LOGIN_URL)}?next=/accounts/{account.pk}/facts/tier/"
    )
    assert Account.objects.get(pk=account.pk).tier == "standard"


def test_read_only_viewer_sees_no_edit_controls(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    client.force_login(org.auditor)

    page = client.get(f"/accounts/{account.pk}/").content.decode()

    assert "kam-fact-edit" not in page
    assert "Edit tags" not in page
    assert f"/accounts/{account.pk}/team/" not in page
    assert "New contact" not in page


# --- team, addresses, tags ------------------------------------------------------------------------


def test_team_member_added_with_role_then_removed_and_both_audited(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    client.force_login(org.owner)

    added = client.post(
        f"/accounts/{account.pk}/team/", {"member": org.peer.pk, "role": "Technical lead"}
    )
    removed = client.post(f"/accounts/{account.pk}/team/{org.peer.pk}/remove/")

    assert f'id="team-member-{org.peer.pk}"' in added.content.decode()
    assert "Technical lead" in added.content.decode()
    assert f'id="team-member-{org.peer.pk}"' not in removed.content.decode()
    assert not AccountTeamMember.objects.exists()
    titles = [e.title for e in client.get(f"/accounts/{account.pk}/").context["entries"]]
    assert titles[0] == f"Account “{account.name}” changed"
    details = client.get(f"/accounts/{account.pk}/").context["entries"][0].detail
    assert details == f"account team: {org.peer} (Technical lead) → —"


def test_team_refuses_the_owner_and_a_missing_user(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    client.force_login(org.owner)

    owner = client.post(f"/accounts/{account.pk}/team/", {"member": org.owner.pk})
    missing = client.post(f"/accounts/{account.pk}/team/", {"member": 999999})
    not_member = client.post(f"/accounts/{account.pk}/team/{org.peer.pk}/remove/")

    assert "Select a valid choice" in owner.content.decode()
    assert "Select a valid choice" in missing.content.decode()
    assert not_member.status_code == 404
    assert not AccountTeamMember.objects.exists()


def test_team_service_refuses_the_owner(org: Any) -> None:
    account = AccountFactory(owner=org.owner)

    with pytest.raises(services.AccountError) as error:
        services.account_team_add(user=org.owner, account=account, member=org.owner)

    assert error.value.fields == {"member": ["The owner already works this account."]}


def test_address_saved_in_place_then_cleared(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    client.force_login(org.owner)

    form = client.get(f"/accounts/{account.pk}/addresses/postal/", {"edit": "1"}).content.decode()
    saved = client.post(
        f"/accounts/{account.pk}/addresses/postal/",
        {"street": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin", "country": "DE"},
    )
    address = AccountAddress.objects.get(account=account, kind="postal")
    cleared = client.post(
        f"/accounts/{account.pk}/addresses/postal/",
        {"expected_updated_at": address.updated_at.isoformat()},
    )

    assert 'id="address_postal_street"' in form
    assert "Hauptstr. 1, 10115, Berlin, Germany" in saved.content.decode()
    assert not AccountAddress.objects.exists()
    assert "Hauptstr" not in cleared.content.decode()
    entries = LogEntry.objects.filter(object_id=address.pk, content_type__model="accountaddress")
    assert sorted(e.action for e in entries) == [LogEntry.Action.CREATE, LogEntry.Action.DELETE]


def test_stale_address_save_shows_the_saved_address_and_overwrites_nothing(
    client: Any, org: Any
) -> None:
    account = AccountFactory(owner=org.owner)
    services.account_set_address(
        user=org.owner, account=account, kind="legal", data={"city": "Hamburg"}
    )
    client.force_login(org.owner)

    response = client.post(
        f"/accounts/{account.pk}/addresses/legal/", {"city": "Munich", "expected_updated_at": ""}
    )

    page = response.content.decode()
    assert "changed by someone else" in page
    assert "Saved address now: <strong>Hamburg</strong>" in page
    assert 'value="Munich"' in page
    assert AccountAddress.objects.get().city == "Hamburg"


def test_address_with_an_unknown_country_names_the_field(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    client.force_login(org.owner)

    response = client.post(
        f"/accounts/{account.pk}/addresses/delivery/", {"city": "Oz", "country": "XX"}
    )

    assert "Select a valid choice" in response.content.decode()
    assert 'value="Oz"' in response.content.decode()
    assert not AccountAddress.objects.exists()
    assert client.get(f"/accounts/{account.pk}/addresses/home/").status_code == 404


def test_tags_edited_in_place(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    client.force_login(org.owner)

    form = client.get(f"/accounts/{account.pk}/tags/", {"edit": "1"}).content.decode()
    saved = client.post(f"/accounts/{account.pk}/tags/", {"tags": "expo-2026, vip , ,vip"})

    assert 'name="tags"' in form
    assert sorted(account.tags.values_list("name", flat=True)) == ["expo-2026", "vip"]
    assert saved.content.decode().count("badge rounded-pill") == 2

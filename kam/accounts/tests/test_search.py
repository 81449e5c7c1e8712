"""Full-text search: ranking, typos, identifiers, access, the trash, bad queries, the API.

Runs on SQLite (FTS5) and PostgreSQL (tsvector + pg_trgm) alike; the index is kept by triggers,
so the records here are written the ordinary ways (factories, services) and found at once.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from kam.accounts import search as search_module
from kam.accounts import services, validation
from kam.accounts.models import Account, Contact
from kam.accounts.search import SearchResult, bulk_indexing, check_index, parse_query, search
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.core import registry
from kam.core.services import restore

pytestmark = pytest.mark.django_db


def company(owner: Any, name: str, **fields: Any) -> Account:
    fields.setdefault("name_key", validation.name_key(name))
    account: Account = AccountFactory(owner=owner, name=name, **fields)
    return account


def person(account: Account, first: str, last: str, **fields: Any) -> Contact:
    contact: Contact = ContactFactory(account=account, first_name=first, last_name=last, **fields)
    return contact


def titles(hits: list[SearchResult]) -> list[str]:
    return [hit.title for hit in hits]


def found(user: Any, query: str) -> set[tuple[str, str]]:
    return {(hit.kind, hit.title) for hit in search(user, query, 50)}


# --- ranking and typos -----------------------------------------------------------------------


def test_exact_name_comes_first_then_prefix_then_typo(org: Any) -> None:
    company(org.owner, "Romashkaservis Trading")  # "romashka" is only the start of a word
    company(org.owner, "Romashka LLC")
    company(org.owner, "Romaska Foods")  # one letter away
    company(org.owner, "Lighthouse Retail")

    hits = search(org.owner, "Romashka", 8)

    assert titles(hits) == ["Romashka LLC", "Romashkaservis Trading", "Romaska Foods"]
    assert hits[0].score == 1.0
    assert hits[0].score > hits[1].score > hits[2].score
    assert hits[0].kind == "account"
    assert hits[0].url == f"/accounts/{Account.objects.get(name='Romashka LLC').pk}/"


@pytest.mark.parametrize(
    "typo",
    [
        "Nordwrek",  # two letters swapped
        "Nordwerc",  # one letter replaced
        "Nordwek",  # one letter missing
        "Nordwerrk",  # one letter too many
        "nordwerk logistk",  # a typo in the second word
        "Nrodwerk",  # swapped near the start
        "Nprdwerk",  # replaced in the second letter
    ],
)
def test_a_one_letter_typo_finds_the_account(org: Any, typo: str) -> None:
    company(org.owner, "Nordwerk Logistik GmbH")
    company(org.owner, "Nordsee Fischhandel GmbH")

    hits = search(org.owner, typo, 8)

    assert titles(hits)[:1] == ["Nordwerk Logistik GmbH"]
    assert hits[0].score < 1.0


def test_a_typo_in_a_contact_name_finds_the_contact(org: Any) -> None:
    account = company(org.owner, "Atlas Freight")
    person(account, "Katharina", "Schumacher")

    assert titles(search(org.owner, "Schumahcer", 8)) == ["Katharina Schumacher"]
    assert titles(search(org.owner, "katharina schumachr", 8)) == ["Katharina Schumacher"]


def test_prefixes_find_as_you_type(org: Any) -> None:
    account = company(org.owner, "Bluestone Foods Ltd")
    person(account, "Grace", "Whitmore")

    assert ("account", "Bluestone Foods Ltd") in found(org.owner, "Blu")
    assert found(org.owner, "Gra Whit") == {("contact", "Grace Whitmore")}


def test_cyrillic_and_latin_spellings_of_a_company_find_each_other(org: Any) -> None:
    company(org.owner, "ООО Ромашка")
    company(org.owner, "Romashka LLC")

    by_latin = search(org.owner, "romashka", 8)
    by_cyrillic = search(org.owner, "Ромашка", 8)

    assert set(titles(by_latin)) == set(titles(by_cyrillic)) == {"ООО Ромашка", "Romashka LLC"}
    assert {h.score for h in by_latin} == {1.0}  # the same normalised name: both exact


def test_a_contact_is_found_by_name_job_title_and_account_name(org: Any) -> None:
    account = company(org.owner, "Harbor Logistics")
    person(account, "Olivia", "Carter", job_title="Head of Procurement")

    assert found(org.owner, "olivia carter") == {("contact", "Olivia Carter")}
    assert ("contact", "Olivia Carter") in found(org.owner, "procurement")
    assert found(org.owner, "carter harbor") == {("contact", "Olivia Carter")}


def test_notes_are_searched(org: Any) -> None:
    company(org.owner, "Evergreen Energy", notes="Met at Hannover Messe, wants volume prices")

    assert titles(search(org.owner, "hannover messe", 8)) == ["Evergreen Energy"]


# --- identifiers -----------------------------------------------------------------------------


@pytest.fixture
def ivan(org: Any) -> Contact:
    account = company(
        org.owner,
        "Nordwerk Logistik GmbH",
        country="DE",
        tax_number="123456788",
        domain="nordwerk.de",
        emails=["info@nordwerk.de"],
        phones=["+493012345678"],
    )
    return person(
        account,
        "Ivan",
        "Petrov",
        emails=["ivan.petrov@nordwerk.de"],
        phones=["+4915112345678"],
    )


@pytest.mark.parametrize(
    "query",
    [
        "ivan.petrov@nordwerk.de",
        "IVAN.PETROV@NORDWERK.DE",
        "petrov@",
        "+49 151 1234 5678",
        "0151 12345678",  # the national form of the same number
        "4915112345678",
        "2345678",  # the end of the number
    ],
)
def test_a_contact_is_found_by_e_mail_and_phone(org: Any, ivan: Contact, query: str) -> None:
    hits = search(org.owner, query, 8)

    assert [(h.kind, h.id) for h in hits][:1] == [("contact", ivan.pk)]


@pytest.mark.parametrize(
    "query", ["123456788", "DE123456788", "de 123 456 788", "nordwerk.de", "+49 30 1234"]
)
def test_an_account_is_found_by_tax_number_domain_and_phone(
    org: Any, ivan: Contact, query: str
) -> None:
    hits = search(org.owner, query, 8)

    assert [(h.kind, h.id) for h in hits][:1] == [("account", ivan.account_id)]


def test_an_exact_e_mail_and_tax_number_score_as_exact(org: Any, ivan: Contact) -> None:
    assert search(org.owner, "ivan.petrov@nordwerk.de", 1)[0].score == 1.0
    assert search(org.owner, "DE 123456788", 1)[0].score == 1.0


# --- access ----------------------------------------------------------------------------------


@pytest.fixture
def acme(org: Any) -> dict[str, Account]:
    mine = company(org.owner, "Acme Alpha")
    theirs = company(org.other, "Acme Beta")
    person(mine, "John", "Acmeson")
    person(theirs, "Jane", "Acmeson")
    return {"mine": mine, "theirs": theirs}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("owner", {"Acme Alpha", "John Acmeson"}),
        ("lead", {"Acme Alpha", "John Acmeson"}),  # leads the owner's team
        ("peer", set()),
        ("other", {"Acme Beta", "Jane Acmeson"}),
        ("sales_head", {"Acme Alpha", "Acme Beta", "John Acmeson", "Jane Acmeson"}),
        ("auditor", {"Acme Alpha", "Acme Beta", "John Acmeson", "Jane Acmeson"}),
        ("service", set()),
        ("marketing", set()),
    ],
)
def test_search_shows_only_what_the_user_may_see(
    org: Any, acme: dict[str, Account], role: str, expected: set[str]
) -> None:
    assert set(titles(search(getattr(org, role), "acme", 50))) == expected


def test_the_account_team_sees_the_account_and_its_contacts(
    org: Any, acme: dict[str, Account]
) -> None:
    services.account_set_team(user=org.other, account=acme["theirs"], members={org.peer: "Deputy"})

    assert found(org.peer, "acme") == {("account", "Acme Beta"), ("contact", "Jane Acmeson")}


def test_anonymous_and_inactive_users_find_nothing(org: Any, acme: dict[str, Account]) -> None:
    from django.contrib.auth.models import AnonymousUser

    org.owner.is_active = False

    assert search(AnonymousUser(), "acme", 8) == []
    assert search(org.owner, "acme", 8) == []


@pytest.mark.parametrize("materialise", [True, False])
def test_a_manager_finds_his_few_matches_among_many_of_others(
    org: Any, monkeypatch: Any, materialise: bool
) -> None:
    # More matches than a tier's candidate budget belong to someone else: the user's own match
    # must still come back, whichever way his visibility is applied (a list of what he sees,
    # or a check per candidate when he sees a lot).
    if not materialise:
        monkeypatch.setattr(search_module, "MATERIALISE_VISIBLE", 0)
    for n in range(search_module.CANDIDATES + 15):
        person(company(org.other, f"Kestrel Systems {n}"), "Anna", f"Kestrel{n}")
    mine = company(org.owner, "Kestrel Systems North")
    person(mine, "Boris", "Kestrelov")

    hits = search(org.owner, "kestrel", 50)

    assert set(titles(hits)) == {"Kestrel Systems North", "Boris Kestrelov"}
    assert set(titles(search(org.owner, "kestrl systms", 50))) == {
        "Kestrel Systems North",
        "Boris Kestrelov",  # by his account's name
    }
    assert found(org.owner, "+4930") == set()


# --- the trash and keeping the index in step -------------------------------------------------


def test_records_in_the_trash_are_not_found(org: Any) -> None:
    gone = company(org.owner, "Halcyon Pharma")
    person(gone, "Erik", "Halcyonsen")
    kept = company(org.owner, "Halcyon Medical")
    ex_employee = person(kept, "Sven", "Halcyonsson")

    services.account_delete(user=org.owner, account=gone)
    services.contact_delete(user=org.owner, contact=ex_employee)

    assert titles(search(org.owner, "halcyon", 50)) == ["Halcyon Medical"]
    assert titles(search(org.sales_head, "halcyon", 50)) == ["Halcyon Medical"]

    restore(instance=Account.all_objects.get(pk=gone.pk), user=org.owner)

    assert set(titles(search(org.owner, "halcyon", 50))) == {
        "Halcyon Pharma",
        "Halcyon Medical",
        "Erik Halcyonsen",
    }


def test_the_index_follows_edits_renames_and_moves(org: Any) -> None:
    old = company(org.owner, "Granite Construction")
    other = company(org.owner, "Sapphire Electronics")
    contact = person(old, "Lucy", "Moorland")

    services.account_update(
        user=org.owner, account=old, expected_version=old.version, data={"name": "Basalt Works"}
    )

    assert search(org.owner, "granite", 8) == []
    assert found(org.owner, "basalt") == {("account", "Basalt Works"), ("contact", "Lucy Moorland")}

    contact.refresh_from_db()
    services.contact_update(
        user=org.owner,
        contact=contact,
        expected_version=contact.version,
        data={"account": other, "last_name": "Fairview"},
    )

    assert found(org.owner, "moorland") == set()
    assert found(org.owner, "fairview sapphire") == {("contact", "Lucy Fairview")}
    check_index()


def test_deleting_rows_for_good_removes_them_from_the_index(org: Any) -> None:
    account = company(org.owner, "Ironbridge Marine")
    person(account, "Paul", "Ironside")

    account.contacts.all().delete()
    account.delete()

    assert search(org.sales_head, "ironbridge", 8) == []
    assert search(org.sales_head, "ironside", 8) == []
    check_index()


def test_bulk_indexing_writes_the_index_once_at_the_end(org: Any) -> None:
    before = _search_triggers()
    old = company(org.owner, "Keystone Retail")

    with bulk_indexing():
        Account.objects.bulk_create(
            [Account(name=f"Crescent Foods {n}", name_key=f"crescent foods {n}", owner=org.owner)
             for n in range(3)]
        )  # fmt: skip
        Account.objects.filter(pk=old.pk).update(name="Cobalt Retail", name_key="cobalt retail")

    assert len(search(org.owner, "crescent", 50)) == 3
    assert titles(search(org.owner, "cobalt", 8)) == ["Cobalt Retail"]
    assert search(org.owner, "keystone", 8) == []
    assert _search_triggers() == before
    check_index()


def test_bulk_indexing_leaves_everything_as_it_was_on_an_error(org: Any) -> None:
    before = _search_triggers()

    def failing_import() -> None:
        with bulk_indexing():
            company(org.owner, "Vanguard Textiles")
            raise RuntimeError("the import failed")

    with pytest.raises(RuntimeError, match="the import failed"):
        failing_import()

    assert _search_triggers() == before
    assert not Account.objects.filter(name="Vanguard Textiles").exists()
    company(org.owner, "Vanguard Chemicals")  # the triggers index it again
    assert titles(search(org.owner, "vanguard", 8)) == ["Vanguard Chemicals"]


def _search_triggers() -> list[str]:
    if connection.vendor == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    else:
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [name for (name,) in cursor.fetchall() if "search" in name]


# --- what people type ------------------------------------------------------------------------

BAD_QUERIES = [
    "",
    " ",
    "a",
    "é",
    '"',
    "'",
    "*",
    ":",
    "-",
    "^",
    "NEAR",
    "NEAR(acme acme, 2)",
    "acme NEAR/2 beta",
    '"acme',
    'acme"',
    "acme*",
    "*acme",
    "a*b*c",
    "names: acme",
    "{names ids}: acme",
    "acme AND",
    "OR NOT acme",
    "((((acme",
    "acme)",
    "acme + beta",
    "%_%",
    "\\",
    "\x00acme\x00",
    "acme\nbeta\tgamma",
    "x" * 500,
    "acme " * 100,
    "'; DROP TABLE accounts_account; --",
    "' OR 1=1 --",
    "SELECT * FROM accounts_account_fts WHERE 1",
    "Ромашка ООО «Лютик»",
    "Ёлка-Палка",
    "Müller & Söhne",
    "e\u0301clair",  # a combining accent
    "Straße",
    "中文公司",
    "شركة",
    "🙂🙂🙂",
    "+",
    "@",
    "...",
    "@acme.",
    "+++---",
    "12",
    "1",
    "ab_cd",
    "\u200b\u200b",
    "\ud7ff\ue000",
    "\udc80acme",  # a lone surrogate, as bytes decoded with surrogateescape give
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_no_query_makes_search_fail(org: Any, acme: dict[str, Account], query: str) -> None:
    for user in (org.owner, org.sales_head):
        hits = search(user, query, 8)

        assert isinstance(hits, list)
        assert all(0 < hit.score <= 1 for hit in hits)
    if len(query.strip()) < 2:
        assert search(org.sales_head, query, 8) == []


def test_odd_queries_still_find_what_they_contain(org: Any, acme: dict[str, Account]) -> None:
    for query in ('"acme', "acme*", "(acme", "{acme}", "\x00acme\x00", "acme)", "acme:"):
        assert "Acme Alpha" in titles(search(org.owner, query, 8)), query


def test_parse_query_keeps_only_words_and_identifiers() -> None:
    parsed = parse_query('  "Ромашка"  NEAR*  ')

    assert parsed is not None
    assert parsed.words == ("ромашка", "near")
    assert parsed.latin == ("romashka", "near")
    assert parse_query("a") is None
    assert parse_query("*") is None
    phone = parse_query("+49 (30) 1234-56")
    assert phone is not None
    assert phone.digits == "4930123456"


def test_the_palette_uses_the_full_text_search(org: Any, ivan: Contact) -> None:
    hits = registry.search(org.owner, "Nordwrek", 8)

    assert [(h.kind, h.title) for h in hits][:1] == [("Account", "Nordwerk Logistik GmbH")]


# --- the API ---------------------------------------------------------------------------------


def test_api_search_answers_ranked_hits(api_as: Any, org: Any, ivan: Contact) -> None:
    response = api_as(org.owner).get("/api/v1/search/", {"q": "nordwerk", "limit": 5})

    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "nordwerk"
    assert [(r["kind"], r["id"], r["title"]) for r in body["results"]] == [
        ("account", ivan.account_id, "Nordwerk Logistik GmbH"),
        ("contact", ivan.pk, "Ivan Petrov"),
    ]
    assert body["results"][0]["url"] == f"/accounts/{ivan.account_id}/"
    assert body["results"][1]["url"] == f"/accounts/{ivan.account_id}/#contact-{ivan.pk}"
    assert 1.0 > body["results"][0]["score"] > body["results"][1]["score"] > 0


def test_api_search_needs_a_login(api: Any, ivan: Contact) -> None:
    response = api.get("/api/v1/search/", {"q": "nordwerk"})

    assert response.status_code == 401
    assert "Nordwerk" not in response.content.decode()


def test_api_search_shows_only_what_the_user_may_see(
    api_as: Any, org: Any, acme: dict[str, Account]
) -> None:
    response = api_as(org.peer).get("/api/v1/search/", {"q": "acme"})

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "q"), ({"q": "acme", "limit": 0}, "limit"), ({"q": "acme", "limit": 51}, "limit")],
)
def test_api_search_refuses_bad_parameters(
    api_as: Any, org: Any, params: dict[str, Any], field: str
) -> None:
    response = api_as(org.owner).get("/api/v1/search/", params)

    assert response.status_code == 400
    assert field in response.content.decode()


@pytest.mark.parametrize("query", BAD_QUERIES[:-2])  # surrogates cannot go in a URL
def test_api_search_answers_any_query(api_as: Any, org: Any, query: str) -> None:
    response = api_as(org.owner).get("/api/v1/search/", {"q": query.replace("\x00", "")})

    assert response.status_code == 200
    assert isinstance(response.json()["results"], list)


@pytest.mark.parametrize("role", ["owner", "sales_head"])
def test_api_search_costs_the_same_queries_whatever_the_data(
    api_as: Any, org: Any, django_assert_max_num_queries: Any, role: str
) -> None:
    user = getattr(org, role)
    client = api_as(user)

    def run() -> int:
        user.__dict__.pop("_kam_led_member_ids", None)  # as in a new request
        with django_assert_max_num_queries(12) as captured:
            response = client.get("/api/v1/search/", {"q": "crescnt", "limit": 50})
        assert response.status_code == 200
        return len(captured.captured_queries)

    def add(count: int) -> None:
        for n in range(count):
            person(company(org.owner, f"Crescent Foods {n}"), "Amelia", f"Crescent{n}")
            company(org.other, f"Crescent Trading {n}")

    add(2)
    few = run()
    add(30)

    assert run() == few


def test_schema_documents_the_search_endpoint(api_as: Any, org: Any) -> None:
    schema = api_as(org.owner).get("/api/schema/", {"format": "json"}).json()

    operation = schema["paths"]["/api/v1/search/"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"q", "limit"}


def test_search_runs_inside_a_transaction(org: Any, acme: dict[str, Account]) -> None:
    with transaction.atomic():
        assert "Acme Alpha" in titles(search(org.owner, "acme", 8))

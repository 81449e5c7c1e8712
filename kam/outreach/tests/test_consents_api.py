"""/api/v1/consents/: a contact's consent per channel, seen and changed through the contact's
access, given or withdrawn through the accounts service, audited."""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.models import LogEntry

from kam.accounts.models import ContactConsent
from kam.accounts.services import contact_set_consent
from kam.outreach.tests.calls_helpers import client as make_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/consents/"


def _consent(user: Any, contact: Any, channel: str = "email", granted: bool = True) -> Any:
    return contact_set_consent(
        user=user, contact=contact, channel=channel, is_granted=granted, how="Trade fair form"
    )


@pytest.fixture
def jens(org: Any) -> Any:
    _account, contact = make_client(org.owner)
    return contact


def test_the_owner_lists_the_consents_of_his_contacts(api_as, org, jens):
    consent = _consent(org.owner, jens)

    response = api_as(org.owner).get(URL)

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": consent.pk,
            "contact": jens.pk,
            "channel": "email",
            "is_granted": True,
            "given_at": consent.given_at.isoformat().replace("+00:00", "Z"),
            "how": "Trade fair form",
            "updated_at": consent.updated_at.isoformat().replace("+00:00", "Z"),
        }
    ]


def test_the_list_filters_by_contact_channel_and_granted(api_as, org, jens):
    _account, anna = make_client(org.owner, name="Initech", phone="089 555 000")
    _consent(org.owner, jens, "email", True)
    post = _consent(org.owner, jens, "post", False)
    anna_email = _consent(org.owner, anna, "email", True)
    api = api_as(org.owner)

    def ids(query: str) -> list[int]:
        return sorted(row["id"] for row in api.get(URL + query).json()["results"])

    assert ids(f"?contact={jens.pk}&granted=false") == [post.pk]
    assert ids(f"?contact={anna.pk}") == [anna_email.pk]
    assert len(ids("?channel=email")) == 2
    assert ids("?channel=post&channel=fax") == [post.pk]


def test_a_bad_filter_is_400(api_as, org, jens):
    response = api_as(org.owner).get(URL + "?channel=pigeon")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["channel"]


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("owner", True),
        ("lead", True),
        ("sales_head", True),
        ("auditor", True),
        ("admin", True),
        ("peer", False),
        ("other", False),
        ("staff", False),
    ],
)
def test_who_sees_a_consent(api_as, org, jens, role, sees):
    consent = _consent(org.owner, jens)
    api = api_as(getattr(org, role))

    listed = [row["id"] for row in api.get(URL).json()["results"]]
    detail = api.get(f"{URL}{consent.pk}/")

    assert listed == ([consent.pk] if sees else [])
    assert detail.status_code == (200 if sees else 404)
    if not sees:
        assert "Trade fair form" not in detail.content.decode()


def test_anonymous_gets_401_and_nothing(api, org, jens):
    consent = _consent(org.owner, jens)

    assert api.get(URL).status_code == 401
    assert api.get(f"{URL}{consent.pk}/").status_code == 401
    response = api.post(URL, {"contact": jens.pk, "channel": "fax", "is_granted": True})
    assert response.status_code == 401
    assert ContactConsent.objects.count() == 1


def test_giving_consent_creates_it_audited_under_the_user(api_as, org, jens):
    response = api_as(org.owner).post(
        URL, {"contact": jens.pk, "channel": "chat", "is_granted": True, "how": "Phone call"}
    )

    assert response.status_code == 201
    consent = ContactConsent.objects.get(contact=jens, channel="chat")
    assert response.json()["id"] == consent.pk
    assert (consent.is_granted, consent.how) == (True, "Phone call")
    entry = LogEntry.objects.get_for_object(consent).get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == org.owner


def test_posting_a_channel_again_withdraws_the_same_record(api_as, org, jens):
    consent = _consent(org.owner, jens, "email", True)

    response = api_as(org.owner).post(
        URL, {"contact": jens.pk, "channel": "email", "is_granted": False, "how": "Replied STOP"}
    )

    assert response.status_code == 200
    assert response.json()["id"] == consent.pk
    consent.refresh_from_db()
    assert (consent.is_granted, consent.how) == (False, "Replied STOP")
    assert ContactConsent.objects.count() == 1
    change = LogEntry.objects.get_for_object(consent).filter(action=LogEntry.Action.UPDATE).get()
    assert change.actor == org.owner
    assert change.changes_dict["is_granted"] == ["True", "False"]


def test_patch_withdraws_and_keeps_the_manner_unless_given(api_as, org, jens):
    consent = _consent(org.owner, jens)

    response = api_as(org.owner).patch(f"{URL}{consent.pk}/", {"is_granted": False})

    assert response.status_code == 200
    assert (response.json()["is_granted"], response.json()["how"]) == (False, "Trade fair form")
    consent.refresh_from_db()
    assert consent.is_granted is False


def test_put_needs_is_granted(api_as, org, jens):
    consent = _consent(org.owner, jens)

    response = api_as(org.owner).put(f"{URL}{consent.pk}/", {"how": "x"})

    assert response.status_code == 400
    assert response.json()["fields"] == {"is_granted": ["This field is required."]}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"channel": "pigeon"}, "channel", '"pigeon" is not a valid choice.'),
        ({"is_granted": "maybe"}, "is_granted", "Must be a valid boolean."),
        ({"contact": "x"}, "contact", "A valid integer is required."),
        ({"how": "x" * 201}, "how", "Ensure this field has no more than 200 characters."),
    ],
)
def test_bad_input_is_400_and_changes_nothing(api_as, org, jens, body, field, message):
    payload = {"contact": jens.pk, "channel": "email", "is_granted": True, **body}

    response = api_as(org.owner).post(URL, payload)

    assert response.status_code == 400
    assert response.json()["fields"][field] == [message]
    assert ContactConsent.objects.count() == 0


@pytest.mark.parametrize(("role", "code"), [("peer", 404), ("other", 404), ("auditor", 403)])
def test_who_may_not_change_a_consent(api_as, org, jens, role, code):
    consent = _consent(org.owner, jens)
    api = api_as(getattr(org, role))
    last_entry = LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    created = api.post(URL, {"contact": jens.pk, "channel": "fax", "is_granted": True})
    changed = api.patch(f"{URL}{consent.pk}/", {"is_granted": False})

    assert (created.status_code, changed.status_code) == (code, code)
    consent.refresh_from_db()
    assert consent.is_granted is True
    assert ContactConsent.objects.count() == 1
    # No change is recorded (at most an access denial).
    new_entries = LogEntry.objects.filter(pk__gt=last_entry)
    assert set(new_entries.values_list("action", flat=True)) <= {LogEntry.Action.ACCESS}


@pytest.mark.parametrize("role", ["lead", "sales_head", "admin"])
def test_who_may_change_a_consent(api_as, org, jens, role):
    consent = _consent(org.owner, jens)

    response = api_as(getattr(org, role)).patch(f"{URL}{consent.pk}/", {"is_granted": False})

    assert response.status_code == 200
    consent.refresh_from_db()
    assert consent.is_granted is False


def test_a_contact_that_does_not_exist_is_404(api_as, org):
    response = api_as(org.admin).post(
        URL, {"contact": 999999, "channel": "fax", "is_granted": True}
    )

    assert response.status_code == 404


def test_consents_cannot_be_deleted(api_as, org, jens):
    consent = _consent(org.owner, jens)

    response = api_as(org.admin).delete(f"{URL}{consent.pk}/")

    assert response.status_code == 405
    assert ContactConsent.objects.filter(pk=consent.pk).exists()


def test_the_list_costs_the_same_queries_for_many_consents(
    api_as, org, django_assert_max_num_queries
):
    for index in range(20):
        _account, contact = make_client(org.owner, name=f"C{index}", phone=f"030 200{index}")
        for channel in ("email", "post", "fax"):
            _consent(org.owner, contact, channel)
    api = api_as(org.owner)

    with django_assert_max_num_queries(4):
        response = api.get(URL)

    assert response.json()["count"] == 60

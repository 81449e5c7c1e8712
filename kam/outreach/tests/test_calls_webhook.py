"""The telephony webhook: signed posts only, strict input, one call per call, matched to the
client by number and to our user by line, logged as a call activity once it is over."""

from __future__ import annotations

import datetime
import json
import threading

import pytest
from auditlog.models import LogEntry

from kam.accounts import services as account_services
from kam.activities.models import Activity
from kam.outreach.models import Call
from kam.outreach.tests.calls_helpers import SECRET, client, event, line, post, sign

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 11, 28, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _telephony(settings):
    settings.KAM_TELEPHONY_SECRET = SECRET
    settings.KAM_DEFAULT_PHONE_REGION = "DE"


def _counts() -> tuple[int, int, int]:
    return Call.objects.count(), Activity.all_objects.count(), LogEntry.objects.count()


# --- signature --------------------------------------------------------------------------------


def test_a_signed_event_records_the_call_and_logs_the_activity(api, org):
    account, contact = client(org.owner)
    line(org.owner)

    response = post(api, event(recording_url="https://rec.example.com/c-1.mp3"))

    assert response.status_code == 201
    call = Call.objects.get()
    assert response.json() == {
        "id": call.pk,
        "state": "ended",
        "direction": "inbound",
        "user": org.owner.pk,
        "contact": contact.pk,
        "account": account.pk,
        "activity": call.activity_id,
    }
    assert (call.from_number, call.to_number, call.duration_seconds) == (
        "+49301234567",
        "+49309990001",
        125,
    )
    activity = call.activity
    assert activity.kind == "call"
    assert activity.subject == "Incoming call from Jens Weber"
    assert activity.body == (
        "From: +49301234567\nTo: +49309990001\nRecording: https://rec.example.com/c-1.mp3"
    )
    assert activity.direction == "inbound"
    assert activity.duration_seconds == 125
    assert activity.outcome == "Answered"
    assert activity.occurred_at == START
    assert activity.ends_at == START + datetime.timedelta(seconds=125)
    assert activity.owner == org.owner
    assert activity.account == account
    assert list(activity.contacts.all()) == [contact]


@pytest.mark.parametrize(
    ("header", "why"),
    [
        ("", "missing"),
        ("sha256=" + "0" * 64, "wrong digest"),
        ("md5=abc", "wrong scheme"),
        ("sha256=zz", "not hex"),
    ],
)
def test_a_bad_or_missing_signature_is_401_and_stores_nothing(api, org, header, why):
    client(org.owner)
    line(org.owner)
    before = _counts()

    response = post(api, event(), signature=header)

    assert response.status_code == 401, why
    assert response.json()["code"] == "bad_signature"
    assert _counts() == before


def test_a_body_signed_with_another_secret_is_refused(api, org):
    client(org.owner)
    before = _counts()

    response = post(api, event(), secret="another-secret")

    assert response.status_code == 401
    assert _counts() == before


def test_a_tampered_body_is_refused(api, org):
    client(org.owner)
    body = json.dumps(event()).encode()
    signature = sign(body)
    tampered = body.replace(b"125", b"999")
    before = _counts()

    response = post(api, tampered, signature=signature)

    assert response.status_code == 401
    assert _counts() == before


def test_without_a_configured_secret_every_post_is_refused(api, org, settings):
    settings.KAM_TELEPHONY_SECRET = ""
    body = json.dumps(event()).encode()

    response = post(api, body, signature=sign(body, ""))

    assert response.status_code == 401
    assert Call.objects.count() == 0


def test_a_session_does_not_replace_the_signature(api_as, org):
    response = post(api_as(org.admin), event(), signature="")

    assert response.status_code == 401
    assert Call.objects.count() == 0


def test_a_body_over_the_limit_is_refused_before_anything_else(api, org, settings):
    settings.KAM_TELEPHONY_MAX_BYTES = 100
    body = json.dumps(event(call_id="x" * 90)).encode()

    response = post(api, body)

    assert response.status_code == 413
    assert Call.objects.count() == 0


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"from": "not a number"}, "from", "not a number is not a valid phone number"),
        ({"to": None}, "to", "This field is required."),
        ({"direction": "sideways"}, "direction", '"sideways" is not a valid choice.'),
        ({"start": "yesterday"}, "start", "Give an ISO 8601 date and time."),
        ({"start": "2026-11-28T10:00:00"}, "start", "Give the UTC offset (+01:00 or Z)."),
        ({"start": "2030-01-01T10:00:00Z"}, "start", "The call cannot start in the future."),
        ({"duration": -1}, "duration", "Ensure this value is greater than or equal to 0."),
        (
            {"recording_url": "ftp://rec.example.com/a.mp3"},
            "recording_url",
            "Only http and https addresses.",
        ),
        ({"recording_url": "javascript:alert(1)"}, "recording_url", "Enter a valid URL."),
        ({"event": "exploded"}, "event", '"exploded" is not a valid choice.'),
        ({"call_id": "a b"}, "call_id", "This value does not match the required pattern."),
        ({"extra": 1}, "extra", "Unknown field."),
    ],
)
def test_bad_input_is_400_with_the_field_and_stores_nothing(api, org, changes, field, message):
    payload = event()
    for key, value in changes.items():
        if value is None:
            payload.pop(key)
        else:
            payload[key] = value

    response = post(api, payload)

    assert response.status_code == 400
    assert response.json()["fields"][field] == [message]
    assert Call.objects.count() == 0


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_400(api, org, body):
    response = post(api, body)

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert Call.objects.count() == 0


# --- idempotency and the life of a call -------------------------------------------------------


def test_the_same_event_posted_twice_is_one_call_and_one_activity(api, org):
    client(org.owner)
    line(org.owner)

    first = post(api, event())
    second = post(api, event())

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert Call.objects.count() == 1
    assert Activity.objects.filter(kind="call").count() == 1


def test_without_a_call_id_from_to_and_start_identify_the_call(api, org):
    client(org.owner)
    line(org.owner)

    post(api, event(call_id=None))
    # The same moment written in another offset is the same call.
    again = post(api, event(call_id=None, start="2026-11-28T09:00:00Z"))
    other = post(api, event(call_id=None, start="2026-11-28T09:05:00Z"))

    assert (again.status_code, other.status_code) == (200, 201)
    assert Call.objects.count() == 2
    assert Activity.objects.filter(kind="call").count() == 2


def test_ringing_then_answered_then_ended_is_one_call_logged_when_it_ends(api, org):
    client(org.owner)
    line(org.owner)

    ringing = post(api, event(event="ringing", duration=None))
    assert ringing.json()["state"] == "ringing"
    assert ringing.json()["activity"] is None
    answered = post(api, event(event="answered", duration=None))
    assert answered.json()["state"] == "answered"
    ended = post(api, event(event="ended", duration=61))

    assert ended.status_code == 200
    call = Call.objects.get()
    assert (call.state, call.duration_seconds) == ("ended", 61)
    assert Activity.objects.get(kind="call").duration_seconds == 61


def test_a_late_event_never_moves_a_call_back(api, org):
    client(org.owner)
    line(org.owner)
    post(api, event(event="ended", duration=30))

    late = post(api, event(event="ringing", duration=None))

    assert late.status_code == 200
    assert late.json()["state"] == "ended"
    assert Call.objects.get().duration_seconds == 30
    assert Activity.objects.filter(kind="call").count() == 1


def test_a_missed_call_is_logged_as_missed_without_duration(api, org):
    client(org.owner)
    line(org.owner)
    post(api, event(event="ringing", duration=None))

    post(api, event(event="missed", duration=None))

    activity = Activity.objects.get(kind="call")
    assert activity.subject == "Missed call from Jens Weber"
    assert (activity.outcome, activity.duration_seconds, activity.ends_at) == ("Missed", 0, None)


def test_an_outbound_call_matches_the_called_number_and_the_calling_line(api, org):
    account, contact = client(org.owner)
    line(org.owner, number="201")

    response = post(
        api, event(direction="outbound", **{"from": "201", "to": "+49301234567"}, call_id="o-1")
    )

    assert response.status_code == 201
    call = Call.objects.get()
    assert (call.user, call.contact, call.account) == (org.owner, contact, account)
    assert call.activity.subject == "Outgoing call to Jens Weber"
    assert call.activity.direction == "outbound"


# --- matching ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["030 1234567", "+49 30 1234567", "0049301234567", "+49301234567"]
)
def test_a_caller_is_found_whatever_the_format_of_his_number(api, org, number):
    _account, contact = client(org.owner)

    post(api, event(**{"from": number}))

    assert Call.objects.get().contact == contact


def test_an_account_number_matches_the_account_without_a_contact(api, org):
    account = account_services.account_create(
        user=org.owner, data={"name": "Initech", "country": "DE", "phones": ["089 555 000"]}
    )

    post(api, event(**{"from": "+4989555000"}))

    call = Call.objects.get()
    assert (call.account, call.contact) == (account, None)
    assert call.activity.subject == "Incoming call from +4989555000"
    assert list(call.activity.contacts.all()) == []


def test_an_unknown_number_is_kept_as_a_call_without_an_activity(api, org):
    line(org.owner)

    response = post(api, event(**{"from": "+44 20 7946 0000"}))

    assert response.status_code == 201
    call = Call.objects.get()
    assert (call.from_number, call.contact, call.account, call.activity) == (
        "+442079460000",
        None,
        None,
        None,
    )
    assert call.user == org.owner
    assert Activity.objects.count() == 0


def test_a_withheld_number_is_recorded_as_such(api, org):
    line(org.owner)

    post(api, event(**{"from": "anonymous"}))

    call = Call.objects.get()
    assert (call.from_number, call.account) == ("", None)


def test_among_several_contacts_with_the_number_the_one_the_callee_may_see_wins(api, org):
    client(org.other, name="Other's client")
    _account, mine = client(org.owner, name="Owner's client")
    # The other manager's contact is the most recently changed one.
    client(org.other, name="Newest")
    line(org.owner)

    post(api, event())

    assert Call.objects.get().contact == mine


def test_the_activity_is_the_account_owners_when_the_callee_may_not_change_the_account(api, org):
    account, _contact = client(org.owner)
    line(org.other)

    post(api, event())

    call = Call.objects.get()
    assert call.user == org.other
    assert call.activity.owner == org.owner


def test_an_inactive_line_rings_nobody(api, org):
    client(org.owner)
    line(org.peer).__class__.objects.update(is_active=False)

    post(api, event())

    call = Call.objects.get()
    assert call.user is None
    assert call.activity.owner == org.owner


def test_the_activity_creation_is_audited_under_its_owner(api, org):
    client(org.owner)
    line(org.owner)

    post(api, event())

    activity = Activity.objects.get(kind="call")
    entry = LogEntry.objects.get_for_object(activity).get(action=LogEntry.Action.CREATE)
    assert entry.actor == org.owner


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_one_call_make_one_call_and_one_activity(org, settings):
    from django.db import connection, connections
    from rest_framework.test import APIClient

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent writers (SQLite serialises them)")
    client(org.owner)
    line(org.owner)
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def deliver() -> None:
        try:
            barrier.wait(timeout=10)
            statuses.append(post(APIClient(), event()).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200, 200, 200, 201]
    assert Call.objects.count() == 1
    assert Activity.objects.filter(kind="call").count() == 1


def test_a_call_whose_account_owner_left_is_kept_without_an_activity(api, org):
    client(org.owner)
    line(org.other)
    org.owner.is_active = False
    org.owner.save()

    response = post(api, event())

    assert response.status_code == 201
    call = Call.objects.get()
    assert (call.user, call.activity) == (org.other, None)
    assert Activity.objects.count() == 0


def test_posts_over_the_rate_are_429_and_store_nothing(api, org, settings):
    from django.core.cache import cache

    settings.KAM_TELEPHONY_RATE = "2/min"
    cache.clear()
    try:
        codes = [post(api, event(call_id=f"r-{index}")).status_code for index in range(3)]
    finally:
        cache.clear()

    assert codes == [201, 201, 429]
    assert sorted(Call.objects.values_list("provider_call_id", flat=True)) == ["r-0", "r-1"]

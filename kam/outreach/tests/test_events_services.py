"""Events: create, edit (versioned), trash; who sees and changes which event."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry

from kam.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from kam.outreach.models import Event
from kam.outreach.selectors.events import event_list
from kam.outreach.services.events import EventError, event_create, event_delete, event_update
from kam.outreach.tests.event_factories import make_event

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
END = datetime(2027, 3, 3, 18, 0, tzinfo=UTC)


def _data(**extra):
    return {
        "name": "  Hannover Messe  ",
        "kind": "exhibition",
        "starts_at": START,
        "ends_at": END,
        "place": "Hall 7",
        "budget": "15000.50",
        "currency": "eur",
        **extra,
    }


def test_create_keeps_the_fields_normalised_with_the_creator_as_owner_and_audits(org):
    event = event_create(user=org.owner, data=_data(staff=[org.peer.pk]))

    event.refresh_from_db()
    assert (event.name, event.kind, event.place) == ("Hannover Messe", "exhibition", "Hall 7")
    assert (event.starts_at, event.ends_at) == (START, END)
    assert (event.budget, event.currency) == (Decimal("15000.50"), "EUR")
    assert event.owner == org.owner
    assert list(event.staff.all()) == [org.peer]
    entry = LogEntry.objects.get_for_object(event).get(action=LogEntry.Action.CREATE)
    assert entry.actor == org.owner


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"ends_at": datetime(2027, 2, 28, tzinfo=UTC)}, "ends_at"),
        ({"budget": "-1"}, "budget"),
        ({"budget": "lots"}, "budget"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "E1R"}, "currency"),
        ({"name": "   "}, "name"),
        ({"kind": "party"}, "kind"),
        ({"colour": "red"}, "colour"),
        ({"staff": [999999]}, "staff"),
        ({"staff": ["x"]}, "staff"),
        ({"owner": "abc"}, "owner"),
        ({"owner": None}, "owner"),
    ],
)
def test_create_refuses_bad_values_naming_the_field_and_writes_nothing(org, extra, field):
    with pytest.raises(EventError) as error:
        event_create(user=org.owner, data=_data(**extra))

    assert field in error.value.fields
    assert Event.all_objects.count() == 0


def test_an_auditor_cannot_create_an_event(org):
    with pytest.raises(PermissionDeniedError):
        event_create(user=org.auditor, data=_data())
    assert Event.all_objects.count() == 0


def test_only_the_head_of_sales_gives_an_event_to_someone_else(org):
    with pytest.raises(PermissionDeniedError):
        event_create(user=org.owner, data=_data(owner=org.other.pk))

    event = event_create(user=org.sales_head, data=_data(owner=org.other.pk))

    assert event.owner == org.other


def test_update_with_the_version_read_saves_and_bumps_it(org):
    event = make_event(org.owner)

    updated = event_update(
        user=org.owner, event=event, expected_version=1, data={"place": "Hall 9", "budget": "0"}
    )

    assert (updated.place, updated.budget, updated.version) == ("Hall 9", Decimal("0"), 2)


def test_a_stale_update_is_a_conflict_with_the_current_values_and_changes_nothing(org):
    event = make_event(org.owner)
    event_update(user=org.owner, event=event, expected_version=1, data={"place": "Hall 9"})

    with pytest.raises(ConflictError) as error:
        event_update(user=org.lead, event=event, expected_version=1, data={"place": "Hall 1"})

    assert error.value.extra["current"]["place"] == "Hall 9"
    assert error.value.extra["version"] == 2
    event.refresh_from_db()
    assert event.place == "Hall 9"


def test_update_checks_the_dates_against_the_stored_ones(org):
    event = make_event(org.owner, starts_at=START)

    with pytest.raises(EventError) as error:
        event_update(
            user=org.owner,
            event=event,
            expected_version=1,
            data={"ends_at": datetime(2027, 2, 1, tzinfo=UTC)},
        )

    assert list(error.value.fields) == ["ends_at"]


def test_staff_change_the_event_others_do_not_and_learn_nothing(org):
    event = make_event(org.owner, staff=(org.kam,))

    event_update(user=org.kam, event=event, expected_version=1, data={"place": "Stand 3"})
    with pytest.raises(NotFoundError):
        event_update(user=org.other, event=event, expected_version=2, data={"place": "X"})
    with pytest.raises(PermissionDeniedError):
        event_update(user=org.auditor, event=event, expected_version=2, data={"place": "X"})
    with pytest.raises(PermissionDeniedError):
        event_update(user=org.marketing, event=event, expected_version=2, data={"place": "X"})

    event.refresh_from_db()
    assert (event.place, event.version) == ("Stand 3", 2)


def test_who_sees_which_events(org):
    mine = make_event(org.owner, name="Mine")
    staffed = make_event(org.other, name="Staffed", staff=(org.owner,))
    make_event(org.other, name="Theirs")

    def names(user):
        return sorted(event_list(user=user).values_list("name", flat=True))

    assert names(org.owner) == ["Mine", "Staffed"]
    assert names(org.lead) == ["Mine"]  # his team member's
    assert names(org.other) == ["Staffed", "Theirs"]
    assert names(org.sales_head) == ["Mine", "Staffed", "Theirs"]
    assert names(org.auditor) == ["Mine", "Staffed", "Theirs"]
    assert names(org.marketing) == ["Mine", "Staffed", "Theirs"]
    assert names(org.staff) == []
    assert mine.pk != staffed.pk


def test_delete_moves_the_event_to_the_trash_and_only_its_owner_may(org):
    event = make_event(org.owner, staff=(org.peer,))

    with pytest.raises(PermissionDeniedError):
        event_delete(user=org.peer, event=event)  # staff work the event, do not delete it
    event_delete(user=org.owner, event=event)

    assert Event.objects.filter(pk=event.pk).count() == 0
    assert Event.all_objects.get(pk=event.pk).deleted_by == org.owner

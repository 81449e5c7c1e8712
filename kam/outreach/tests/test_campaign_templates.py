"""Campaign subjects and bodies: validated at save, rendered in a sandbox that reaches only the
recipient's plain values, previewed for one contact."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from kam.accounts.choices import Channel
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.catalog.models import Product
from kam.core.errors import NotFoundError, PermissionDeniedError
from kam.outreach import choices
from kam.outreach.services import campaign_templates as templates
from kam.outreach.services import campaigns as services
from kam.outreach.tests.factories import EventFactory, consent

pytestmark = pytest.mark.django_db


def _data(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Launch",
        "kind": choices.CampaignKind.NEW_PRODUCT,
        "subject": "Hello {{ contact.first_name }}",
        "body": "Dear {{ contact.full_name }} of {{ account.name }}",
        "channels": [Channel.EMAIL],
        **extra,
    }


@pytest.fixture
def contact(org: Any) -> Any:
    account = AccountFactory(owner=org.owner, name="Acme GmbH")
    person = ContactFactory(
        account=account, first_name="Anna", last_name="Berg", emails=["anna@acme.example"]
    )
    consent(person, Channel.EMAIL)
    return person


@pytest.mark.parametrize(
    ("field", "source", "message"),
    [
        ("subject", "Hi {{ contact.first_name|nofilter }}", "invalid filter"),
        ("body", "{{ contact.__class__ }}", "underscore"),
        ("body", "{% if contact.first_name %}no end", "endif"),
        ("body", "{% load static %}", "load"),
        ("body", "{% include 'base.html' %}", "include"),
        ("body", "{% debug %}", "debug"),
        ("body", "{% url 'accounts:account_list' %}", "url"),
        ("body", "{{ contact.first_name|ljust:'100000000' }}", "ljust"),
    ],
)
def test_a_bad_or_unsafe_template_is_a_field_error(
    org: Any, field: str, source: str, message: str
) -> None:
    with pytest.raises(services.CampaignError) as error:
        services.campaign_create(user=org.owner, data=_data(**{field: source}))
    assert list(error.value.fields) == [field]
    assert error.value.fields[field][0].startswith("The template is not valid: ")
    assert message in error.value.fields[field][0].lower()


def test_traversal_to_the_owner_or_any_model_reaches_nothing(org: Any, contact: Any) -> None:
    body = (
        "[{{ contact.account.owner.password }}][{{ account.owner }}][{{ contact.pk }}]"
        "[{{ account.contacts.all }}][{{ campaign.owner.email }}]"
        "[{{ contact.clear }}][{{ contact.first_name }}]"
    )
    campaign = services.campaign_create(user=org.owner, data=_data(body=body))
    preview = services.campaign_preview(user=org.owner, campaign=campaign, contact_id=contact.pk)
    assert preview["body"] == "[][][][][][][Anna]"


def test_the_context_holds_plain_read_only_values(org: Any, contact: Any) -> None:
    campaign = services.campaign_create(user=org.owner, data=_data())
    context = templates.recipient_context(
        campaign=campaign, contact=contact, account=contact.account, token="tok"
    )
    assert dict(context["contact"]) == {  # type: ignore[arg-type]
        "first_name": "Anna",
        "last_name": "Berg",
        "middle_name": "",
        "full_name": "Anna Berg",
        "job_title": "",
        "email": "anna@acme.example",
    }
    with pytest.raises(TypeError):
        context["contact"]["first_name"] = "Eve"  # type: ignore[index]
    assert context["unsubscribe_url"].endswith("/tok/")
    assert context["rsvp_url"] == ""


def test_the_preview_renders_product_and_event_for_one_contact(org: Any, contact: Any) -> None:
    from kam.catalog.tests.factories import ProductFactory

    product: Product = ProductFactory(name="Turbo 3000", list_price=Decimal("99.50"))
    event = EventFactory(
        owner=org.owner,
        name="Hannover Messe",
        starts_at=datetime.datetime(2026, 12, 8, 9, 0, tzinfo=datetime.UTC),
    )
    campaign = services.campaign_create(
        user=org.owner,
        data=_data(
            subject="{{ product.name }} for\n{{ account.name }}",
            body="{{ product.name }} at {{ product.list_price }} {{ product.currency }}; "
            "see us at {{ event.name }} on {{ event.starts_at|date:'Y-m-d' }}: {{ rsvp_url }}",
            product=product.pk,
            event=event.pk,
        ),
    )
    preview = services.campaign_preview(user=org.owner, campaign=campaign, contact_id=contact.pk)
    assert preview["subject"] == "Turbo 3000 for Acme GmbH"
    assert preview["body"].startswith(
        "Turbo 3000 at 99.50 EUR; see us at Hannover Messe on 2026-12-08: "
    )
    assert preview["body"].endswith("/rsvp/preview/")
    assert (preview["channel"], preview["address"], preview["reason"]) == (
        "email",
        "anna@acme.example",
        "",
    )


def test_the_preview_of_a_contact_one_cannot_see_is_a_field_error(org: Any) -> None:
    stranger = ContactFactory(account=AccountFactory(owner=org.other))
    campaign = services.campaign_create(user=org.owner, data=_data())
    with pytest.raises(services.CampaignError) as error:
        services.campaign_preview(user=org.owner, campaign=campaign, contact_id=stranger.pk)
    assert error.value.fields == {"contact": ["Choose a contact you can see."]}


def test_a_subject_cannot_inject_header_lines(org: Any, contact: Any) -> None:
    contact.first_name = "Anna\r\nBcc: all@example.com"
    contact.save()
    campaign = services.campaign_create(user=org.owner, data=_data())
    preview = services.campaign_preview(user=org.owner, campaign=campaign, contact_id=contact.pk)
    assert preview["subject"] == "Hello Anna Bcc: all@example.com"


# --- Create and edit: the other field rules ----------------------------------------------------


def test_unknown_channels_and_fields_are_refused(org: Any) -> None:
    with pytest.raises(services.CampaignError) as error:
        services.campaign_create(user=org.owner, data=_data(channels=["phone"]))
    assert list(error.value.fields) == ["channels"]
    with pytest.raises(services.CampaignError) as error:
        services.campaign_create(user=org.owner, data=_data(owner=org.other))
    assert error.value.fields == {"owner": ["Unknown field."]}


def test_an_event_one_cannot_see_cannot_be_linked(org: Any) -> None:
    event = EventFactory(owner=org.other)
    with pytest.raises(services.CampaignError) as error:
        services.campaign_create(user=org.owner, data=_data(event=event.pk))
    assert error.value.fields == {"event": ["Choose one you can see."]}


def test_the_audience_query_must_be_contact_filters(org: Any) -> None:
    with pytest.raises(services.CampaignError) as error:
        services.campaign_create(user=org.owner, data=_data(audience_query="buying_role=pope"))
    assert error.value.fields == {"audience_query": ["These are not filters of the contact list."]}


def test_a_saved_contact_filter_is_snapshotted(org: Any) -> None:
    saved = services.saved_audience_create(user=org.owner, name="Deciders", query="q=Berg")
    campaign = services.campaign_create(user=org.owner, data=_data(audience_filter=saved.pk))
    assert (campaign.audience_filter, campaign.audience_query) == (saved, "q=Berg")
    saved.query = "q=Other"
    saved.save()
    campaign.refresh_from_db()
    assert campaign.audience_query == "q=Berg"


def test_someone_elses_private_saved_filter_is_refused(org: Any) -> None:
    saved = services.saved_audience_create(user=org.other, name="Mine", query="q=x")
    with pytest.raises(services.CampaignError) as error:
        services.campaign_create(user=org.owner, data=_data(audience_filter=saved.pk))
    assert error.value.fields == {"audience_filter": ["Choose a saved contact filter."]}


@pytest.mark.parametrize("role", ["auditor", "service", "staff"])
def test_roles_that_do_not_run_campaigns_cannot_create_one(org: Any, role: str) -> None:
    with pytest.raises(PermissionDeniedError):
        services.campaign_create(user=getattr(org, role), data=_data())


def test_a_stale_edit_is_a_conflict_and_a_launched_one_is_refused(org: Any) -> None:
    from kam.core.errors import ConflictError

    campaign = services.campaign_create(user=org.owner, data=_data())
    services.campaign_update(
        user=org.owner, campaign=campaign, expected_version=1, data={"name": "Renamed"}
    )
    with pytest.raises(ConflictError):
        services.campaign_update(
            user=org.owner, campaign=campaign, expected_version=1, data={"name": "Stale"}
        )
    campaign.refresh_from_db()
    assert (campaign.name, campaign.version) == ("Renamed", 2)
    with pytest.raises(NotFoundError):
        services.campaign_update(
            user=org.other, campaign=campaign, expected_version=2, data={"name": "X"}
        )
    services.campaign_launch(user=org.owner, campaign=campaign)
    with pytest.raises(services.CampaignStateError):
        services.campaign_update(
            user=org.owner, campaign=campaign, expected_version=2, data={"name": "Late"}
        )

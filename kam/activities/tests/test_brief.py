"""The meeting brief: what it tells, to whom, at what cost, and that its PDF carries the text."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.activities import brief as briefs
from kam.activities.tests.test_calendar_support import deal, interaction, meeting, task
from kam.sales.models import Need, Objection

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(org: Any) -> Any:
    """A meeting at a subsidiary with a Cyrillic name, people, an open deal and some history."""
    group = AccountFactory(owner=org.owner, name="Группа Север")
    account = AccountFactory(
        owner=org.owner,
        name="ООО Ромашка",
        parent=group,
        industry="Dairy",
        credit_limit=987654,
        tier="key",
    )
    AccountFactory(owner=org.owner, name="Ромашка Логистик", parent=account)
    AccountFactory(owner=org.other, name="Hidden Subsidiary", parent=account)
    account.team_members.add(org.marketing)
    ivan = ContactFactory(
        account=account,
        first_name="Иван",
        last_name="Петров",
        job_title="CFO",
        buying_role="economic_buyer",
    )
    opportunity = deal(account=account, owner=org.owner, title="Поставка 2027", amount=125000)
    Need.objects.create(deal=opportunity, description="Weekly deliveries", priority="high")
    Objection.objects.create(
        deal=opportunity, kind="price", description="Too expensive", answer="Volume bonus"
    )
    deal(account=account, owner=org.owner, title="Won already").__class__.objects.filter(
        title="Won already"
    ).update(status="won")
    interaction(account=account, owner=org.owner, subject="Called about volumes", days_ago=3)
    planned = meeting(account=account, owner=org.owner, subject="Годовой обзор", deal=opportunity)
    planned.contacts.add(ivan)
    planned.participants.add(org.peer)
    return planned


def test_brief_page_prepares_the_manager(client: Any, org: Any, review: Any) -> None:
    client.force_login(org.owner)

    response = client.get(f"/meetings/{review.pk}/brief/")

    page = response.content.decode()
    assert response.status_code == 200
    for expected in (
        "Годовой обзор",
        "ООО Ромашка",
        "Dairy",
        "Key",
        "Группа Север",  # parent
        "Ромашка Логистик",  # subsidiary
        "Иван Петров",
        "Economic buyer",
        str(org.peer),
        "Поставка 2027",
        "Weekly deliveries",
        "Too expensive",
        "Volume bonus",
        "Called about volumes",
        "987,654.00",  # the credit limit, for a role that may see it
    ):
        assert expected in page, expected
    assert "Hidden Subsidiary" not in page  # another manager's account
    assert "Won already" not in page  # closed deals are not in the brief
    assert f'href="/meetings/{review.pk}/brief.pdf"' in page


def test_brief_hides_confidential_fields_from_roles_without_them(
    client: Any, org: Any, review: Any
) -> None:
    client.force_login(org.marketing)  # on the account team, no confidential permission

    page = client.get(f"/meetings/{review.pk}/brief/").content.decode()

    assert "ООО Ромашка" in page
    assert "987,654" not in page
    assert "Credit limit" not in page


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 200),
        ("lead", 200),
        ("sales_head", 200),
        ("auditor", 200),
        ("admin", 200),
        ("other", 404),
        ("kam", 404),
        ("staff", 404),
        ("outsider", 404),
    ],
)
def test_brief_access_follows_the_meeting(
    client: Any, org: Any, review: Any, who: str, status: int
) -> None:
    client.force_login(getattr(org, who))

    page = client.get(f"/meetings/{review.pk}/brief/")
    pdf = client.get(f"/meetings/{review.pk}/brief.pdf")

    assert (page.status_code, pdf.status_code) == (status, status)
    if status == 404:
        assert "Ромашка" not in page.content.decode()


def test_brief_is_for_meetings_only_and_signed_in_users(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    todo = task(account=account, owner=org.owner, due=account.created_at)
    assert client.get(f"/meetings/{todo.pk}/brief/").status_code == 302  # to the sign-in
    client.force_login(org.owner)

    assert client.get(f"/meetings/{todo.pk}/brief/").status_code == 404
    assert client.get("/meetings/999999/brief/").status_code == 404


def test_a_meeting_owner_without_the_account_sees_only_its_name(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.other, name="Foreign Ltd", credit_limit=918273)
    foreign = meeting(account=account, owner=org.owner)
    client.force_login(org.owner)

    page = client.get(f"/meetings/{foreign.pk}/brief/").content.decode()

    assert "Foreign Ltd" in page
    assert "You may not open this account" in page
    assert "918,273" not in page


def test_brief_pdf_renders_cyrillic_names(client: Any, org: Any, review: Any) -> None:
    client.force_login(org.owner)

    response = client.get(f"/meetings/{review.pk}/brief.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "ООО Ромашка" in text
    assert "Иван Петров" in text
    assert "Поставка 2027" in text
    assert reader.metadata is not None
    assert reader.metadata.title == "Meeting brief: Годовой обзор"


def test_brief_costs_the_same_queries_whatever_the_history(
    client: Any, org: Any, review: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(org.lead)
    with django_assert_max_num_queries(20) as small:
        client.get(f"/meetings/{review.pk}/brief/")
    account = review.account
    for n in range(30):
        interaction(account=account, owner=org.owner, subject=f"Call {n}", days_ago=n + 1)
        more = deal(account=account, owner=org.owner, title=f"Deal {n}")
        Need.objects.create(deal=more, description=f"Need {n}")
        Objection.objects.create(deal=more, kind="timing", description=f"Later {n}")
        review.contacts.add(ContactFactory(account=account))
        AccountFactory(owner=org.owner, parent=account)

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(f"/meetings/{review.pk}/brief/")

    recent = next(s for s in response.context["brief"].sections if s.key == "recent")
    subjects = [row[2] for row in recent.blocks[0].rows]
    assert len(subjects) == briefs.RECENT_INTERACTIONS
    assert subjects[:3] == ["Call 0", "Call 1", "Call 2"]
    assert "Call 9" not in subjects


def test_a_higher_app_adds_a_section(client: Any, org: Any, review: Any) -> None:
    def open_orders(context: briefs.BriefContext) -> list[briefs.Block]:
        return [briefs.Table(columns=["Order"], rows=[[f"Order for {context.account.name}"]])]

    briefs.register_brief_section(briefs.BriefSource("orders", "Open orders", open_orders, 50))
    try:
        client.force_login(org.owner)
        page = client.get(f"/meetings/{review.pk}/brief/").content.decode()
        pdf = client.get(f"/meetings/{review.pk}/brief.pdf").content
    finally:
        briefs._sources.pop("orders")

    assert "Open orders" in page
    assert page.index("Open orders") < page.index("Recent interactions")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Order for ООО Ромашка" in text

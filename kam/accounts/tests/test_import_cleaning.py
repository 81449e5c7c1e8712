"""The importer's cleaner gives exactly the validation module's answers (values and messages)."""

from __future__ import annotations

import random
from itertools import product
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from kam.accounts import services, validation
from kam.accounts.errors import AccountError
from kam.accounts.importing.cleaning import Cleaner
from kam.accounts.models import CustomField

CLEANER = Cleaner()


def verdict(clean: Any, *args: Any) -> tuple[str, Any]:
    try:
        return ("ok", clean(*args))
    except ValidationError as error:
        return ("error", error.messages)


DOMAINS = ["example.com", "EXAMPLE.org", "x", "a.b", "localhost", "test.test",
           "xn--80ak6aa92e.com", "ab--cd.com", "-x.de", "x-.de", "1.2", "x.123", "ex.ample.",
           "münchen.de", "a_b.de", "mail.invalid", "sub.domain.co.uk", "x" * 64 + ".com",
           ("a" * 60 + ".") * 5 + "de", "Alpha-Beta-1.EXAMPLE"]  # fmt: skip


def random_texts(alphabet: str, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(alphabet, k=rng.randint(0, 12))) for _ in range(count)]


def test_emails_get_email_validators_verdict() -> None:
    locals_ = [
        "anna",
        "Anna.Ivanov.1",
        "a+b",
        "a_b%c-d",
        *random_texts("abX09_%+-.!#'\"é@ ", 60, 1),
    ]
    domains = [*DOMAINS, *random_texts("abz09.-_", 30, 2)]
    for local, domain, pad in product(locals_, domains, ["", " "]):
        value = f"{pad}{local}@{domain}{pad}"
        assert verdict(CLEANER.email, value) == verdict(validation.clean_email, value), value


@pytest.mark.parametrize(
    "value",
    [
        "Anna.Ivanov.1@Alpha-Beta-1.EXAMPLE",
        "a" * 64 + "@x.de",
        "a" * 65 + "@x.de",
        "a..b@x.de",
        ".a@x.de",
        "a.@x.de",
        "a@b@x.de",
        "user+tag@sub.example.co.uk",
        "A+b@xn--80ak6aa92e.com",
        "x@" + "a" * 63 + ".de",
        "x@" + "a" * 64 + ".de",
        "",
        "@x.de",
    ],
)
def test_edge_emails(value: str) -> None:
    assert verdict(CLEANER.email, value) == verdict(validation.clean_email, value)


@pytest.mark.parametrize(
    ("value", "region"),
    [("030 1234567", "DE"), ("+7 495 123-45-67", None), ("12", "DE"), ("030 1234567", None),
     ("(212) 555-0100", "US"), ("abc", "FR")],
)  # fmt: skip
def test_phones_get_the_validation_modules_verdict_twice(value: str, region: str | None) -> None:
    expected = verdict(validation.clean_phone, value, region)

    assert verdict(CLEANER.phone, value, region) == expected
    assert verdict(CLEANER.phone, value, region) == expected  # from the cache


def _service_verdict(clean: Any, data: dict[str, Any], **kwargs: Any) -> tuple[str, Any]:
    try:
        return ("ok", clean(data, **kwargs))
    except AccountError as error:
        return ("error", error.fields)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"name": "Acme", "emails": "a@acme.de; bad", "phones": "12, 030 1234567",
         "tax_number": "DE 1", "country": "DE", "custom": {"size": "x", "nope": 1}},
        {"name": "", "emails": ["ok@x.de", "ok@x.de"], "custom": {"size": "12.5"}},
        {"name": "Fine", "website": "fine.de", "phones": "+49 30 1234567"},
        {"name": "Fine", "custom": "not a dict"},
        {"name": "Needs", "custom": {}},
    ],
)  # fmt: skip
def test_accounts_are_cleaned_as_the_service_cleans_them(data: dict[str, Any]) -> None:
    CustomField.objects.create(applies_to="account", key="size", label="Size", field_type="number")
    CustomField.objects.create(
        applies_to="account", key="code", label="Code", field_type="text", is_required=True
    )
    region = str(data.get("country") or "") or None
    mine = _service_verdict(
        lambda d: Cleaner().clean(
            services.clean_account_data, d, region=region, applies_to="account"
        ),
        dict(data),
    )

    assert mine == _service_verdict(services.clean_account_data, dict(data))


@pytest.mark.django_db
def test_contacts_are_cleaned_as_the_service_cleans_them() -> None:
    data = {"last_name": "", "emails": "x@y.de, nope", "phones": "495 123 45 67", "job_title": "B"}

    mine = _service_verdict(
        lambda d: Cleaner().clean(
            services.clean_contact_data, d, region="RU", applies_to="contact"
        ),
        dict(data),
    )

    assert mine == _service_verdict(services.clean_contact_data, dict(data), region="RU")


@pytest.mark.django_db
def test_built_instances_are_what_the_model_makes(org: Any) -> None:
    from datetime import date

    from kam.accounts.importing.instances import Builder
    from kam.accounts.models import Account, Contact

    values = {"last_name": "Petrov", "emails": ["p@x.de"], "owner_id": org.owner.pk,
              "birthday": date(1980, 1, 2), "do_not_contact": True}  # fmt: skip
    built, made = Builder(Contact)(values), Contact(**values)
    account = Builder(Account)({"name": "Acme", "country": "de", "owner_id": org.owner.pk})

    assert Builder(Contact).direct is True
    assert Builder(Account).direct is False  # a CountryField converts what it is given
    strip = ("_state", "created_at")
    assert {k: v for k, v in vars(built).items() if k not in strip} == {
        k: v for k, v in vars(made).items() if k not in strip
    }
    assert built._state.adding
    assert built.emails is not Builder(Contact)({}).emails
    assert (account.name, str(account.country)) == ("Acme", "DE")

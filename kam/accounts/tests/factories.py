from __future__ import annotations

import factory

from kam.accounts import choices
from kam.accounts.models import Account, Contact
from kam.users.tests.factories import UserFactory


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Company {n}")
    owner = factory.SubFactory(UserFactory)
    kind = choices.Kind.CUSTOMER
    status = choices.Status.ACTIVE
    name_key = factory.LazyAttribute(lambda a: a.name.lower())


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    first_name = "Ivan"
    last_name = factory.Sequence(lambda n: f"Petrov{n}")
    buying_role = choices.BuyingRole.DECISION_MAKER

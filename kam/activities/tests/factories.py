from __future__ import annotations

import factory
from django.utils import timezone

from kam.accounts.tests.factories import AccountFactory
from kam.activities import choices
from kam.activities.models import Activity


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    kind = choices.Kind.CALL
    account = factory.SubFactory(AccountFactory)
    owner = factory.SelfAttribute("account.owner")
    subject = factory.Sequence(lambda n: f"Call {n}")
    status = choices.Status.DONE
    occurred_at = factory.LazyFunction(timezone.now)


class TaskFactory(ActivityFactory):
    kind = choices.Kind.TASK
    subject = factory.Sequence(lambda n: f"Task {n}")
    status = choices.Status.PLANNED
    due_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=1))
    occurred_at = factory.SelfAttribute("due_at")
    assignee = factory.SelfAttribute("owner")

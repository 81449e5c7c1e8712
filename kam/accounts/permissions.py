from __future__ import annotations

from typing import Any

from kam.accounts.models import Account, Contact
from kam.core.access import Action, get_for


def access_account(*, user: Any, account_id: Any, action: Action = "view") -> Account:
    account: Account = get_for(user, Account.objects.all(), account_id, action)
    return account


def access_contact(*, user: Any, contact_id: Any, action: Action = "view") -> Contact:
    contact: Contact = get_for(user, Contact.objects.select_related("account"), contact_id, action)
    return contact

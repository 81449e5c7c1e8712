"""The roles of DESIGN.md section 4 and what each may do across all records.

Row-level rules live in `kam.core.access`; this module only names the roles and their
capabilities so that every layer (users, access, API, UI) reads them from one place.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    KEY_ACCOUNT_MANAGER = "key_account_manager", _("Key-account manager")
    SALES_HEAD = "sales_head", _("Head of sales")
    SERVICE_AGENT = "service_agent", _("Service agent")
    MARKETING = "marketing", _("Marketing")
    DEPARTMENT_STAFF = "department_staff", _("Department staff")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


# Roles that see every row of every business model.
SEE_ALL = frozenset({Role.SALES_HEAD, Role.AUDITOR, Role.ADMIN})
# Roles that may change and delete every row.
CHANGE_ALL = frozenset({Role.SALES_HEAD, Role.ADMIN})
# Roles whose reach is their department's work (plus what is assigned to them).
DEPARTMENT_SCOPED = frozenset({Role.SERVICE_AGENT, Role.DEPARTMENT_STAFF})
# Roles that may read confidential fields (special conditions, credit limits, margins...).
SEE_CONFIDENTIAL = frozenset(
    {Role.ACCOUNT_MANAGER, Role.KEY_ACCOUNT_MANAGER, Role.SALES_HEAD, Role.AUDITOR, Role.ADMIN}
)
# Roles that may never write anything.
READ_ONLY = frozenset({Role.AUDITOR})
# Roles that manage the organisation: users, teams, departments, purging the trash.
ADMINISTER = frozenset({Role.ADMIN})

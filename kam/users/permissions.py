from __future__ import annotations

from typing import Any

from kam.core.access import Action, get_for
from kam.users.models import Department, Team


def access_team(*, user: Any, team_id: Any, action: Action = "view") -> Team:
    team: Team = get_for(user, Team.objects.all(), team_id, action)
    return team


def access_department(*, user: Any, department_id: Any, action: Action = "view") -> Department:
    department: Department = get_for(user, Department.objects.all(), department_id, action)
    return department

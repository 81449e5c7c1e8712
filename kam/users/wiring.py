"""What the users app plugs into core: audit registration, navigation, search."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.core import access, audit, registry


def _search_people(user: Any, query: str, limit: int) -> list[registry.SearchHit]:
    from kam.users.models import Team, User

    hits = [
        registry.SearchHit(
            kind=str(_("Team")),
            title=team.name,
            url=reverse("users:team_detail", args=[team.pk]),
            score=1.0 if team.name.lower().startswith(query.lower()) else 0.5,
        )
        for team in Team.objects.visible_to(user).filter(name__icontains=query)[:limit]
    ]
    if access.can_administer(user):
        people = User.objects.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
        )[:limit]
        hits.extend(
            registry.SearchHit(
                kind=str(_("User")),
                title=str(person),
                subtitle=person.get_role_display(),
                url=reverse("users:user_list") + f"?q={person.username}",
                score=0.6,
            )
            for person in people
        )
    return hits


def connect() -> None:
    from kam.users.models import Department, Team, User

    audit.register(Department)
    audit.register(Team)
    audit.register(
        User,
        include=(
            "username",
            "first_name",
            "last_name",
            "email",
            "phone",
            "role",
            "team",
            "department",
            "is_active",
            "is_staff",
            "is_superuser",
            "timezone",
            "language",
        ),
    )
    registry.register_nav(registry.NavItem("home", _("Home"), "core:home", "house", order=0))
    registry.register_nav(
        registry.NavItem("teams", _("Teams"), "users:team_list", "people", order=900)
    )
    registry.register_nav(
        registry.NavItem(
            "users",
            _("Users"),
            "users:user_list",
            "person-gear",
            order=910,
            visible=access.can_administer,
        )
    )
    registry.register_search("people", _search_people)

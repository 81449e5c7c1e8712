from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.core import access
from kam.core.errors import ConflictError, NotFoundError
from kam.core.forms import rearm_after_conflict
from kam.core.http import KamRequest
from kam.core.selectors import record_history
from kam.users import selectors, services
from kam.users.forms import KamPasswordChangeForm, LoginForm, ProfileForm
from kam.users.models import User
from kam.users.permissions import access_team


class LoginView(auth_views.LoginView):
    template_name = "users/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "users/password_change.html"
    form_class = KamPasswordChangeForm
    success_url = reverse_lazy("users:profile")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        messages.success(self.request, _("Your password was changed."))
        return super().form_valid(form)


@login_required
def profile(request: KamRequest) -> HttpResponse:
    # A copy: an invalid form must not leave typed values on request.user (the header shows it).
    user = User.objects.get(pk=request.user.pk)
    if request.method == "POST" and "calendar_feed" in request.POST:
        return _calendar_feed_change(request, user)
    form = ProfileForm(request.POST or None, instance=user, initial={"version": user.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in ProfileForm.Meta.fields}
        try:
            services.user_update(
                user=user,
                expected_version=form.cleaned_data["version"],
                changes=changes,
                actor=user,
            )
        except ConflictError as error:
            form.add_error(None, error.message)
            conflict = rearm_after_conflict(form, request.POST, error) or {}
        else:
            messages.success(request, _("Your profile was saved."))
            return redirect("users:profile")
    return render(
        request,
        "users/profile.html",
        {
            "form": form,
            "conflict": conflict,
            "calendar_feed_url": _calendar_feed_url(request, user),
        },
    )


def _calendar_feed_url(request: HttpRequest, user: User) -> str | None:
    path = user.calendar_feed_path()
    return None if path is None else request.build_absolute_uri(path)


def _calendar_feed_change(request: KamRequest, user: User) -> HttpResponse:
    """The profile's calendar feed buttons: a new address, or none at all."""
    change = request.POST["calendar_feed"]
    if change == "regenerate":
        services.calendar_feed_regenerate(user=user, actor=request.user)
        notice = _("Your calendar has a new address; the previous one no longer works.")
    elif change == "revoke":
        services.calendar_feed_revoke(user=user, actor=request.user)
        notice = _("Your calendar feed is switched off; its address no longer works.")
    else:
        return HttpResponseBadRequest(_("Unknown calendar feed action."))
    if request.htmx:
        context = {"calendar_feed_url": _calendar_feed_url(request, user), "notice": notice}
        return render(request, "users/partials/_calendar_feed.html", context)
    messages.success(request, notice)
    return redirect("users:profile")


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    teams = selectors.team_list(user=request.user)
    return render(request, "users/team_list.html", {"teams": teams})


@login_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = access_team(user=request.user, team_id=pk)
    members = team.members.filter(is_active=True).order_by("last_name", "first_name")
    return render(
        request,
        "users/team_detail.html",
        {
            "team": team,
            "members": members,
            "history": record_history(user=request.user, record=team),
        },
    )


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    if not access.sees_all(request.user):
        raise NotFoundError()
    users = selectors.user_list(user=request.user)
    query = request.GET.get("q", "").strip()
    if query:
        users = users.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
        )
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(request, "users/user_list.html", {"page": page, "query": query})


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notification_list(user=request.user), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "users/notification_list.html", {"page": page})


@login_required
@require_POST
def notifications_mark_read(request: KamRequest) -> HttpResponse:
    services.notifications_mark_read(user=request.user)
    if request.htmx:
        return render(request, "users/partials/_notification_badge.html", {"unread_count": 0})
    return redirect("users:notification_list")

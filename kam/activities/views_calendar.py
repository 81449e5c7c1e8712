"""The calendar feed (token, no session), meeting invitations and the meeting brief pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kam.activities import brief as briefs
from kam.activities import calendar
from kam.core.errors import ApplicationError
from kam.core.http import KamRequest


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private iCalendar feed: the token is the credential, so it must never reach a log."""
    user = calendar.feed_owner(token=token)
    if user is None:
        missing = HttpResponseNotFound(b"Not found.", content_type="text/plain")
        # Django logs every 4xx with the request path, which here carries the (guessed) token.
        missing._has_been_logged = True  # type: ignore[attr-defined]
        return missing
    base_url = request.build_absolute_uri("/").rstrip("/")
    with translation.override(user.language or None):
        body = calendar.feed_ics(user=user, base_url=base_url)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="kam.ics"'
    response["Cache-Control"] = "private, no-cache"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@login_required
def brief(request: KamRequest, pk: int) -> HttpResponse:
    meeting_brief = briefs.meeting_brief(user=request.user, meeting_id=pk)
    return render(request, "activities/brief.html", {"brief": meeting_brief})


@login_required
def brief_pdf(request: KamRequest, pk: int) -> HttpResponse:
    meeting_brief = briefs.meeting_brief(user=request.user, meeting_id=pk)
    response = HttpResponse(briefs.brief_pdf(meeting_brief), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="meeting-brief-{pk}.pdf"'
    return response


@login_required
@require_POST
def invite(request: KamRequest, pk: int) -> HttpResponse:
    """Send (or re-send, or cancel) the meeting's invitations; answers a fragment to htmx."""
    try:
        meeting = calendar.meeting_invitations_queue(meeting_id=pk, user=request.user)
    except ApplicationError as error:
        if error.status_code in (403, 404):
            raise
        return _invite_answer(request, pk, error=error.message)
    attendees, skipped = calendar.meeting_recipients(meeting)
    return _invite_answer(request, pk, attendees=attendees, skipped=skipped, meeting=meeting)


def _invite_answer(request: KamRequest, pk: int, **context: object) -> HttpResponse:
    if request.htmx:
        return render(request, "activities/calendar_invite_result.html", context)
    if context.get("error"):
        messages.error(request, str(context["error"]))
    elif context.get("attendees"):
        messages.success(request, _("The invitations are on their way."))
    else:
        messages.warning(request, _("Nobody to invite: no participant has an e-mail address."))
    return redirect("calendar:brief", pk=pk)

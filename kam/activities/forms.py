from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import Account, Contact
from kam.activities import choices
from kam.activities.models import Activity
from kam.core.forms import BootstrapFormMixin
from kam.sales.models import Deal

LOCAL = "%Y-%m-%dT%H:%M"


def _when(**attrs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL),
        input_formats=[LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        **attrs,
    )


class QuickLogForm(BootstrapFormMixin, forms.Form):
    """The compact form on the account and deal pages: log what happened or plan what comes.

    A time in the future plans a call, meeting or presentation; for a task it is the due time.
    """

    kind = forms.ChoiceField(label=_("Type"), choices=choices.Kind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=255)
    when = _when(label=_("When / due"))
    body = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    contact = forms.ModelChoiceField(
        label=_("Contact"), queryset=Contact.objects.none(), required=False
    )
    deal = forms.ModelChoiceField(label=_("Deal"), queryset=Deal.objects.none(), required=False)

    def __init__(self, *args: Any, user: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        fields: Any = self.fields
        fields["contact"].queryset = Contact.objects.visible_to(user).filter(account=account)
        fields["deal"].queryset = Deal.objects.visible_to(user).filter(
            account=account, status="open"
        )
        if not self.is_bound:
            self.initial.setdefault("when", timezone.localtime().strftime(LOCAL))

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        values: dict[str, Any] = {
            "kind": data["kind"],
            "account": self.account,
            "subject": data["subject"],
            "body": data["body"],
            "deal": data["deal"],
        }
        if data["contact"] is not None:
            values["contacts"] = [data["contact"]]
        if data["kind"] == choices.Kind.TASK:
            values["due_at"] = data["when"]
        else:
            values["occurred_at"] = data["when"]
            ahead = data["when"] > timezone.now() + timedelta(minutes=5)
            if ahead and data["kind"] in choices.PLANNABLE:
                values["status"] = choices.Status.PLANNED
        return values


class ActivityForm(BootstrapFormMixin, forms.Form):
    """Editing one activity; which fields apply depends on its kind (the service checks)."""

    subject = forms.CharField(label=_("Subject"), max_length=255)
    occurred_at = _when(label=_("When"))
    ends_at = _when(label=_("Ends at"), required=False)
    due_at = _when(label=_("Due"), required=False)
    remind_at = _when(label=_("Remind me at"), required=False)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=[("", "—"), *choices.Direction.choices], required=False
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=0, required=False
    )
    location = forms.CharField(label=_("Place"), max_length=255, required=False)
    agenda = forms.CharField(
        label=_("Agenda"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    outcome = forms.CharField(label=_("Outcome"), max_length=255, required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=choices.Priority.choices)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
    )
    body = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def initial_for(cls, activity: Activity) -> dict[str, Any]:
        initial = {
            name: getattr(activity, name) for name in cls.base_fields if hasattr(activity, name)
        }
        for name in ("occurred_at", "ends_at", "due_at", "remind_at"):
            value = getattr(activity, name)
            initial[name] = timezone.localtime(value).strftime(LOCAL) if value else None
        seconds = activity.duration_seconds
        initial["duration_minutes"] = None if seconds is None else round(seconds / 60)
        return initial

    def service_data(self, activity: Activity) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        minutes = data.pop("duration_minutes")
        data["duration_seconds"] = None if minutes is None else minutes * 60
        if not activity.is_task:
            data.pop("due_at")
            data.pop("assignee")
        return data

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from kam.core.errors import ApplicationError, ConflictError


class BootstrapFormMixin:
    """Bootstrap classes on every widget, and `is-invalid` on fields with errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                widget = self.fields[name].widget  # type: ignore[attr-defined]
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


def apply_errors(form: forms.BaseForm, error: ApplicationError) -> None:
    """A service's refusal onto the form: each message beside its field, the rest above it."""
    for field, messages in error.fields.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
    if not error.fields:
        form.add_error(None, error.message)


def rearm_after_conflict(form: forms.BaseForm, post: QueryDict, error: ConflictError) -> Any:
    """After a stale save, the form carries the stored version: the user has now seen the newer
    values, and saving again applies what he typed over them. Answers those stored values."""
    data = post.copy()
    data["version"] = str(error.extra["version"])
    form.data = data
    return error.extra.get("current")

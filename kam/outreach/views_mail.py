"""The mail pages: messages, writing an e-mail, the record panels, importing files, unknown
senders and mailboxes. Thin: parse, authorise, call a service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.accounts.permissions import access_account, access_contact
from kam.accounts.services import contact_create
from kam.core import access
from kam.core.errors import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from kam.core.forms import apply_errors, rearm_after_conflict
from kam.core.http import KamRequest
from kam.outreach.filters_mail import MessageFilterSet
from kam.outreach.forms_mail import (
    ComposeForm,
    ImportForm,
    MailboxEditForm,
    MailboxForm,
    SenderContactForm,
    TemplatePickForm,
)
from kam.outreach.permissions import access_mailbox, access_message
from kam.outreach.selectors import mail as selectors
from kam.outreach.services import mail_boxes, mail_in, mail_out
from kam.outreach.tasks.mail import poll_mailbox_task

PAGE = 50
PANEL_ROWS = 10


def _writes(request: KamRequest) -> bool:
    return access.is_active_user(request.user) and not access.is_read_only(request.user)


@login_required
def message_list(request: KamRequest) -> HttpResponse:
    filters = MessageFilterSet(request.GET, queryset=selectors.message_list(user=request.user))
    page = Paginator(filters.qs, PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "outreach/mail_message_list.html",
        {"filters": filters, "page": page, "can_import": _writes(request)},
    )


@login_required
def message_detail(request: KamRequest, pk: int) -> HttpResponse:
    message = access_message(user=request.user, message_id=pk)
    return render(
        request,
        "outreach/mail_message_detail.html",
        {
            "message": message,
            "thread": selectors.message_thread(user=request.user, message=message),
            "attachments": list(message.attachments.select_related("document")),
            "can_reply": message.contact is not None
            and access.can(request.user, message.contact, "change"),
        },
    )


def _compose_context(request: KamRequest, contact: Any) -> dict[str, Any]:
    templates = selectors.template_list(user=request.user)
    picked = TemplatePickForm(request.GET or None, templates=templates)
    initial: dict[str, Any] = {"deal": request.GET.get("deal")}
    if picked.is_valid() and picked.cleaned_data.get("template"):
        template = picked.cleaned_data["template"]
        initial.update(subject=template.subject, body=template.body)
    reply_to = None
    if request.GET.get("reply_to"):
        reply_to = access_message(user=request.user, message_id=request.GET["reply_to"])
        initial["subject"] = f"Re: {reply_to.subject}"
    return {"contact": contact, "picker": picked, "initial": initial, "reply_to": reply_to}


@login_required
def compose(request: KamRequest, pk: int) -> HttpResponse:
    """Write an e-mail to a contact; GET ?template= fills in a template, ?reply_to= a reply."""
    contact = access_contact(user=request.user, contact_id=pk, action="change")
    context = _compose_context(request, contact)
    form = ComposeForm(
        request.POST or None, user=request.user, account=contact.account, initial=context["initial"]
    )
    if request.method == "POST" and form.is_valid():
        draft = mail_out.Draft(
            contact=contact,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            cc=form.cc_list(),
            deal=form.cleaned_data.get("deal"),
            reply_to=context["reply_to"],
        )
        try:
            message = mail_out.message_send(user=request.user, draft=draft)
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("E-mail sent to %(name)s.") % {"name": contact})
            return redirect("outreach:mail_message_detail", pk=message.pk)
    return render(request, "outreach/mail_compose.html", {"form": form, **context})


@login_required
def contact_panel(request: KamRequest, pk: int) -> HttpResponse:
    contact = access_contact(user=request.user, contact_id=pk)
    rows = selectors.messages_for_record(user=request.user, contact=contact)
    return render(
        request,
        "outreach/_mail_panel.html",
        {
            "messages_": list(rows[:PANEL_ROWS]),
            "contact": contact,
            "can_write": access.can(request.user, contact, "change") and not contact.do_not_contact,
            "list_query": f"contact={contact.pk}",
        },
    )


@login_required
def account_panel(request: KamRequest, pk: int) -> HttpResponse:
    account = access_account(user=request.user, account_id=pk)
    rows = selectors.messages_for_record(user=request.user, account=account)
    return render(
        request,
        "outreach/_mail_panel.html",
        {
            "messages_": list(rows[:PANEL_ROWS]),
            "contact": None,
            "can_write": False,
            "list_query": f"account={account.pk}",
        },
    )


@login_required
def message_import(request: KamRequest) -> HttpResponse:
    if not _writes(request):
        raise NotFoundError()
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = mail_in.messages_import(
                user=request.user, data=upload.read(), filename=upload.name
            )
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("%(created)s imported, %(duplicates)s already there, %(malformed)s malformed.")
                % vars(result),
            )
            return redirect("outreach:mail_message_list")
    return render(request, "outreach/mail_import.html", {"form": form})


@login_required
def unknown_sender_list(request: KamRequest) -> HttpResponse:
    page = Paginator(selectors.unknown_senders(user=request.user), PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "outreach/mail_unknown_senders.html", {"page": page, "can_add": _writes(request)}
    )


def _split_name(name: str) -> tuple[str, str]:
    first, _sep, last = name.strip().rpartition(" ")
    return (first, last) if first else ("", last)


@login_required
def unknown_sender_contact(request: KamRequest) -> HttpResponse:
    """Create a contact from an unknown sender (prefilled), then link his messages to it."""
    if not _writes(request):
        raise NotFoundError()
    address = (request.GET.get("address") or "").strip().lower()
    sender = selectors.unknown_senders(user=request.user).filter(from_address=address).first()
    if sender is None:
        raise NotFoundError()
    first, last = _split_name(sender["name"] or "")
    initial = {
        "first_name": first,
        "last_name": last or address.partition("@")[0],
        "email": address,
    }
    form = SenderContactForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            contact = _create_sender_contact(request, form, address)
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Contact %(name)s created.") % {"name": contact})
            return redirect("accounts:contact_detail", pk=contact.pk)
    return render(request, "outreach/mail_sender_contact.html", {"form": form, "address": address})


@transaction.atomic
def _create_sender_contact(request: KamRequest, form: SenderContactForm, address: str) -> Any:
    data = {
        "account": form.cleaned_data["account"],
        "first_name": form.cleaned_data["first_name"],
        "last_name": form.cleaned_data["last_name"],
        "emails": [address],
    }
    contact = contact_create(user=request.user, data=data)
    mail_in.sender_link_contact(user=request.user, address=address, contact=contact)
    return contact


@login_required
def mailbox_list(request: KamRequest) -> HttpResponse:
    rows = [
        {"mailbox": box, "can_manage": mail_boxes.can_manage(request.user, box)}
        for box in selectors.mailbox_list(user=request.user)
    ]
    return render(
        request, "outreach/mail_mailbox_list.html", {"rows": rows, "can_add": _writes(request)}
    )


@login_required
def mailbox_create(request: KamRequest) -> HttpResponse:
    if not _writes(request):
        raise NotFoundError()
    form = MailboxForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mail_boxes.mailbox_create(
                user=request.user,
                data=form.service_data(),
                password=form.cleaned_data["password"],
                is_shared=form.cleaned_data["is_shared"],
            )
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Mailbox set up; it is read every minute."))
            return redirect("outreach:mail_mailbox_list")
    return render(request, "outreach/mail_mailbox_form.html", {"form": form})


@login_required
@require_POST
def mailbox_poll(request: KamRequest, pk: int) -> HttpResponse:
    mailbox = _managed_mailbox(request, pk)
    poll_mailbox_task.delay(mailbox.pk)
    messages.info(request, _("The mailbox is being read."))
    return redirect("outreach:mail_mailbox_list")


def _managed_mailbox(request: KamRequest, pk: int) -> Any:
    mailbox = access_mailbox(user=request.user, mailbox_id=pk)
    if not mail_boxes.can_manage(request.user, mailbox):
        raise PermissionDeniedError()
    return mailbox


def _mailbox_initial(mailbox: Any) -> dict[str, Any]:
    names = ("name", "email_address", "host", "port", "use_ssl", "username", "folder")
    return {
        **{name: getattr(mailbox, name) for name in names},
        "is_active": mailbox.is_active,
        "version": mailbox.version,
    }


@login_required
def mailbox_edit(request: KamRequest, pk: int) -> HttpResponse:
    mailbox = _managed_mailbox(request, pk)
    form = MailboxEditForm(request.POST or None, initial=_mailbox_initial(mailbox))
    if request.method == "POST" and form.is_valid():
        try:
            mail_boxes.mailbox_update(
                user=request.user,
                mailbox=mailbox,
                expected_version=form.cleaned_data["version"],
                data=form.service_data(),
                password=form.cleaned_data.get("password") or None,
            )
        except ConflictError as error:
            rearm_after_conflict(form, request.POST, error)
            apply_errors(form, error)
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Mailbox saved."))
            return redirect("outreach:mail_mailbox_list")
    return render(request, "outreach/mail_mailbox_form.html", {"form": form, "mailbox": mailbox})


@login_required
@require_POST
def mailbox_delete(request: KamRequest, pk: int) -> HttpResponse:
    mailbox = _managed_mailbox(request, pk)
    mail_boxes.mailbox_delete(user=request.user, mailbox=mailbox)
    messages.success(request, _("Mailbox removed; the e-mail read from it stays."))
    return redirect("outreach:mail_mailbox_list")

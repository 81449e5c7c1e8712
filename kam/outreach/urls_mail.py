"""The mail pages."""

from __future__ import annotations

from django.urls import URLPattern, path

from kam.outreach import views_mail as views

urlpatterns: list[URLPattern] = [
    path("mail/messages/", views.message_list, name="mail_message_list"),
    path("mail/messages/import/", views.message_import, name="mail_import"),
    path("mail/messages/<int:pk>/", views.message_detail, name="mail_message_detail"),
    path("mail/unknown-senders/", views.unknown_sender_list, name="mail_unknown_senders"),
    path("mail/unknown-senders/contact/", views.unknown_sender_contact, name="mail_sender_contact"),
    path("mail/mailboxes/", views.mailbox_list, name="mail_mailbox_list"),
    path("mail/mailboxes/new/", views.mailbox_create, name="mail_mailbox_create"),
    path("mail/mailboxes/<int:pk>/edit/", views.mailbox_edit, name="mail_mailbox_edit"),
    path("mail/mailboxes/<int:pk>/delete/", views.mailbox_delete, name="mail_mailbox_delete"),
    path("mail/mailboxes/<int:pk>/poll/", views.mailbox_poll, name="mail_mailbox_poll"),
    path("contacts/<int:pk>/write-email/", views.compose, name="mail_compose"),
    path("contacts/<int:pk>/mail-panel/", views.contact_panel, name="mail_contact_panel"),
    path("accounts/<int:pk>/mail-panel/", views.account_panel, name="mail_account_panel"),
]

"""The refusals of the mail topic."""

from __future__ import annotations

from kam.core.errors import ApplicationError


class MailError(ApplicationError):
    code = "mail_refused"
    default_message = "The e-mail could not be sent."


class MailImportError(ApplicationError):
    code = "mail_import_refused"
    default_message = "The file could not be read as e-mail."


class MailboxError(ApplicationError):
    code = "invalid_mailbox"
    default_message = "Some values are not valid."

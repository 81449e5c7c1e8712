"""Credentials at rest: mailbox passwords are stored encrypted (Fernet: AES-128-CBC + HMAC).

The key is `KAM_ENCRYPTION_KEY` when set (a Fernet key), else derived from `SECRET_KEY` with
HKDF-SHA256 under a purpose label, so the stored token is useless without the server's secret.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from kam.core.errors import ApplicationError

_SALT = b"kam.outreach.credentials"
_INFO = b"mailbox-password:v1"


class CredentialError(ApplicationError):
    code = "credential_unreadable"
    default_message = "The stored password cannot be read with this server's key; enter it again."


def _key() -> bytes:
    configured = str(getattr(settings, "KAM_ENCRYPTION_KEY", "") or "")
    if configured:
        return configured.encode()
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(
        str(settings.SECRET_KEY).encode()
    )
    return base64.urlsafe_b64encode(derived)


def _fernet() -> Fernet:
    try:
        return Fernet(_key())
    except ValueError as error:
        raise ImproperlyConfigured(
            "KAM_ENCRYPTION_KEY must be a Fernet key (urlsafe base64 of 32 bytes)"
        ) from error


def encrypt(secret: str) -> str:
    """The token to store for `secret` (a different token each time)."""
    return _fernet().encrypt(secret.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The secret behind a stored token; CredentialError if the key changed or it was altered."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as error:
        raise CredentialError() from error

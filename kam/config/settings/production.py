"""Production: hardened. Required variables have no default: start-up fails when one is missing."""

from kam.config.settings.base import *  # noqa: F403
from kam.config.settings.base import ensure_data_dir, env

ensure_data_dir()

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

_https = env.bool("KAM_HTTPS", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _https
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_HSTS_SECONDS = env.int("KAM_HSTS_SECONDS", default=60 * 60 * 24 * 365) if _https else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("KAM_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("KAM_HSTS_PRELOAD", default=True)
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

"""Settings shared by every environment. Everything is read from the environment here.

`production.py` only hardens; `local.py` and `test.py` only relax. See `.env.example`.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import django_stubs_ext
import environ

django_stubs_ext.monkeypatch()

env = environ.Env()

# An empty variable (`DATABASE_URL=` copied from .env.example) means "not set": use the default.
for _name in [name for name, value in os.environ.items() if value == ""]:
    if _name.startswith(("KAM_", "DATABASE_", "CELERY_", "EMAIL_")) or _name in {
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "DEFAULT_FROM_EMAIL",
        "FORWARDED_ALLOW_IPS",
        "CACHE_URL",
    }:
        del os.environ[_name]

BASE_DIR = Path(__file__).resolve().parents[3]
DATA_DIR = Path(env.str("KAM_DATA_DIR", default=str(Path.cwd() / "var"))).resolve()


def ensure_data_dir() -> Path:
    (DATA_DIR / "static").mkdir(parents=True, exist_ok=True)
    return DATA_DIR


def dev_secret_key() -> str:
    """The local secret key: generated once, kept in the data dir so sessions survive restarts."""
    path = ensure_data_dir() / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "auditlog",
    "axes",
    "django_countries",
    "kam.core",
    "kam.users",
    "kam.accounts",
    "kam.sales",
    "kam.activities",
    "kam.catalog",
    "kam.documents",
    "kam.contracts",
    "kam.orders",
    "kam.outreach",
    "kam.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kam.core.middleware.UserTimezoneMiddleware",
    "kam.core.middleware.ApplicationErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kam.core.audit_middleware.KamAuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kam.config.urls"
WSGI_APPLICATION = "kam.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kam" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "kam.core.context_processors.shell",
                "kam.users.context_processors.notifications",
            ],
        },
    }
]

# --- Database ---------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'kam.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets the web process read while the worker writes; IMMEDIATE takes the write
            # lock at BEGIN so two writers queue on the busy timeout instead of failing mid-way.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("KAM_DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users and sessions -----------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "users:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "users:login"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

AXES_FAILURE_LIMIT = env.int("KAM_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "users/locked_out.html"
AXES_VERBOSE = False

# Shared by every process when set (rate-limit counters, sign-in lock-outs need one place).
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "kam" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files: our own plus the npm packages (never a CDN) ---------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "kam.core.staticfiles.VendorFinder",
]
# prefix -> (folder under node_modules, the files shipped from it). Source maps ride along
# because the hashed production storage follows the sourceMappingURL comments.
KAM_VENDOR_ASSETS = {
    "vendor/bootstrap": (
        NODE_MODULES / "bootstrap" / "dist",
        [
            "css/bootstrap.min.css",
            "css/bootstrap.min.css.map",
            "js/bootstrap.bundle.min.js",
            "js/bootstrap.bundle.min.js.map",
        ],
    ),
    "vendor/bootstrap-icons": (
        NODE_MODULES / "bootstrap-icons" / "font",
        ["bootstrap-icons.min.css", "fonts/bootstrap-icons.woff", "fonts/bootstrap-icons.woff2"],
    ),
    "vendor/chart.js": (
        NODE_MODULES / "chart.js" / "dist",
        ["chart.umd.min.js", "chart.umd.min.js.map"],
    ),
    "vendor/sortablejs": (NODE_MODULES / "sortablejs", ["Sortable.min.js"]),
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
# The largest file a user may upload (documents), in bytes; default 25 MiB.
KAM_UPLOAD_MAX_BYTES = env.int("KAM_UPLOAD_MAX_BYTES", default=25 * 1024 * 1024)
# Our company as the seller on generated quotes, contracts and order confirmations.
KAM_COMPANY_NAME = env.str("KAM_COMPANY_NAME", default="")
KAM_COMPANY_ADDRESS = env.str("KAM_COMPANY_ADDRESS", default="")
KAM_COMPANY_DETAILS = env.str("KAM_COMPANY_DETAILS", default="")

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "kam.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "kam.core.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    # Rate-limit by the peer's address, or the client a trusted proxy names (never a raw header).
    "NUM_PROXIES": 1 if env.list("KAM_TRUSTED_PROXIES", default=[]) else 0,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("KAM_API_ANON_RATE", default="60/min"),
        "user": env.str("KAM_API_USER_RATE", default="6000/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_TTL": None,
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "KAM API",
    "DESCRIPTION": "The REST API of KAM, the CRM for account and key-account managers.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Choice sets that share a field name get names of their own in the schema.
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "kam.accounts.choices.Channel",
        "AccountKindEnum": "kam.accounts.choices.Kind",
        "AddressKindEnum": "kam.accounts.choices.AddressKind",
        "DepartmentKindEnum": "kam.users.models.Department.Kind",
        "AccountStatusEnum": "kam.accounts.choices.Status",
        "ImportJobStatusEnum": "kam.accounts.models.ImportJob.Status",
        "OutcomeEnum": "kam.sales.choices.Outcome",
        "NeedPriorityEnum": "kam.sales.choices.Priority",
        "ObjectionKindEnum": "kam.sales.choices.ObjectionKind",
        "ActivityKindEnum": "kam.activities.choices.Kind",
        "ActivityStatusEnum": "kam.activities.choices.Status",
        "ActivityPriorityEnum": "kam.activities.choices.Priority",
        # catalog
        "CatalogChannelEnum": "kam.catalog.choices.Channel",
        "PriceRuleScopeEnum": "kam.catalog.choices.RuleScope",
        "AgreementStatusEnum": "kam.catalog.choices.AgreementStatus",
        # documents
        "DocumentKindEnum": "kam.documents.choices.Kind",
        "DocumentDirectionEnum": "kam.documents.choices.Direction",
        # (activities' call direction was unique until documents added theirs)
        "ActivityDirectionEnum": "kam.activities.choices.Direction",
        # contracts
        "ContractKindEnum": "kam.contracts.choices.ContractKind",
        "ContractStatusEnum": "kam.contracts.choices.ContractStatus",
        "ContractChangeEventEnum": "kam.contracts.choices.ChangeEvent",
        "ObligationSideEnum": "kam.contracts.choices.Side",
        "ObligationStatusEnum": "kam.contracts.choices.ObligationStatus",
        # orders
        "OrderStatusEnum": "kam.orders.choices.OrderStatus",
        "ApprovalStatusEnum": "kam.orders.choices.ApprovalStatus",
        "ApprovalReasonEnum": "kam.orders.choices.ApprovalReason",
        "OrderTaskStatusEnum": "kam.orders.choices.TaskStatus",
        "QuoteStatusEnum": "kam.orders.choices.QuoteStatus",
        # outreach
        "MessageDirectionEnum": "kam.outreach.choices.MessageDirection",
        "CallDirectionEnum": "kam.outreach.choices.CallDirection",
        "CallStateEnum": "kam.outreach.choices.CallState",
        "CampaignKindEnum": "kam.outreach.choices.CampaignKind",
        "CampaignStatusEnum": "kam.outreach.choices.CampaignStatus",
        "DeliveryStatusEnum": "kam.outreach.choices.DeliveryStatus",
        "EventKindEnum": "kam.outreach.choices.EventKind",
        "GuestStatusEnum": "kam.outreach.choices.GuestStatus",
    },
}

# --- Background work --------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
KAM_EMBEDDED_BROKER = not CELERY_BROKER_URL
if KAM_EMBEDDED_BROKER:
    # A broker that needs no server: kombu's SQLAlchemy transport on a SQLite file in the data dir.
    CELERY_BROKER_URL = f"sqla+sqlite:///{DATA_DIR / 'celery-broker.sqlite3'}"
_default_backend = (
    CELERY_BROKER_URL
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
    else f"db+sqlite:///{DATA_DIR / 'celery-results.sqlite3'}"
)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=_default_backend)
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 55 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"

# --- Mail -------------------------------------------------------------------------------------
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="kam@localhost")
# The address users reach KAM at, for links in mail sent by workers (reminders), which have no
# request to take the host from. Example: https://kam.example.com
KAM_BASE_URL = env.str("KAM_BASE_URL", default="").rstrip("/")

# --- Outreach: mail ---------------------------------------------------------------------------
# The key mailbox passwords are encrypted with (Fernet, urlsafe base64 of 32 bytes). Empty: one
# derived from SECRET_KEY with HKDF, so changing SECRET_KEY then makes stored passwords unreadable.
KAM_ENCRYPTION_KEY = env.str("KAM_ENCRYPTION_KEY", default="")
# IMAP ports a non-admin may point a mailbox at (admins may use any port).
KAM_MAIL_IMAP_PORTS = env.list("KAM_MAIL_IMAP_PORTS", cast=int, default=[143, 993])
# Seconds an IMAP connection may wait; messages fetched per poll at most; the poll lease.
KAM_MAIL_IMAP_TIMEOUT = env.int("KAM_MAIL_IMAP_TIMEOUT", default=30)
KAM_MAIL_POLL_BATCH = env.int("KAM_MAIL_POLL_BATCH", default=500)
KAM_MAIL_POLL_LEASE_SECONDS = env.int("KAM_MAIL_POLL_LEASE_SECONDS", default=15 * 60)
# --- Outreach: calls ---------------------------------------------------------------------------
# The shared secret the telephony provider signs its webhook posts with (HMAC-SHA256 of the raw
# body). Unset: the webhook refuses every post (401).
KAM_TELEPHONY_SECRET = env.str("KAM_TELEPHONY_SECRET", default="")
# The largest webhook body accepted, in bytes.
KAM_TELEPHONY_MAX_BYTES = env.int("KAM_TELEPHONY_MAX_BYTES", default=16 * 1024)
# Posts per minute the webhook accepts (DRF rate syntax), whatever the sender.
KAM_TELEPHONY_RATE = env.str("KAM_TELEPHONY_RATE", default="600/min")
# --- Outreach: delivery ---------------------------------------------------------------------
# The campaign outbox (kam/outreach/services/delivery.py, docs/outreach-delivery.md).
# Seconds a worker holds the messages it claimed; after that another worker recovers them.
KAM_OUTBOX_LEASE_SECONDS = env.int("KAM_OUTBOX_LEASE_SECONDS", default=120)
# Messages claimed (and sent over one SMTP connection) at a time.
KAM_OUTBOX_BATCH_SIZE = env.int("KAM_OUTBOX_BATCH_SIZE", default=20)
# Tries per message on temporary errors (SMTP 4xx, connection lost) before it is failed.
KAM_OUTBOX_MAX_ATTEMPTS = env.int("KAM_OUTBOX_MAX_ATTEMPTS", default=5)
# Wait before the first retry; doubled at each further attempt.
KAM_OUTBOX_RETRY_SECONDS = env.int("KAM_OUTBOX_RETRY_SECONDS", default=60)
# The chat/SMS webhook: the HMAC-SHA256 key its requests are signed with, and its timeout.
KAM_CHAT_WEBHOOK_SECRET = env.str("KAM_CHAT_WEBHOOK_SECRET", default="")
KAM_CHAT_WEBHOOK_TIMEOUT = env.float("KAM_CHAT_WEBHOOK_TIMEOUT", default=10.0)

# --- Audit ------------------------------------------------------------------------------------
AUDITLOG_DISABLE_REMOTE_ADDR = False
AUDITLOG_INCLUDE_ALL_MODELS = False
# Read the old row through the base manager: a restored record's old row is in the trash.
AUDITLOG_USE_BASE_MANAGER = True

# --- KAM --------------------------------------------------------------------------------------
KAM_TRASH_RETENTION_DAYS = 30
# Reverse proxies whose X-Forwarded-For is believed (their own addresses), comma separated.
KAM_TRUSTED_PROXIES = env.list("KAM_TRUSTED_PROXIES", default=[])
# Region used to read phone numbers typed without a country code (ISO 3166 alpha-2, e.g. DE).
KAM_DEFAULT_PHONE_REGION = env.str("KAM_DEFAULT_PHONE_REGION", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"kam": {"level": env.str("KAM_LOG_LEVEL", default="INFO"), "propagate": True}},
}

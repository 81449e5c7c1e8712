"""Settings for the test suite: same database engine as configured, fast hashing, eager tasks."""

import tempfile
from pathlib import Path

from kam.config.settings.base import *  # noqa: F403
from kam.config.settings.base import ensure_data_dir

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-" + "x" * 40  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(tempfile.gettempdir()) / "kam-test-media"
ALLOWED_HOSTS = ["*"]
ensure_data_dir()

# Test-only models that exercise core's generic machinery (access, versioning, trash).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]  # noqa: F405

"""Local development and the embedded single-machine default (`make run`)."""

from kam.config.settings.base import *  # noqa: F403
from kam.config.settings.base import dev_secret_key, ensure_data_dir, env

ensure_data_dir()
DEBUG = env.bool("KAM_DEBUG", default=True)
SECRET_KEY = SECRET_KEY or dev_secret_key()  # noqa: F405
# Serve static files straight from the finders (node_modules, app folders) without collectstatic.
WHITENOISE_USE_FINDERS = True
# `make run` serves here; reminder mails link to it.
KAM_BASE_URL = KAM_BASE_URL or "http://127.0.0.1:8000"  # noqa: F405

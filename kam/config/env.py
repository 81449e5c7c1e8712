"""Which settings module applies: production when KAM_ENV=production, otherwise local."""

import os


def settings_module() -> str:
    if os.environ.get("KAM_ENV", "").strip().lower() == "production":
        return "kam.config.settings.production"
    return "kam.config.settings.local"

# Load the Celery app with Django, so that `task.delay()` from web and CLI processes uses KAM's
# broker configuration rather than Celery's unconfigured default app.
from kam.config.celery import app as celery_app

__all__ = ["celery_app"]

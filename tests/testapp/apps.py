from django.apps import AppConfig


class TestAppConfig(AppConfig):
    """Models that exercise core's generic machinery before business apps exist (tests only)."""

    name = "tests.testapp"
    label = "testapp"

    def ready(self) -> None:
        from kam.core import audit
        from tests.testapp.models import Record

        audit.register(Record, m2m=("team_members",))

from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "kam.activities"
    label = "activities"
    verbose_name = "Activities, tasks and the calendar"

    def ready(self) -> None:
        from kam.activities import wiring

        wiring.connect()

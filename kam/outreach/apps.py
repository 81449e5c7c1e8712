from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "kam.outreach"
    label = "outreach"
    verbose_name = "Outreach: e-mail in and out, calls, campaigns, consent, events"

    def ready(self) -> None:
        from kam.outreach import wiring

        wiring.connect()

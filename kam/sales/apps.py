from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "kam.sales"
    label = "sales"
    verbose_name = "Sales: pipelines and deals"

    def ready(self) -> None:
        from kam.sales import wiring

        wiring.connect()

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "kam.orders"
    label = "orders"
    verbose_name = "Orders: quotes, orders, deliveries, department tasks, timeliness"

    def ready(self) -> None:
        from kam.orders import wiring

        wiring.connect()

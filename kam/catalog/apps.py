from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "kam.catalog"
    label = "catalog"
    verbose_name = "Catalog: products, price lists, promotions, key-account agreements, pricing"

    def ready(self) -> None:
        from kam.catalog import wiring

        wiring.connect()

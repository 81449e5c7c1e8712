from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "kam.catalog"
    label = "catalog"
    verbose_name = "Catalog: products, price lists, promotions, key-account agreements, pricing"

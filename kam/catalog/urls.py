from django.urls import URLPattern, URLResolver, path

from kam.catalog import views

app_name = "catalog"
urlpatterns: list[URLPattern | URLResolver] = [
    path("products/", views.product_list, name="product_list"),
    path("products/download/", views.product_export, name="product_export"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path(
        "accounts/<int:pk>/agreement-panel/",
        views.account_agreement_panel,
        name="account_agreement_panel",
    ),
]

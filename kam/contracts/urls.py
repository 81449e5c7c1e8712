from django.urls import URLPattern, URLResolver, path

from kam.contracts import views

app_name = "contracts"
urlpatterns: list[URLPattern | URLResolver] = [
    path("contracts/", views.contract_list, name="contract_list"),
    path("contracts/new/", views.contract_create, name="contract_create"),
    # Not "contracts/export/": the accounts app's "<target>/export/" would answer it first.
    path("contracts/download/", views.contract_export, name="contract_export"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/edit/", views.contract_edit, name="contract_edit"),
    path("contracts/<int:pk>/transition/", views.contract_transition, name="contract_transition"),
    path("contracts/<int:pk>/renew/", views.contract_renew, name="contract_renew"),
    path("contracts/<int:pk>/generate/", views.contract_generate, name="contract_generate"),
    path("contracts/<int:pk>/delete/", views.contract_delete, name="contract_delete"),
    path("contracts/<int:pk>/obligations/", views.obligation_add, name="obligation_add"),
    path("obligations/", views.my_obligations, name="my_obligations"),
    path("obligations/<int:pk>/close/", views.obligation_close, name="obligation_close"),
    path("accounts/<int:pk>/contracts-panel/", views.account_panel, name="account_panel"),
    path("deals/<int:pk>/contracts-panel/", views.deal_panel, name="deal_panel"),
]

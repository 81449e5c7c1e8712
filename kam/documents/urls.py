from django.urls import URLPattern, URLResolver, path

from kam.documents import views

app_name = "documents"
urlpatterns: list[URLPattern | URLResolver] = [
    path("documents/register/", views.register, name="register"),
    path("documents/<int:pk>/", views.document_detail, name="document_detail"),
    path("documents/<int:pk>/versions/", views.version_upload, name="version_upload"),
    path("documents/<int:pk>/delete/", views.document_delete, name="document_delete"),
    path(
        "documents/<int:pk>/versions/<int:number>/download/",
        views.download,
        name="download",
    ),
    # Record-page panels (core.registry): one URL per record type, the record's pk only.
    path(
        "documents/panel/account/<int:pk>/",
        views.record_panel,
        {"record_type": "accounts.account"},
        name="account_panel",
    ),
    path(
        "documents/panel/contact/<int:pk>/",
        views.record_panel,
        {"record_type": "accounts.contact"},
        name="contact_panel",
    ),
    path(
        "documents/panel/deal/<int:pk>/",
        views.record_panel,
        {"record_type": "sales.deal"},
        name="deal_panel",
    ),
    path(
        "documents/panel/contract/<int:pk>/",
        views.record_panel,
        {"record_type": "contracts.contract"},
        name="contract_panel",
    ),
]

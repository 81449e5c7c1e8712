from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from kam.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("kam.config.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("", include("kam.users.urls")),
    path("", include("kam.accounts.urls")),
    path("", include("kam.sales.urls")),
    path("", include("kam.activities.urls")),
    path("", include("kam.activities.urls_calendar")),
    path("", include("kam.catalog.urls")),
    path("", include("kam.documents.urls")),
    path("", include("kam.contracts.urls")),
    path("", include("kam.orders.urls")),
    path("", include("kam.outreach.urls")),
    path("", include("kam.core.urls")),
]

"""Mounts every app's API under /api/v1/ and one API root that lists every resource."""

from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from kam.accounts.api import urls as accounts_api
from kam.activities.api import urls as activities_api
from kam.catalog.api import urls as catalog_api
from kam.contracts.api import urls as contracts_api
from kam.core.api import urls as core_api
from kam.core.api.views import api_not_found
from kam.documents.api import urls as documents_api
from kam.orders.api import urls as orders_api
from kam.outreach.api import urls as outreach_api
from kam.sales.api import urls as sales_api
from kam.users.api import urls as users_api

APPS = (
    core_api,
    users_api,
    accounts_api,
    sales_api,
    activities_api,
    catalog_api,
    documents_api,
    contracts_api,
    orders_api,
    outreach_api,
)

# Apps use SimpleRouter (no root of their own); this router only serves the combined root.
_root = DefaultRouter()
_root.registry = [entry for app in APPS for entry in app.router.registry]

urlpatterns = [
    path("", _root.get_api_root_view(), name="api-root"),
    *[path("", include(app.urlpatterns)) for app in APPS],
    re_path(r"^.*$", api_not_found),
]

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from kam.accounts.api import duplicates, imports, merge, search, views

router = SimpleRouter()
router.register("accounts", views.AccountViewSet, basename="account")
router.register("contacts", views.ContactViewSet, basename="contact")
urlpatterns = router.urls

# Duplicates and merge: the review list on the router, the merge actions before its routes.
router.register("duplicate-pairs", merge.DuplicatePairViewSet, basename="duplicate-pair")
urlpatterns = [
    re_path(
        r"^accounts/(?P<pk>[^/.]+)/merge/$",
        merge.AccountMergeViewSet.as_view({"post": "merge"}),
        name="account-merge",
    ),
    re_path(
        r"^contacts/(?P<pk>[^/.]+)/merge/$",
        merge.ContactMergeViewSet.as_view({"post": "merge"}),
        name="contact-merge",
    ),
    *router.get_urls(),
]

# Duplicate finders: ahead of `accounts/{id}/`, which would otherwise take "duplicates" for an id.
urlpatterns = [
    path(
        "accounts/duplicates/",
        duplicates.AccountDuplicatesViewSet.as_view({"get": "list"}),
        name="account-duplicates",
    ),
    path(
        "contacts/duplicates/",
        duplicates.ContactDuplicatesViewSet.as_view({"get": "list"}),
        name="contact-duplicates",
    ),
    *urlpatterns,
]

# Import jobs: list, detail, create and preview on a router of their own; the row errors as a
# plain `errors.csv` (no trailing slash, like a file).
jobs_router = SimpleRouter()
jobs_router.register("import-jobs", imports.ImportJobViewSet, basename="import-job")
urlpatterns += [
    path(
        "import-jobs/<int:pk>/errors.csv",
        imports.ImportJobViewSet.as_view({"get": "errors"}),
        name="import-job-errors",
    ),
    *jobs_router.get_urls(),
]

# Full-text search (`GET /api/v1/search/?q=`): on the router so the API root lists it.
router.register("search", search.SearchViewSet, basename="search")
urlpatterns += [
    path("search/", search.SearchViewSet.as_view({"get": "list"}), name="search-list"),
]

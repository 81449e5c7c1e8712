from django.urls import path, re_path

from kam.accounts import views, views_import, views_merge

app_name = "accounts"
urlpatterns = [
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("contacts/", views.contact_list, name="contact_list"),
]

# Duplicates review and merge.
urlpatterns += [
    path("accounts/duplicates/", views_merge.duplicates, name="duplicates"),
    path(
        "accounts/<int:survivor>/merge/<int:loser>/",
        views_merge.account_merge,
        name="account_merge",
    ),
    path(
        "contacts/<int:survivor>/merge/<int:loser>/",
        views_merge.contact_merge,
        name="contact_merge",
    ),
]

# Editing, bulk actions and saved views of the account list.
urlpatterns += [
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("accounts/bulk/", views.account_bulk, name="account_bulk"),
    path("accounts/views/", views.saved_filter_save, name="saved_filter_save"),
    path("accounts/views/<int:pk>/delete/", views.saved_filter_delete, name="saved_filter_delete"),
]

# Importing files of accounts and contacts.
urlpatterns += [
    path("accounts/import/", views_import.import_start, name="import_start"),
    path("accounts/import/<int:pk>/", views_import.import_job, name="import_job"),
    path("accounts/import/<int:pk>/run/", views_import.import_run, name="import_run"),
    path("accounts/import/<int:pk>/errors.csv", views_import.import_errors, name="import_errors"),
]

# The lists as files, filtered as on screen.
urlpatterns += [
    re_path(r"^(?P<target>accounts|contacts)/export/$", views.list_export, name="list_export"),
]

# The account page: timeline pages and edit in place.
urlpatterns += [
    path("accounts/<int:pk>/timeline/", views.account_timeline, name="account_timeline"),
    path("accounts/<int:pk>/facts/<str:name>/", views.account_fact, name="account_fact"),
    path("accounts/<int:pk>/team/", views.account_team_add, name="account_team_add"),
    path(
        "accounts/<int:pk>/team/<int:user_id>/remove/",
        views.account_team_remove,
        name="account_team_remove",
    ),
    path("accounts/<int:pk>/addresses/<str:kind>/", views.account_address, name="account_address"),
    path("accounts/<int:pk>/tags/", views.account_tags, name="account_tags"),
]

# Contacts: their page, creating one at an account, editing.
urlpatterns += [
    path("contacts/new/", views.contact_new, name="contact_new"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("accounts/<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
]

from django.urls import path

from kam.accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("contacts/", views.contact_list, name="contact_list"),
]

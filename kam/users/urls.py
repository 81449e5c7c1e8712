from django.urls import path

from kam.users import views

app_name = "users"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("profile/", views.profile, name="profile"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/<int:pk>/", views.team_detail, name="team_detail"),
    path("users/", views.user_list, name="user_list"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/mark-read/", views.notifications_mark_read, name="notifications_mark_read"),
]

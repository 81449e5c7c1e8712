from rest_framework.routers import DefaultRouter

from kam.users.api import views

router = DefaultRouter()
router.register("users", views.UserViewSet, basename="user")
router.register("teams", views.TeamViewSet, basename="team")
router.register("departments", views.DepartmentViewSet, basename="department")
router.register("notifications", views.NotificationViewSet, basename="notification")
urlpatterns = router.urls

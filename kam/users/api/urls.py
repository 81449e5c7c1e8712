from rest_framework.routers import SimpleRouter

from kam.users.api import views

router = SimpleRouter()
router.register("users", views.UserViewSet, basename="user")
router.register("teams", views.TeamViewSet, basename="team")
router.register("departments", views.DepartmentViewSet, basename="department")
router.register("notifications", views.NotificationViewSet, basename="notification")
urlpatterns = router.urls

from rest_framework.routers import SimpleRouter

from kam.activities.api import views

router = SimpleRouter()
router.register("activities", views.ActivityViewSet, basename="activity")
router.register("tasks", views.TaskViewSet, basename="task")
urlpatterns = router.urls

from rest_framework.routers import SimpleRouter

from kam.documents.api import views

router = SimpleRouter()
router.register("documents", views.DocumentViewSet, basename="document")
urlpatterns = [*router.urls]

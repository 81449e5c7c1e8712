from rest_framework.routers import DefaultRouter

from kam.core.api import views

router = DefaultRouter()
router.register("audit-entries", views.AuditEntryViewSet, basename="audit-entry")
urlpatterns = router.urls

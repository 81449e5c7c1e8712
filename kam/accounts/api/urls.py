from rest_framework.routers import DefaultRouter

from kam.accounts.api import views

router = DefaultRouter()
router.register("accounts", views.AccountViewSet, basename="account")
router.register("contacts", views.ContactViewSet, basename="contact")
urlpatterns = router.urls

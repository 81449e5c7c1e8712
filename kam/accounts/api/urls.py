from rest_framework.routers import SimpleRouter

from kam.accounts.api import views

router = SimpleRouter()
router.register("accounts", views.AccountViewSet, basename="account")
router.register("contacts", views.ContactViewSet, basename="contact")
urlpatterns = router.urls

from rest_framework.routers import SimpleRouter

from kam.contracts.api.views import ContractViewSet, ObligationViewSet

router = SimpleRouter()
router.register("contracts", ContractViewSet, basename="contract")
router.register("obligations", ObligationViewSet, basename="obligation")
urlpatterns = [*router.urls]

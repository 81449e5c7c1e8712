from rest_framework.routers import SimpleRouter

from kam.orders.api import views

router = SimpleRouter()
router.register("orders", views.OrderViewSet, basename="order")
router.register("approvals", views.ApprovalViewSet, basename="approval")
router.register("quotes", views.QuoteViewSet, basename="quote")
router.register("order-tasks", views.OrderTaskViewSet, basename="order-task")
router.register("bonus-settlements", views.BonusSettlementViewSet, basename="bonus-settlement")
urlpatterns = [*router.urls]

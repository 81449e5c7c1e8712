from django.urls import path
from rest_framework.routers import SimpleRouter

from kam.catalog.api import views

router = SimpleRouter()
router.register("products", views.ProductViewSet, basename="product")
router.register("price-lists", views.PriceListViewSet, basename="price-list")
router.register("promotions", views.PromotionViewSet, basename="promotion")
router.register("agreements", views.AgreementViewSet, basename="agreement")
urlpatterns = [
    path("price-quote/", views.PriceQuoteView.as_view(), name="price-quote"),
    *router.urls,
]

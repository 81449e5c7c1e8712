from django.urls import path
from rest_framework.routers import SimpleRouter

from kam.sales.api import views

router = SimpleRouter()
router.register("pipelines", views.PipelineViewSet, basename="pipeline")
router.register("stages", views.StageViewSet, basename="stage")
router.register("deals", views.DealViewSet, basename="deal")
router.register("needs", views.NeedViewSet, basename="need")
router.register("objections", views.ObjectionViewSet, basename="objection")
urlpatterns = [
    path("forecast/", views.ForecastView.as_view(), name="forecast"),
    *router.urls,
]

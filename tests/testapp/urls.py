from django.urls import include, path

from kam.config.urls import urlpatterns as kam_urlpatterns
from tests.testapp.api import router

urlpatterns = [path("api/v1/test/", include(router.urls)), *kam_urlpatterns]

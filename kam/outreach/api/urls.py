from rest_framework.routers import SimpleRouter

from kam.outreach.api import calls, campaigns, delivery, events, mail

router = SimpleRouter()
for topic in (mail, calls, campaigns, delivery, events):
    topic.register(router)
urlpatterns = [*router.urls]

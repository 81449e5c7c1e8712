"""The outreach pages: one module of URLs per topic, joined here under the `outreach` namespace."""

from kam.outreach import urls_calls, urls_campaigns, urls_events, urls_mail, urls_public

app_name = "outreach"
urlpatterns = [
    *urls_mail.urlpatterns,
    *urls_calls.urlpatterns,
    *urls_campaigns.urlpatterns,
    *urls_events.urlpatterns,
    *urls_public.urlpatterns,
]

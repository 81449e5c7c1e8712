from django.urls import path

from kam.activities import views_calendar

app_name = "calendar"
urlpatterns = [
    path("calendar/<str:token>.ics", views_calendar.feed, name="feed"),
    path("meetings/<int:pk>/brief/", views_calendar.brief, name="brief"),
    path("meetings/<int:pk>/brief.pdf", views_calendar.brief_pdf, name="brief_pdf"),
    path("meetings/<int:pk>/invite/", views_calendar.invite, name="invite"),
]

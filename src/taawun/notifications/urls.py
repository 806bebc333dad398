from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="list"),
    path("<int:notification_id>/read/", views.read, name="read"),
    path("read-all/", views.read_all, name="read_all"),
    path("preferences/", views.preferences, name="preferences"),
    path("calendar/new/", views.new_calendar_link, name="new_calendar"),
    path("calendar/revoke/", views.revoke_calendar_link, name="revoke_calendar"),
    path(
        "calendar/<int:user_id>/<str:token>/schedule.ics", views.schedule_feed, name="schedule_feed"
    ),
    path(
        "calendar/<int:user_id>/<str:token>/assemblies.ics",
        views.assemblies_feed,
        name="assemblies_feed",
    ),
]

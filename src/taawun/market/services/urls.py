from django.urls import path

from . import views

app_name = "services"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("<int:service_id>/", views.service, name="service"),
    path("manage/", views.manage, name="manage"),
    path("<int:service_id>/edit/", views.edit, name="edit"),
    path("week/", views.week, name="week"),
    path("schedule/", views.schedule, name="schedule"),
    path("week/<int:window_id>/remove/", views.remove_window, name="remove_window"),
    path("bookings/<int:order_id>/confirm/", views.confirm, name="confirm"),
    path("bookings/<int:order_id>/decline/", views.decline, name="decline"),
    path("bookings/<int:order_id>/start/", views.start, name="start"),
    path("bookings/<int:order_id>/complete/", views.complete, name="complete"),
    path("bookings/<int:order_id>/cancel/", views.cancel, name="cancel"),
    path("bookings/<int:order_id>/reschedule/", views.reschedule, name="reschedule"),
]

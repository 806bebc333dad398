from django.urls import path

from . import views

app_name = "trips"
urlpatterns = [
    path("", views.request, name="request"),
]

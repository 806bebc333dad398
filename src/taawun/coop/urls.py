from django.urls import path

from . import views

app_name = "coop"
urlpatterns = [
    path("found/", views.found, name="found"),
    path("rules/", views.policy, name="policy"),
]

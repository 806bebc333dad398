from django.urls import path

from . import views

app_name = "opendata"
urlpatterns = [
    path("", views.page, name="page"),
    path("open-data.csv", views.csv_export, name="csv"),
]

from django.urls import path

from . import app_shell, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("manifest.webmanifest", app_shell.manifest, name="manifest"),
    path("sw.js", app_shell.service_worker, name="sw"),
    path("offline/", app_shell.offline, name="offline"),
]

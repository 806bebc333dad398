from django.urls import path

from . import views

app_name = "fairness"
urlpatterns = [
    path("", views.audit, name="audit"),
    path("self-report/", views.self_report, name="self_report"),
    path("self-report/withdraw/", views.withdraw, name="withdraw"),
]

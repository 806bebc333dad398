from django.urls import path

from . import data_views as views

app_name = "mydata"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("download/", views.download, name="download"),
    path("print/", views.readable, name="print"),
    path("pdf/", views.pdf, name="pdf"),
    path("correct/", views.correct, name="correct"),
    path("consents/", views.consent, name="consent"),
    path("close/", views.close, name="close"),
]

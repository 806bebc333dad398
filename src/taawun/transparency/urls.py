from django.urls import path

from . import views

app_name = "transparency"
urlpatterns = [
    path("audit/", views.audit_trail, name="audit"),
    path("log/", views.public_log, name="log"),
    path("log/sign/", views.sign_now, name="sign"),
    path("log/head.txt", views.head_file, name="head"),
    path("log/verifier.py", views.verifier_source, name="verifier"),
]

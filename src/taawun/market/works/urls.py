from django.urls import path

from . import views

app_name = "works"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("upload/", views.upload, name="upload"),
    path("mine/", views.mine, name="mine"),
    path("<int:work_id>/", views.work, name="work"),
    path("<int:work_id>/preview.jpg", views.preview, name="preview"),
    path("<int:work_id>/licences/", views.buy, name="buy"),
    path("<int:work_id>/withdraw/", views.withdraw, name="withdraw"),
    path("licences/<int:order_id>/download/", views.download, name="download"),
]

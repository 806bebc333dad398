from django.urls import path

from . import views

app_name = "trips"
urlpatterns = [
    path("", views.request, name="request"),
    path("work/", views.work, name="work"),
    path("places/", views.places, name="places"),
    path("<int:order_id>/", views.status, name="status"),
    path("<int:order_id>/complete/", views.complete, name="complete"),
    *(
        path(f"<int:order_id>/{step}/", views.step, {"name": step}, name=step)
        for step in views.STEPS
    ),
]

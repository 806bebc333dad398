from django.urls import path

from . import views

app_name = "assemblies"
urlpatterns = [
    path("", views.assemblies, name="list"),
    path("call/", views.call, name="call"),
    path("requests/new/", views.request_assembly, name="request"),
    path("requests/<int:request_id>/sign/", views.sign_request, name="sign"),
    path("<int:number>/", views.assembly, name="assembly"),
    path("<int:number>/assembly.ics", views.calendar, name="calendar"),
    path("<int:number>/agenda/", views.agenda, name="agenda"),
    path("<int:number>/attendance/", views.attendance, name="attendance"),
    path("<int:number>/open/", views.open_assembly, name="open"),
    path("<int:number>/close/", views.close_assembly, name="close"),
    path("<int:number>/cancel/", views.cancel_assembly, name="cancel"),
    path("<int:number>/check-in/", views.check_in, name="check_in"),
    path("<int:number>/minutes/", views.minutes, name="minutes"),
    path("<int:number>/minutes/approve/", views.approve_minutes, name="approve"),
    path("<int:number>/minutes/addendum/", views.add_addendum, name="addendum"),
]

from django.urls import path

from . import views

app_name = "projects"
urlpatterns = [
    path("", views.open_briefs, name="list"),
    path("new/", views.new, name="new"),
    path("<int:brief_id>/", views.brief, name="brief"),
    path("<int:brief_id>/proposals/", views.propose, name="propose"),
    path("<int:brief_id>/proposals/<int:proposal_id>/choose/", views.choose, name="choose"),
    path("<int:brief_id>/cancel/", views.cancel_remaining, name="cancel_remaining"),
    path("proposals/<int:proposal_id>/withdraw/", views.withdraw, name="withdraw"),
    path("milestones/<int:order_id>/<slug:step>/", views.milestone_step, name="milestone_step"),
]

from django.urls import path

from . import views

app_name = "governance"
urlpatterns = [
    path("", views.proposals, name="proposals"),
    path("new/", views.propose, name="propose"),
    path("receipt/", views.receipt, name="receipt"),
    path("delegations/", views.delegations, name="delegations"),
    path("delegations/<int:delegation_id>/revoke/", views.revoke_delegation, name="revoke"),
    path("mandates/", views.mandates, name="mandates"),
    path("<int:number>/", views.proposal, name="proposal"),
    path("<int:number>/vote/", views.vote, name="vote"),
    path("<int:number>/comments/", views.comment, name="comment"),
    path("<int:number>/statements/", views.add_statement, name="add_statement"),
    path("<int:number>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:number>/outcome/", views.state_outcome, name="outcome"),
    path("<int:number>/ballots.blt", views.blt, name="blt"),
    path("statements/<int:statement_id>/say/", views.say, name="say"),
]

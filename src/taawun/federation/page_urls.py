"""The members' pages on sister co-ops, under ``/federation/``."""

from django.urls import path

from . import views

app_name = "federation_pages"
urlpatterns = [
    path("", views.peers, name="peers"),
    path("follow/", views.follow, name="follow"),
    path("peers/<int:peer_id>/unfollow/", views.unfollow, name="unfollow"),
    path("peers/<int:peer_id>/credit-line/", views.credit_line, name="credit_line"),
    path("offers/", views.offers, name="offers"),
    path("offers/publish/", views.publish, name="publish"),
    path("referrals/", views.referrals, name="referrals"),
    path("referrals/pass-on/", views.pass_on, name="pass_on"),
    path("referrals/<uuid:referral_id>/consent/", views.consent, name="consent"),
    path("referrals/<uuid:referral_id>/accept/", views.accept, name="accept"),
    path("referrals/<uuid:referral_id>/refuse/", views.refuse, name="refuse"),
    path("referrals/<uuid:referral_id>/delivered/", views.delivered, name="delivered"),
    path("credit/", views.credit, name="credit"),
    path("credit/transfer/", views.propose_transfer, name="transfer"),
    path("credit/transfers/<int:transfer_pk>/reverse/", views.reverse_transfer, name="reverse"),
    path("credit/check/", views.check_network, name="check"),
]

"""The co-op's ActivityPub face (``/.well-known``, ``/nodeinfo``, ``/ap/``)."""

from django.urls import path

from . import protocol

app_name = "federation"
urlpatterns = [
    path(".well-known/webfinger", protocol.webfinger, name="webfinger"),
    path(".well-known/nodeinfo", protocol.nodeinfo_links, name="nodeinfo-links"),
    path("nodeinfo/2.1", protocol.nodeinfo, name="nodeinfo"),
    path("ap/actor", protocol.actor, name="actor"),
    path("ap/inbox", protocol.inbox_view, name="inbox"),
    path("ap/outbox", protocol.outbox, name="outbox"),
    path("ap/followers", protocol.followers, name="followers"),
    path("ap/following", protocol.following, name="following"),
    path("ap/credit", protocol.credit, name="credit"),
    path("ap/proposals/<slug:slug>", protocol.proposal, name="proposal"),
    path("ap/learning/<str:kind>/<str:key>", protocol.learning_object, name="learning"),
    path("ap/activities/<uuid:activity_id>", protocol.outbound_activity, name="activity"),
    path("ap/referrals/<uuid:referral_id>", protocol.referral_object, name="referral"),
]

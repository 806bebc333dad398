from django.urls import include, path

from . import views

app_name = "market"
urlpatterns = [
    path("", views.home, name="home"),
    path("orders/", views.mine, name="mine"),
    path("orders/<int:order_id>/", views.order, name="order"),
    path("services/", include("taawun.market.services.urls")),
    path("trips/", include("taawun.market.trips.urls")),
    path("projects/", include("taawun.market.projects.urls")),
    path("shop/", include("taawun.market.products.urls")),
    path("works/", include("taawun.market.works.urls")),
    path("fairness/", include("taawun.market.fairness.urls")),
]

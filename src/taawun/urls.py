from django.contrib import admin
from django.urls import include, path

from taawun.api import api

urlpatterns = [
    # Prefixed parts first: a request for one of them is not tried against every page of the
    # parts mounted at the root (each miss there costs a raised and caught Resolver404).
    path("members/", include("taawun.members.urls")),
    path("books/", include("taawun.ledger.urls")),
    path("market/", include("taawun.market.urls")),
    path("governance/assemblies/", include("taawun.governance.assemblies.urls")),
    path("governance/", include("taawun.governance.urls")),
    path("accounts/", include("allauth.urls")),
    path("roles/", include("taawun.accounts.urls")),
    path("my-data/", include("taawun.accounts.data_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("operations/", include("taawun.transparency.operations.urls")),
    path("open-data/", include("taawun.transparency.opendata.urls")),
    path("federation/", include("taawun.federation.page_urls")),
    path("notifications/", include("taawun.notifications.urls")),
    path("school/", include("taawun.school.urls")),
    path("admin/", admin.site.urls),
    path("", include("taawun.web.urls")),
    path("", include("taawun.coop.urls")),
    path("", include("taawun.transparency.urls")),
    path("", include("taawun.federation.urls")),
]

handler500 = "taawun.web.views.server_error"

"""Every role against every address the site answers: pages, the JSON API, the account pages,
federation and the admin. The table says what each role gets; an address the resolver knows
but the table does not fails the first test, so a new page cannot ship unclassified.

Letters, one per role in the order anonymous, customer (an account, not a member), member (a
paid-up user member who votes), worker (a paid-up worker member), board, admin:
A allowed (2xx, or a redirect elsewhere than a login page), V past the permission check with
the empty input refused (400/409/422), L sent to sign in, D refused (401/403), N not found
(404: the object is not shown to this role), M method not allowed (405). E (a 500) is never
expected.
Every refused write (L, D, N, M) is checked to have changed nothing: the row count of every
table and the audit trail's last seq.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client, override_settings

from tests.conftest import TEST_FEDERATION_KEY, TEST_LOG_KEY

from .matrix import ROLES, World, api_methods, build_world, classify, fill, routes, snapshot

# Every django.contrib.admin address: nobody in the co-op is Django staff, so the admin sends
# every role to its own login page. The co-op is run from its own pages.
ADMIN_PREFIX = "admin/"
ADMIN_EXPECTED = "LLLLLL"
ADMIN_PUBLIC = {"admin/login/": "AAAAAA", "admin/logout/": "AAAAAA"}

# route → (GET, POST) for every address outside the API's operations; "METHOD route" → letters
# for each operation of the JSON API (methods from its published schema).
# Board powers the table shows on purpose (each is the action's documented rule): the board
# sees any order, allocation notice and member's statement; confirms or declines a booking for
# its worker; cancels a customer's trip before pickup; takes a work off sale; records a
# member's notice; withdraws a proposal. "take" a trip is A for the board member only because
# she is an online worker in the demo.
PAGES: dict[str, tuple[str, str]] = {
    "api/": ("NNNNNN", "NNNNNN"),  # the API has no page of its own at its root
    "api/^.*$": ("NNNNNN", "NNNNNN"),
    "api/docs": ("AAAAAA", "AAAAAA"),  # django-ninja answers every method with the same page
    "api/openapi.json": ("AAAAAA", "AAAAAA"),
    "notifications/<int:notification_id>/read/": ("LMMMMM", "LNNNAN"),
    "notifications/calendar/<int:user_id>/<str:token>/assemblies.ics": ("NNNNNN", "MMMMMM"),
    "notifications/calendar/<int:user_id>/<str:token>/schedule.ics": ("NNNNNN", "MMMMMM"),
    "": ("AAAAAA", "AAAAAA"),
    ".well-known/nodeinfo": ("AAAAAA", "MMMMMM"),
    ".well-known/webfinger": ("NNNNNN", "MMMMMM"),
    "accounts/2fa/": ("LAAAAA", "LMMMMM"),
    "accounts/2fa/authenticate/": ("LAAAAA", "LAAAAA"),
    "accounts/2fa/reauthenticate/": ("LAAAAA", "LAAAAA"),
    "accounts/2fa/recovery-codes/": ("LNNNNN", "LMMMMM"),
    "accounts/2fa/recovery-codes/download/": ("LNNNNN", "LNNNNN"),
    "accounts/2fa/recovery-codes/generate/": ("LAAAAA", "LAAAAA"),
    "accounts/2fa/totp/activate/": ("LAAAAA", "LAAAAA"),
    "accounts/2fa/totp/deactivate/": ("LNNNNN", "LNNNNN"),
    "accounts/2fa/webauthn/": ("LAAAAA", "LMMMMM"),
    "accounts/2fa/webauthn/add/": ("LAAAAA", "LAAAAA"),
    "accounts/2fa/webauthn/keys/<int:pk>/edit/": ("LAAAAA", "LAAAAA"),
    "accounts/2fa/webauthn/keys/<int:pk>/remove/": ("LAAAAA", "LAAAAA"),
    "accounts/2fa/webauthn/login/": ("LAAAAA", "LAAAAA"),
    "accounts/2fa/webauthn/reauthenticate/": ("LAAAAA", "LAAAAA"),
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": ("NNNNNN", "NNNNNN"),
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": ("NNNNNN", "NNNNNN"),
    "accounts/confirm-email/": ("AAAAAA", "MMMMMM"),
    "accounts/email/": ("LAAAAA", "LAAAAA"),
    "accounts/inactive/": ("AAAAAA", "MMMMMM"),
    "accounts/login/": ("AAAAAA", "AAAAAA"),
    "accounts/login/code/confirm/": ("LAAAAA", "LAAAAA"),
    "accounts/logout/": ("AAAAAA", "AAAAAA"),
    "accounts/password/change/": ("LAAAAA", "LAAAAA"),
    "accounts/password/reset/": ("AAAAAA", "AAAAAA"),
    "accounts/password/reset/done/": ("AAAAAA", "MMMMMM"),
    "accounts/password/reset/key/done/": ("AAAAAA", "MMMMMM"),
    "accounts/password/set/": ("LAAAAA", "LAAAAA"),
    "accounts/reauthenticate/": ("LAAAAA", "LAAAAA"),
    "accounts/signup/": ("AAAAAA", "AAAAAA"),
    "ap/activities/<uuid:activity_id>": ("NNNNNN", "MMMMMM"),
    "ap/actor": ("AAAAAA", "MMMMMM"),
    "ap/credit": ("AAAAAA", "MMMMMM"),
    "ap/followers": ("AAAAAA", "MMMMMM"),
    "ap/following": ("AAAAAA", "MMMMMM"),
    "ap/inbox": ("MMMMMM", "DDDDDD"),
    "ap/outbox": ("AAAAAA", "MMMMMM"),
    "ap/proposals/<slug:slug>": ("AAAAAA", "MMMMMM"),
    "ap/learning/<str:kind>/<str:key>": ("NNNNNN", "MMMMMM"),
    "ap/referrals/<uuid:referral_id>": ("NNNNNN", "MMMMMM"),
    "audit/": ("LDAAAA", "MMMMMM"),
    "books/": ("LDAAAA", "LMMMMM"),
    "books/books.beancount": ("LDAAAA", "LMMMMM"),
    "books/desk/": ("LDDDAA", "LDDDMM"),
    "books/desk/claims/<int:pk>/": ("LDDDMM", "LDDDAA"),
    "books/desk/earnings-floor/": ("LDDDAA", "LDDDMM"),
    "books/desk/earnings-floor/apply/": ("LDDDMM", "LDDDAA"),
    "books/desk/expense/": ("LDDDMM", "LDDDVV"),
    "books/desk/income/": ("LDDDMM", "LDDDVV"),
    "books/desk/move/": ("LDDDMM", "LDDDVV"),
    "books/desk/payouts/": ("LDDDMM", "LDDDVV"),
    "books/desk/periods/<int:pk>/close/": ("LDDDMM", "LDDDAA"),
    "books/desk/periods/<int:pk>/reopen/": ("LDDDMM", "LDDDVV"),
    "books/desk/reverse/": ("LDDDMM", "LDDDVV"),
    "books/desk/sale/": ("LDDDMM", "LDDDVV"),
    "books/journal.csv": ("LDAAAA", "LMMMMM"),
    "books/journal/": ("LDAAAA", "LMMMMM"),
    "books/me/": ("LDAAAA", "LMMMMM"),
    "books/members/<int:number>/": ("LDDDAA", "LDDDMM"),
    "books/notices/<int:pk>.pdf": ("LNNNAA", "LMMMMM"),
    "books/notices/<int:pk>/": ("LNNNAA", "LMMMMM"),
    "books/solidarity/": ("LDAAAA", "LDVVVV"),
    "federation/": ("LDAAAA", "LMMMMM"),
    "federation/credit/": ("LDAAAA", "LMMMMM"),
    "federation/credit/check/": ("LMMMMM", "LDAAAA"),
    "federation/credit/transfer/": ("LDDDMM", "LDDDVV"),
    "federation/credit/transfers/<int:transfer_pk>/reverse/": ("LDDDMM", "LDDDVV"),
    "federation/follow/": ("LDDDMM", "LDDDVV"),
    "federation/offers/": ("LDAAAA", "LMMMMM"),
    "federation/offers/publish/": ("LDDDMM", "LDDDAA"),
    "federation/peers/<int:peer_id>/credit-line/": ("LDDDMM", "LDDDVV"),
    "federation/peers/<int:peer_id>/unfollow/": ("LDDDMM", "LDDDAA"),
    "federation/referrals/": ("LDAAAA", "LMMMMM"),
    "federation/referrals/<uuid:referral_id>/accept/": ("LDDDMM", "LDDDAA"),
    "federation/referrals/<uuid:referral_id>/consent/": ("LNNNNN", "LNNNNN"),
    "federation/referrals/<uuid:referral_id>/delivered/": ("LDDDMM", "LDDDVV"),
    "federation/referrals/<uuid:referral_id>/refuse/": ("LDDDMM", "LDDDVV"),
    "federation/referrals/pass-on/": ("LDDDMM", "LDDDVV"),
    "found/": ("AAAAAA", "AAAAAA"),
    "governance/": ("LNAAAA", "LMMMMM"),
    "governance/<int:number>/": ("LNAAAA", "LMMMMM"),
    "governance/<int:number>/ballots.blt": ("LNNNNN", "LMMMMM"),
    "governance/<int:number>/comments/": ("LMMMMM", "LNVVVV"),
    "governance/<int:number>/outcome/": ("LMMMMM", "LNVVVV"),
    "governance/<int:number>/statements/": ("LMMMMM", "LNVVVV"),
    "governance/<int:number>/vote/": ("LMMMMM", "LNVVVV"),
    "governance/<int:number>/withdraw/": ("LMMMMM", "LDDDVV"),
    "governance/assemblies/": ("LNAAAA", "LMMMMM"),
    "governance/assemblies/<int:number>/": ("LNAAAA", "LMMMMM"),
    "governance/assemblies/<int:number>/agenda/": ("LNDDAA", "LNDDVV"),
    "governance/assemblies/<int:number>/assembly.ics": ("LNAAAA", "LMMMMM"),
    "governance/assemblies/<int:number>/attendance/": ("LNDDAA", "LNDDVV"),
    "governance/assemblies/<int:number>/cancel/": ("LMMMMM", "LNVVVV"),
    "governance/assemblies/<int:number>/check-in/": ("LMMMMM", "LNVVVV"),
    "governance/assemblies/<int:number>/close/": ("LMMMMM", "LNDDVV"),
    "governance/assemblies/<int:number>/minutes/": ("LNDDAA", "LNDDVV"),
    "governance/assemblies/<int:number>/minutes/addendum/": ("LMMMMM", "LNVVVV"),
    "governance/assemblies/<int:number>/minutes/approve/": ("LMMMMM", "LNVVVV"),
    "governance/assemblies/<int:number>/open/": ("LMMMMM", "LNDDVV"),
    "governance/assemblies/call/": ("LNDDAA", "LNDDVV"),
    "governance/assemblies/requests/<int:request_id>/sign/": ("LMMMMM", "LNAAAA"),
    "governance/assemblies/requests/new/": ("LNAAAA", "LNVVVV"),
    "governance/delegations/": ("LNAAAA", "LNVVVV"),
    "governance/delegations/<int:delegation_id>/revoke/": ("LMMMMM", "LNNNNN"),
    "governance/mandates/": ("LNAAAA", "LMMMMM"),
    "governance/new/": ("LNAAAA", "LNVVVV"),
    "governance/receipt/": ("LNAAAA", "LMMMMM"),
    "governance/statements/<int:statement_id>/say/": ("LMMMMM", "LVVVVV"),
    "i18n/setlang/": ("AAAAAA", "AAAAAA"),
    "log/": ("AAAAAA", "VVVVVV"),
    "log/head.txt": ("AAAAAA", "MMMMMM"),
    "log/sign/": ("MMMMMM", "LDAAAA"),
    "log/verifier.py": ("AAAAAA", "MMMMMM"),
    "manifest.webmanifest": ("AAAAAA", "MMMMMM"),
    "market/": ("AAAAAA", "MMMMMM"),
    "market/fairness/": ("LDAAAA", "LMMMMM"),
    "market/fairness/self-report/": ("LAAAAA", "LAAAAA"),
    "market/fairness/self-report/withdraw/": ("LMMMMM", "LAAAAA"),
    "market/orders/": ("LAAAAA", "LMMMMM"),
    "market/orders/<int:order_id>/": ("LNNNAA", "LNNNVV"),
    "market/projects/": ("LAAAAA", "LMMMMM"),
    "market/projects/<int:brief_id>/": ("LAAAAA", "LMMMMM"),
    "market/projects/<int:brief_id>/cancel/": ("LMMMMM", "LDDDDD"),
    "market/projects/<int:brief_id>/proposals/": ("LMMMMM", "LVVVVV"),
    "market/projects/<int:brief_id>/proposals/<int:proposal_id>/choose/": ("LMMMMM", "LVVVVV"),
    "market/projects/milestones/<int:order_id>/<slug:step>/": ("LMMMMM", "LNNNVV"),
    "market/projects/new/": ("LAAAAA", "LVVVVV"),
    "market/projects/proposals/<int:proposal_id>/withdraw/": ("LMMMMM", "LNNNNN"),
    "market/services/": ("AAAAAA", "MMMMMM"),
    "market/services/<int:service_id>/": ("LAAAAA", "LVVVVV"),
    "market/services/<int:service_id>/edit/": ("LDDDAA", "LDDDVV"),
    "market/services/bookings/<int:order_id>/cancel/": ("LMMMMM", "LNNDDD"),
    "market/services/bookings/<int:order_id>/complete/": ("LMMMMM", "LNNVVV"),
    "market/services/bookings/<int:order_id>/confirm/": ("LMMMMM", "LNNAAA"),
    "market/services/bookings/<int:order_id>/decline/": ("LMMMMM", "LNNAAA"),
    "market/services/bookings/<int:order_id>/reschedule/": ("LNNDDD", "LNNDDD"),
    "market/services/bookings/<int:order_id>/start/": ("LMMMMM", "LNNVVV"),
    "market/services/manage/": ("LDDDAA", "LDDDVV"),
    "market/services/schedule/": ("LAAAAA", "LMMMMM"),
    "market/services/week/": ("LAAAAA", "LVVVVV"),
    "market/services/week/<int:window_id>/remove/": ("LMMMMM", "LNNNNN"),
    "market/shop/": ("AAAAAA", "MMMMMM"),
    "market/shop/cart/": ("LAAAAA", "LMMMMM"),
    "market/shop/cart/<int:product_id>/": ("LMMMMM", "LAAAAA"),
    "market/shop/cart/add/<int:product_id>/": ("LMMMMM", "LAAAAA"),
    "market/shop/checkout/": ("LMMMMM", "LVVVVV"),
    "market/shop/mine/": ("LDDAAA", "LMMMMM"),
    "market/shop/orders/<int:order_id>/<slug:step>/": ("LMMMMM", "LNNNDD"),
    "market/shop/products/<int:product_id>/edit/": ("LNNNNN", "LNNNNN"),
    "market/shop/products/new/": ("LDDAAA", "LDDVVV"),
    "market/trips/": ("LAAAAA", "LVVVVV"),
    "market/trips/<int:order_id>/": ("LNNNAA", "LMMMMM"),
    "market/trips/<int:order_id>/accept/": ("LMMMMM", "LDDDDD"),
    "market/trips/<int:order_id>/cancel/": ("LMMMMM", "LDDDAA"),
    "market/trips/<int:order_id>/complete/": ("LMMMMM", "LNNNVV"),
    "market/trips/<int:order_id>/decline/": ("LMMMMM", "LDDDDD"),
    "market/trips/<int:order_id>/pickup/": ("LMMMMM", "LDDDDD"),
    "market/trips/<int:order_id>/take/": ("LMMMMM", "LDDNAV"),
    "market/trips/places/": ("LDDDAA", "LDDDVV"),
    "market/trips/work/": ("LDDAAA", "LDDVVV"),
    "market/works/": ("AAAAAA", "MMMMMM"),
    "market/works/<int:work_id>/": ("AAAAAA", "MMMMMM"),
    "market/works/<int:work_id>/licences/": ("LMMMMM", "LVVVVV"),
    "market/works/<int:work_id>/preview.jpg": ("NNNNNN", "MMMMMM"),
    "market/works/<int:work_id>/withdraw/": ("LMMMMM", "LNNNAA"),
    "market/works/licences/<int:order_id>/download/": ("LNNNNN", "LMMMMM"),
    "market/works/mine/": ("LAAAAA", "LMMMMM"),
    "market/works/upload/": ("LAAAAA", "LVVVVV"),
    "members/": ("AAAAAA", "MMMMMM"),
    "members/applications/<int:pk>/withdraw/": ("LMMMMM", "LNNNDD"),
    "members/apply/": ("LAAAAA", "LVAAAA"),
    "members/board/": ("LDDDAA", "MMMMMM"),
    "members/board/applications/<int:pk>/": ("LDDDAA", "LDDDVV"),
    "members/board/instalments/<int:pk>/pay/": ("MMMMMM", "LDDDVV"),
    "members/board/members/<int:number>/": ("LDDDAA", "MMMMMM"),
    "members/board/members/<int:number>/repay/": ("MMMMMM", "LDDDVV"),
    "members/board/members/<int:number>/sell-back/": ("MMMMMM", "LDDDVV"),
    "members/board/members/<int:number>/transfer/": ("MMMMMM", "LDDDVV"),
    "members/me/": ("LAAAAA", "LMMMMM"),
    "members/me/notice/": ("LNAAAA", "LNVVVV"),
    "members/me/profile/": ("LAAAAA", "LVVVVV"),
    "members/registers/": ("LDAAAA", "LMMMMM"),
    "members/registers/members/": ("LDAAAA", "LMMMMM"),
    "members/registers/shares/": ("LDAAAA", "LMMMMM"),
    "my-data/": ("LAAAAA", "LMMMMM"),
    "my-data/close/": ("LAAAAA", "LVVVVV"),
    "my-data/consents/": ("LMMMMM", "LVVVVV"),
    "my-data/correct/": ("LAAAAA", "LVVVVV"),
    "my-data/download/": ("LAAAAA", "LMMMMM"),
    "my-data/pdf/": ("LAAAAA", "LMMMMM"),
    "my-data/print/": ("LAAAAA", "LMMMMM"),
    "nodeinfo/2.1": ("AAAAAA", "MMMMMM"),
    "notifications/": ("LAAAAA", "LMMMMM"),
    "notifications/calendar/new/": ("LMMMMM", "LAAAAA"),
    "notifications/calendar/revoke/": ("LMMMMM", "LAAAAA"),
    "notifications/preferences/": ("LAAAAA", "LAAAAA"),
    "notifications/read-all/": ("LMMMMM", "LAAAAA"),
    # The school: courses for every account, the knowledge base for members, writing for
    # teachers (the demo's board member and founder) and page editors (every member).
    "school/": ("LAAAAA", "LMMMMM"),
    "school/search/": ("LAAAAA", "LMMMMM"),
    "school/new-course/": ("LDDDAA", "LDDDVV"),
    "school/import/": ("LDAAAA", "LDVVVV"),
    "school/images/": ("LMMMMM", "LDVVVV"),
    "school/media/<str:name>": ("LNNNNN", "LMMMMM"),
    "school/courses/<slug:course_key>/": ("LAAAAA", "LMMMMM"),
    "school/courses/<slug:course_key>/edit/": ("LDDDAA", "LDDDVV"),
    "school/courses/<slug:course_key>/export.json": ("LAAAAA", "LMMMMM"),
    "school/courses/<slug:course_key>/new-lesson/": ("LDDDAA", "LDDDVV"),
    "school/courses/<slug:course_key>/lessons/<slug:lesson_key>/": ("LAAAAA", "LAAAAA"),
    "school/courses/<slug:course_key>/lessons/<slug:lesson_key>/edit/": ("LDDDAA", "LDDDVV"),
    "school/pages/": ("LDAAAA", "LMMMMM"),
    "school/new-page/": ("LDAAAA", "LDVVVV"),
    "school/pages/<str:slug>/": ("LDAAAA", "LMMMMM"),
    "school/pages/<str:slug>/edit/": ("LDAAAA", "LDVVVV"),
    "school/pages/<str:slug>/history/": ("LDAAAA", "LMMMMM"),
    "school/pages/<str:slug>/history/<int:number>/": ("LDAAAA", "LMMMMM"),
    "school/pages/<str:slug>/history/<int:number>/revert/": ("LMMMMM", "LDAAAA"),
    "school/pages/<str:slug>/share/": ("LMMMMM", "LDAAAA"),
    "school/pages/<str:slug>/export.json": ("LDAAAA", "LMMMMM"),
    "offline/": ("AAAAAA", "MMMMMM"),
    "open-data/": ("AAAAAA", "MMMMMM"),
    "open-data/open-data.csv": ("AAAAAA", "MMMMMM"),
    "operations/": ("LDAAAA", "LMMMMM"),
    "roles/": ("LDDDDA", "LDDDDV"),
    "roles/<int:pk>/revoke/": ("LMMMMM", "LDDDDA"),
    "rules/": ("AAAAAA", "MMMMMM"),
    "sw.js": ("AAAAAA", "MMMMMM"),
}
API: dict[str, str] = {
    "POST api/notifications/<id>/read": "DNNNAN",
    "GET api/applications": "DAAAAA",
    "POST api/applications": "DVVVVV",
    "GET api/applications/<id>": "DNNNAA",
    "POST api/applications/<id>/approve": "DDDDAA",
    "POST api/applications/<id>/refuse": "DVVVVV",
    "POST api/applications/<id>/withdraw": "DDDDDD",
    "GET api/books/balance-sheet": "DDAAAA",
    "GET api/books/earnings-floor": "DDDDAA",
    "POST api/books/earnings-floor": "DVVVVV",
    "POST api/books/expenses": "DVVVVV",
    "GET api/books/income-statement": "DDAAAA",
    "POST api/books/payout-runs": "DVVVVV",
    "POST api/books/sales": "DVVVVV",
    "GET api/books/statement": "DDAAAA",
    "GET api/coop": "AAAAAA",
    "GET api/federation/credit-lines": "DDAAAA",
    "POST api/federation/credit-lines": "DVVVVV",
    "POST api/federation/follow": "DVVVVV",
    "GET api/federation/network-check": "DDAAAA",
    "GET api/federation/offers": "DDAAAA",
    "POST api/federation/offers/publish": "DDDDAA",
    "GET api/federation/peers": "DDAAAA",
    "GET api/federation/referrals": "DDAAAA",
    "POST api/federation/referrals": "DVVVVV",
    "POST api/federation/referrals/<referral_id>/answer": "DVVVVV",
    "POST api/federation/referrals/<referral_id>/consent": "DVVVVV",
    "POST api/federation/referrals/<referral_id>/delivered": "DVVVVV",
    "GET api/federation/transfers": "DDAAAA",
    "POST api/federation/transfers": "DVVVVV",
    "POST api/federation/transfers/<transfer_pk>/reverse": "DVVVVV",
    "GET api/governance/assemblies": "DNAAAA",
    "POST api/governance/assemblies": "DVVVVV",
    "GET api/governance/assemblies/<number>": "DNAAAA",
    "POST api/governance/assemblies/<number>/attendance": "DVVVVV",
    "POST api/governance/assemblies/<number>/check-in": "DNVVVV",
    "PUT api/governance/assemblies/<number>/minutes": "DVVVVV",
    "GET api/governance/delegations": "DNAAAA",
    "POST api/governance/delegations": "DVVVVV",
    "POST api/governance/delegations/<delegation_id>/revoke": "DDNNNN",
    "GET api/governance/mandates": "DNAAAA",
    "GET api/governance/proposals": "DNAAAA",
    "POST api/governance/proposals": "DVVVVV",
    "GET api/governance/proposals/<number>": "DNAAAA",
    "GET api/governance/proposals/<number>/ballots": "DNAAAA",
    "POST api/governance/proposals/<number>/ballots": "DVVVVV",
    "GET api/governance/proposals/<number>/ballots.blt": "DNNNNN",
    "GET api/governance/proposals/<number>/comments": "DNAAAA",
    "POST api/governance/proposals/<number>/comments": "DVVVVV",
    "GET api/governance/proposals/<number>/impact": "DNAAAA",
    "GET api/governance/proposals/<number>/opinions": "DNAAAA",
    "PUT api/governance/proposals/<number>/outcome": "DVVVVV",
    "GET api/governance/proposals/<number>/statements": "DNAAAA",
    "POST api/governance/proposals/<number>/statements": "DVVVVV",
    "POST api/governance/proposals/<number>/withdraw": "DDDDVV",
    "GET api/governance/receipts/<receipt>": "DNAAAA",
    "POST api/governance/statements/<statement_id>/say": "DVVVVV",
    "POST api/instalments/<id>/payments": "DVVVVV",
    "GET api/log/checkpoint": "AAAAAA",
    "POST api/log/checkpoint": "DDAAAA",
    "GET api/log/entries": "AAAAAA",
    "GET api/log/entries/<seq>/content": "DDAAAA",
    "GET api/log/key": "AAAAAA",
    "GET api/log/proof/consistency": "VVVVVV",
    "GET api/log/proof/inclusion": "VVVVVV",
    "POST api/log/witness": "VVVVVV",
    "GET api/market/fairness/": "DDAAAA",
    "DELETE api/market/fairness/me/self-report": "DAAAAA",
    "GET api/market/fairness/me/self-report": "DAAAAA",
    "PUT api/market/fairness/me/self-report": "DVVVVV",
    "GET api/market/orders": "DAAAAA",
    "GET api/market/orders/<order_id>": "DNNNAA",
    "POST api/market/orders/<order_id>/rating": "DVVVVV",
    "GET api/market/projects/": "DAAAAA",
    "POST api/market/projects/": "DVVVVV",
    "GET api/market/projects/<brief_id>": "DAAAAA",
    "POST api/market/projects/<brief_id>/proposals": "DVVVVV",
    "POST api/market/projects/milestones/<order_id>/accept": "DVVVVV",
    "POST api/market/projects/milestones/<order_id>/cancel": "DVVVVV",
    "POST api/market/projects/milestones/<order_id>/deliver": "DVVVVV",
    "POST api/market/projects/milestones/<order_id>/dispute": "DVVVVV",
    "POST api/market/projects/milestones/<order_id>/resolve": "DVVVVV",
    "POST api/market/projects/proposals/<proposal_id>/choose": "DVVVVV",
    "POST api/market/projects/proposals/<proposal_id>/withdraw": "DNNNNN",
    "GET api/market/services/availability": "DAAAAA",
    "PUT api/market/services/availability": "DVVVVV",
    "POST api/market/services/bookings": "DVVVVV",
    "POST api/market/services/bookings/<order_id>/cancel": "DVVVVV",
    "POST api/market/services/bookings/<order_id>/complete": "DVVVVV",
    "POST api/market/services/bookings/<order_id>/confirm": "DNNAAA",
    "POST api/market/services/bookings/<order_id>/decline": "DVVVVV",
    "POST api/market/services/bookings/<order_id>/reschedule": "DVVVVV",
    "POST api/market/services/bookings/<order_id>/start": "DNNVVV",
    "GET api/market/services/services": "AAAAAA",
    "GET api/market/services/services/<service_id>/slots": "VVVVVV",
    "GET api/market/shop/cart": "DAAAAA",
    "PUT api/market/shop/cart": "DVVVVV",
    "POST api/market/shop/checkout": "DVVVVV",
    "POST api/market/shop/orders/<order_id>/cancel": "DNNNDD",
    "POST api/market/shop/orders/<order_id>/confirm": "DNNNDD",
    "POST api/market/shop/orders/<order_id>/delivered": "DVVVVV",
    "POST api/market/shop/orders/<order_id>/handed-over": "DVVVVV",
    "POST api/market/shop/orders/<order_id>/ready": "DVVVVV",
    "POST api/market/shop/orders/<order_id>/refuse": "DNNNDD",
    "GET api/market/shop/products": "AAAAAA",
    "POST api/market/shop/products": "DVVVVV",
    "GET api/market/shop/products/<product_id>": "AAAAAA",
    "PATCH api/market/shop/products/<product_id>": "DVVVVV",
    "GET api/market/shop/products/mine": "DDDAAA",
    "POST api/market/trips/": "DVVVVV",
    "GET api/market/trips/<order_id>": "DNNNAA",
    "POST api/market/trips/<order_id>/accept": "DDDDDD",
    "POST api/market/trips/<order_id>/cancel": "DDDDAA",
    "POST api/market/trips/<order_id>/complete": "DVVVVV",
    "POST api/market/trips/<order_id>/decline": "DDDDDD",
    "POST api/market/trips/<order_id>/pickup": "DDDDDD",
    "POST api/market/trips/<order_id>/take": "DDDVAV",
    "GET api/market/trips/offers": "DDDAAA",
    "GET api/market/trips/places": "AAAAAA",
    "POST api/market/trips/presence": "DVVVVV",
    "POST api/market/trips/quote": "DVVVVV",
    "GET api/market/work": "DAAAAA",
    "GET api/market/works/": "AAAAAA",
    "POST api/market/works/": "DVVVVV",
    "GET api/market/works/<work_id>": "AAAAAA",
    "POST api/market/works/<work_id>/licences": "DVVVVV",
    "POST api/market/works/<work_id>/withdraw": "DNNNAA",
    "GET api/market/works/licences/<token>/download": "NNNNNN",
    "GET api/me": "DNAAAA",
    "POST api/me/close": "DVVVVV",
    "GET api/me/closing": "DAAAAA",
    "GET api/me/data": "DAAAAA",
    "PATCH api/me/profile": "DVVVVV",
    "GET api/members": "AAAAAA",
    "GET api/members/<number>": "AAAAAA",
    "DELETE api/members/<number>/notice": "DNNNVV",
    "POST api/members/<number>/notice": "DNNNAA",
    "POST api/members/<number>/repayment": "DVVVVV",
    "POST api/members/<number>/sell-back": "DVVVVV",
    "POST api/members/<number>/transfer": "DVVVVV",
    "GET api/notifications": "DAAAAA",
    "GET api/notifications/preferences": "DAAAAA",
    "PUT api/notifications/preferences": "DVVVVV",
    "POST api/notifications/read-all": "DAAAAA",
    "GET api/school/courses": "DAAAAA",
    "GET api/school/courses/<key>": "DAAAAA",
    "GET api/school/courses/<key>/lessons/<lesson>": "DAAAAA",
    "POST api/school/courses/<key>/lessons/<lesson>/answers": "DVVVVV",
    "GET api/school/search": "DVVVVV",  # the empty query string lacks the required q
    "GET api/school/pages": "DDAAAA",
    "GET api/school/pages/<slug>": "DDAAAA",
    "GET api/open-data/": "AAAAAA",
    "GET api/policy": "AAAAAA",
    "GET api/policy/versions": "AAAAAA",
    "GET api/tokens": "DAAAAA",
    "POST api/tokens": "DVVVVV",
    "DELETE api/tokens/<id>": "DNNANN",
}


def declared() -> set[str]:
    return set(PAGES) | {key.split(" ", 1)[1] for key in API}


def test_every_address_is_in_the_matrix() -> None:
    known = {r for r in routes() if not r.startswith(ADMIN_PREFIX)}
    unclassified = sorted(known - declared())
    stale = sorted(declared() - known)
    assert not unclassified, f"unclassified URL: {unclassified}"
    assert not stale, f"no longer an address: {stale}"
    methods = api_methods()
    api_keys = {f"{m} {route}" for route, ms in methods.items() for m in ms}
    assert sorted(api_keys - set(API)) == [], "unclassified API operation"
    assert sorted(set(API) - api_keys) == []


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One populated co-op for the whole module, rolled back at its end."""
    with (
        override_settings(
            MEDIA_ROOT=tmp_path_factory.mktemp("media"),
            LOG_SIGNING_KEY=TEST_LOG_KEY,
            FEDERATION_PRIVATE_KEY=TEST_FEDERATION_KEY,
            TAAWUN_API_RATES={"anon": "100000/min", "user": "100000/min"},
        ),
        django_db_blocker.unblock(),
        audited_block(),
    ):
        built = build_world()
        yield built
        transaction.set_rollback(True)


def audited_block() -> Any:
    """A block the audit trail treats as a test's own (as Django's TestCase marks its blocks):
    the actions inside it write their entries as they finish, so a write shows."""
    block = transaction.atomic()
    block._from_testcase = True  # type: ignore[attr-defined]
    return block


def clients(world: World) -> dict[str, Client]:
    found = {}
    for role in ROLES:
        client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
        user = world.users[role]
        if user is not None:
            client.force_login(user)
        found[role] = client
    return found


def outcome(client: Client, method: str, url: str, *, check_unchanged: bool = True) -> str:
    """Send one request in a savepoint rolled back afterwards, so every request meets the same
    co-op; a refusal must leave every table as it was."""
    cache.clear()  # rate limits and cached pages would make the answers depend on order
    cookies = SimpleCookie(client.cookies)  # a sign-out or a new session is undone too
    with audited_block():
        before = snapshot() if method != "GET" and check_unchanged else None
        if method == "GET":
            response = client.get(url)
        else:
            response = client.generic(method, url, b"", content_type="application/json")
        letter = classify(response)
        if before is not None and letter in "LDNM":
            assert snapshot() == before, f"a refused {method} {url} changed the database"
        transaction.set_rollback(True)
    client.cookies = cookies
    return letter


def row(client_of: dict[str, Client], method: str, url: str) -> str:
    return "".join(outcome(client_of[role], method, url) for role in ROLES)


@pytest.mark.django_db
def test_every_role_gets_what_the_matrix_says(world: World) -> None:
    client_of = clients(world)
    wrong = []
    for route, (get, post) in sorted(PAGES.items()):
        url = fill(route, world.ids)
        for method, expected in (("GET", get), ("POST", post)):
            got = row(client_of, method, url)
            if got != expected:
                wrong.append(f"{method} {route}: expected {expected}, got {got}")
    for key, expected in sorted(API.items()):
        method, route = key.split(" ", 1)
        got = row(client_of, method, fill(route, world.ids))
        if got != expected:
            wrong.append(f"{key}: expected {expected}, got {got}")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.django_db
def test_nobody_in_the_co_op_reaches_the_django_admin(world: World) -> None:
    client_of = clients(world)
    wrong = []
    for route in routes():
        if route.startswith(ADMIN_PREFIX) and "(?P<url>" not in route:
            url = fill(route.replace("<path:object_id>", "1"), world.ids)
            got = row(client_of, "GET", url)
            if got != ADMIN_PUBLIC.get(route, ADMIN_EXPECTED):
                wrong.append(f"GET {route}: got {got}")
    assert wrong == [], "\n".join(wrong)

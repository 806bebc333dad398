from django.urls import path

from . import views

app_name = "members"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("apply/", views.apply, name="apply"),
    path("me/", views.mine, name="mine"),
    path("me/profile/", views.profile, name="profile"),
    path("me/notice/", views.notice, name="notice"),
    path("applications/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("board/", views.board, name="board"),
    path("board/applications/<int:pk>/", views.application_decide, name="application"),
    path("board/members/<int:number>/", views.member_detail, name="member"),
    path("board/instalments/<int:pk>/pay/", views.pay_instalment, name="pay_instalment"),
    path("board/members/<int:number>/sell-back/", views.sell_back, name="sell_back"),
    path("board/members/<int:number>/repay/", views.repay, name="repay"),
    path("board/members/<int:number>/transfer/", views.transfer, name="transfer"),
    path("registers/", views.registers, name="registers"),
    path("registers/members/", views.member_register, name="member_register"),
    path("registers/shares/", views.share_register, name="share_register"),
]

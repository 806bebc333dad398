from django.urls import path

from . import views

app_name = "ledger"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("journal/", views.journal, name="journal"),
    path("journal.csv", views.export_csv, name="export_csv"),
    path("books.beancount", views.export_beancount, name="export_beancount"),
    path("me/", views.my_statement, name="mine"),
    path("members/<int:number>/", views.member_statement, name="member"),
    path("notices/<int:pk>/", views.notice, name="notice"),
    path("notices/<int:pk>.pdf", views.notice_pdf, name="notice_pdf"),
    path("solidarity/", views.solidarity, name="solidarity"),
    path("desk/", views.desk, name="desk"),
    path("desk/sale/", views.record_sale, name="sale"),
    path("desk/expense/", views.record_expense, name="expense"),
    path("desk/income/", views.record_income, name="income"),
    path("desk/move/", views.move_money, name="move"),
    path("desk/payouts/", views.run_payouts, name="payouts"),
    path("desk/reverse/", views.reverse, name="reverse"),
    path("desk/periods/<int:pk>/close/", views.close_period, name="close"),
    path("desk/periods/<int:pk>/reopen/", views.reopen_period, name="reopen"),
    path("desk/earnings-floor/", views.floor_runs, name="floor_runs"),
    path("desk/earnings-floor/apply/", views.apply_earnings_floor, name="floor"),
    path("desk/claims/<int:pk>/", views.decide_claim, name="decide"),
]

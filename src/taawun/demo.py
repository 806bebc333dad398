"""A demo co-op: cleaners in Ramallah, about twenty members, built only through real actions."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from taawun.accounts.actions import create_account, grant_role
from taawun.accounts.models import Role, User
from taawun.coop.actions import found_coop
from taawun.coop.selectors import current_policy
from taawun.domain.money import Money
from taawun.domain.policy import STANDARD_CLASS_NAMES, founding_policy
from taawun.governance import demo as governance
from taawun.ledger import actions as books
from taawun.ledger.models import Account, Period
from taawun.members import actions as members
from taawun.members.models import Membership
from taawun.school import demo as school

DEMO_PASSWORD = "demo-taawun-2026"  # noqa: S105 - a published demo login, not a secret  # nosec B105
DEMO_DOMAIN = "demo.taawun.example"

CLASSES = [
    {
        "key": "worker",
        "name": STANDARD_CLASS_NAMES["worker"],
        "share_price": "250.00",
        "instalments": 5,
        "instalment_interval_days": 30,
        "votes": True,
        "works": True,
    },
    {
        "key": "user",
        "name": STANDARD_CLASS_NAMES["user"],
        "share_price": "50.00",
        "instalments": 1,
        "votes": True,
    },
    {
        "key": "supporter",
        "name": STANDARD_CLASS_NAMES["supporter"],
        "share_price": "500.00",
        "instalments": 2,
        "instalment_interval_days": 90,
        "votes": False,
    },
]

# (email name, Arabic name, class, instalments paid, city, skills)
PEOPLE = [
    ("khalil", "خليل حمدان", "worker", 5, "البيرة", "تنظيف منازل، سجاد"),
    ("rana", "رنا عودة", "worker", 5, "رام الله", "تنظيف مكاتب"),
    ("yousef", "يوسف الخطيب", "worker", 3, "رام الله", "تنظيف بعد البناء"),
    ("huda", "هدى شحادة", "worker", 2, "بيتونيا", "كي وغسيل"),
    ("omar", "عمر بركات", "worker", 1, "البيرة", "واجهات زجاجية"),
    ("mariam", "مريم عبد الله", "worker", 5, "سردا", "تعقيم"),
    ("sami", "سامي داود", "worker", 4, "رام الله", "تنظيف منازل"),
    ("lina", "لينا قاسم", "worker", 0, "عين عريك", "تنظيف مطابخ"),
    ("fadi", "فادي نصار", "worker", 5, "البيرة", "سجاد وكنب"),
    ("nour", "نور الهدى سليم", "worker", 2, "رام الله", "رعاية منازل كبار السن"),
    ("ahmad", "أحمد زيد", "worker", 5, "بيرزيت", "تنظيف مدارس"),
    ("salma", "سلمى يعقوب", "user", 1, "رام الله", ""),
    ("tareq", "طارق منصور", "user", 1, "البيرة", ""),
    ("dima", "ديما حجازي", "user", 0, "رام الله", ""),
    ("bassam", "بسام عيسى", "supporter", 2, "بيت لحم", ""),
    ("hanan", "حنان الريماوي", "supporter", 1, "رام الله", ""),
    ("jamil", "جميل عوض", "user", 1, "بيتونيا", ""),
]
APPLICANTS = [
    ("wafa", "وفاء الأحمد", "worker", "أعمل في التنظيف منذ خمس سنوات وأريد أن أكون شريكة."),
    ("karim", "كريم السعدي", "user", "أستخدم خدماتكم كل أسبوع."),
    ("ruba", "ربى خوري", "worker", "I clean offices in Ramallah and want a fair share."),
]


def _account(handle: str, arabic_name: str) -> User:
    return create_account(
        email=f"{handle}@{DEMO_DOMAIN}", full_name=arabic_name, password=DEMO_PASSWORD
    )


@transaction.atomic
def create_demo() -> None:
    policy = founding_policy(currency="ILS", classes=CLASSES)
    found_coop(
        name_ar="تعاونية رام الله للتنظيف",
        name_en="Ramallah Cleaning Co-op",
        handle="ramallah-cleaning",
        city="رام الله والبيرة",
        about_ar="عاملات وعمال تنظيف يملكون منصتهم: الأجر العادل للعامل، والقرار للأعضاء.",
        about_en=(
            "Cleaners who own their platform: fair pay for the worker, decisions by the members."
        ),
        policy=policy,
        founder_email=f"amal@{DEMO_DOMAIN}",
        founder_name="أمل منصور",
        founder_password=DEMO_PASSWORD,
        founder_class="worker",
    )
    founder = User.objects.get(email=f"amal@{DEMO_DOMAIN}")
    for instalment in founder.memberships.get().instalments.all():
        members.record_instalment_payment(actor=founder, instalment_id=instalment.pk, method="cash")
    version = current_policy().number
    for index, (handle, name, member_class, paid, city, skills) in enumerate(PEOPLE):
        person = _account(handle, name)
        application = members.apply_for_membership(actor=person, member_class=member_class)
        membership = members.approve_application(actor=founder, application_id=application.pk)
        for instalment in membership.instalments.order_by("number")[:paid]:
            members.record_instalment_payment(
                actor=founder,
                instalment_id=instalment.pk,
                method="bank",
                reference=f"PB-{instalment.pk:05d}",
            )
        members.update_profile(
            actor=person,
            city=city,
            skills=skills,
            city_visibility="public" if handle in {"khalil", "rana", "fadi"} else "members",
            phone=f"+970 59 {210 + index * 7} {4100 + index * 113}",
            phone_visibility="members" if handle in {"rana", "sami"} else "private",
            show_in_directory=handle != "dima",
        )
        if handle in {"khalil", "rana"}:
            grant_role(actor=founder, user=person, role=Role.BOARD, policy_version=version)
    leaving = User.objects.get(email=f"jamil@{DEMO_DOMAIN}").memberships.get()
    members.give_notice(actor=leaving.user, membership_id=leaving.pk)
    for handle, name, member_class, motivation in APPLICANTS:
        members.apply_for_membership(
            actor=_account(handle, name), member_class=member_class, motivation=motivation
        )
    create_demo_books(founder)
    create_demo_market(founder)
    governance.populate(founder)
    school.populate(founder)


EXPENSES = [
    ("مواد تنظيف", "420.00"),
    ("الخادم واسم النطاق", "95.00"),
    ("تأمين العمال", "610.00"),
    ("مواصلات", "280.00"),
]


def _work(founder: User, rng: random.Random, first: dt.date, last: dt.date, jobs: int) -> None:
    """Jobs paid by customers, tips, expenses and a grant, spread over [first, last]."""
    workers = list(
        Membership.objects.filter(member_class="worker").exclude(status="left").order_by("number")
    )
    span = (last - first).days
    for _ in range(jobs):
        worker = rng.choice(workers)
        hours = Decimal(rng.choice([2, 3, 4, 4, 6, 8]))
        books.record_sale(
            actor=founder,
            worker_number=worker.number,
            price=Money(hours * Decimal(45), "ILS"),
            tip=Money(Decimal(rng.choice([0, 0, 10, 20])), "ILS"),
            method=rng.choice(["cash", "bank", "wallet"]),
            hours=hours,
            on=first + dt.timedelta(days=rng.randint(0, span)),
        )
    for memo, amount in EXPENSES:
        books.record_expense(
            actor=founder,
            amount=Money(Decimal(amount), "ILS"),
            method="bank",
            memo=memo,
            on=first + dt.timedelta(days=rng.randint(0, span)),
        )


def create_demo_books(founder: User) -> None:
    """Last year worked, closed and shared; this year under way; one claim on the fund."""
    rng = random.Random(2026)  # the same demo every time
    today = timezone.localdate()
    last_year = dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
    _work(founder, rng, *last_year, jobs=160)
    books.record_other_income(
        actor=founder,
        amount=Money(Decimal("1500.00"), "ILS"),
        method="bank",
        memo="منحة تدريب من البلدية",
        on=dt.date(today.year - 1, 6, 15),
    )
    for method in ("cash", "wallet"):  # the takings are paid into the bank before payday
        held = Account.objects.get(purpose=method, member=None).balance
        books.move_money(
            actor=founder,
            amount=Money(held, "ILS"),
            from_method=method,
            to_method="bank",
            memo="إيداع في البنك",
            on=last_year[1],
        )
    books.close_period(actor=founder, period_id=Period.objects.get(starts_on=last_year[0]).pk)
    owed = Account.objects.filter(purpose="owed_to_member", balance__lt=0)
    books.run_payouts(
        actor=founder,
        method="bank",
        idempotency_key="demo-payout-1",
        references={a.member.number: f"TR-{a.member.number:04d}" for a in owed if a.member},
    )
    _work(founder, rng, dt.date(today.year, 1, 1), today, jobs=140)
    huda = User.objects.get(email=f"huda@{DEMO_DOMAIN}")
    books.claim_support(
        actor=huda,
        reason="sickness",
        amount=Money(Decimal("300.00"), "ILS"),
        details="أسبوعان في البيت بعد عملية صغيرة.",
    )


def create_demo_market(founder: User) -> None:
    """Orders in every sector at every stage, and a few members' consented self-reports."""
    from taawun.market.fairness import demo as fairness
    from taawun.market.products import demo as products
    from taawun.market.projects import demo as projects
    from taawun.market.services import demo as services
    from taawun.market.trips import demo as trips
    from taawun.market.works import demo as works

    for sector in (services, trips, projects, products, works, fairness):
        sector.populate(founder)

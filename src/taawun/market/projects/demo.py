"""Demo freelance projects in Ramallah and Al-Bireh, made through the real actions: an open
brief with proposals, a project under way with a milestone delivered, a disputed milestone for
the board, and a finished project paid milestone by milestone."""

from __future__ import annotations

import random
from decimal import Decimal

from django.db import transaction

from taawun.accounts.actions import create_account
from taawun.accounts.models import User
from taawun.demo import DEMO_DOMAIN, DEMO_PASSWORD
from taawun.domain.money import Money
from taawun.members.models import Membership

from . import actions
from .models import Milestone, Proposal

CUSTOMERS = [
    ("prj-reem", "ريم الشامي"),
    ("prj-george", "George Khoury"),
    ("prj-abeer", "عبير دويك"),
    ("prj-majd", "مجد البرغوثي"),
]

# (customer, title, description, budget, [(price, days, plan, [(milestone, amount)])])
BRIEFS = [
    (
        "prj-reem",
        "شعار ولافتة لمخبز في البيرة",
        "شعار دائري بالعربية والإنجليزية للافتة المحل وأكياس الخبز، بألوان دافئة.",
        "600.00",
        [
            (
                "550.00",
                10,
                "ثلاث مسودات، ثم الشعار المختار بالألوان وملفات الطباعة.",
                [("مسودات أولى", "200.00"), ("الملفات النهائية", "350.00")],
            ),
            ("480.00", 7, "مسودتان وتعديلان، وملفات جاهزة للطباعة.", [("التصميم كاملا", "480.00")]),
        ],
    ),
    (
        "prj-george",
        "Bilingual website for a Ramallah guesthouse",
        "Five pages in Arabic and English, a booking enquiry form, and photos of the rooms.",
        "2400.00",
        [
            (
                "2200.00",
                21,
                "Design first, then the Arabic pages, then the English ones.",
                [
                    ("Design and home page", "700.00"),
                    ("Arabic pages", "750.00"),
                    ("English pages and launch", "750.00"),
                ],
            ),
        ],
    ),
    (
        "prj-abeer",
        "ترجمة دليل تطوع من الإنجليزية",
        "دليل من 30 صفحة لجمعية شبابية في رام الله، يحتاج ترجمة دقيقة ومراجعة.",
        None,
        [
            (
                "900.00",
                14,
                "ترجمة على دفعتين ومراجعة لغوية في الآخر.",
                [("الصفحات من 1 إلى 15", "450.00"), ("الصفحات من 16 إلى 30 والمراجعة", "450.00")],
            ),
        ],
    ),
    (
        "prj-majd",
        "تصوير منتجات لمتجر زيت زيتون",
        "عشرون صورة على خلفية بيضاء وخمس صور في معصرة قرب بيرزيت.",
        "750.00",
        [
            (
                "700.00",
                5,
                "يوم تصوير في المعصرة ويوم في الاستوديو.",
                [("صور الاستوديو", "400.00"), ("صور المعصرة", "300.00")],
            ),
        ],
    ),
]


def _steps(pairs: list[tuple[str, str]]) -> list[actions.Step]:
    return [actions.Step(title=t, amount=Money(Decimal(a), "ILS")) for t, a in pairs]


@transaction.atomic
def populate(founder: User) -> None:
    rng = random.Random(4242)  # the same demo every time
    people = {
        handle: create_account(
            email=f"{handle}@{DEMO_DOMAIN}", full_name=name, password=DEMO_PASSWORD
        )
        for handle, name in CUSTOMERS
    }
    workers = list(
        Membership.objects.filter(member_class="worker")
        .exclude(status=Membership.Status.LEFT)
        .select_related("user")
        .order_by("number")
    )
    workers = [w for w in workers if w.user_id != founder.pk]
    proposals: list[list[Proposal]] = []
    for handle, title, description, budget, offers in BRIEFS:
        brief = actions.post_brief(
            actor=people[handle],
            title=title,
            description=description,
            budget=Money(Decimal(budget), "ILS") if budget else None,
        )
        chosen_workers = rng.sample(workers, len(offers))
        proposals.append(
            [
                actions.propose(
                    actor=worker.user,
                    brief_id=brief.pk,
                    price=Money(Decimal(price), "ILS"),
                    days=days,
                    plan=plan,
                    milestones=_steps(pairs),
                )
                for worker, (price, days, plan, pairs) in zip(chosen_workers, offers, strict=True)
            ]
        )
    # The first brief stays open. The website is under way, its first milestone delivered.
    site = _agree(people["prj-george"], proposals[1][0], "bank")
    actions.deliver(
        actor=proposals[1][0].worker.user,
        order_id=site[0].order_id,
        note="The design and the home page are online for review.",
        link="https://example.org/guesthouse-preview",
    )
    # The translation: first half paid, second half disputed, for the board to resolve.
    guide = _agree(people["prj-abeer"], proposals[2][0], "wallet")
    translator = proposals[2][0].worker.user
    actions.deliver(
        actor=translator, order_id=guide[0].order_id, note="الصفحات من 1 إلى 15 مترجمة."
    )
    actions.accept(actor=people["prj-abeer"], order_id=guide[0].order_id)
    actions.deliver(actor=translator, order_id=guide[1].order_id, note="الترجمة كاملة.")
    actions.dispute(
        actor=people["prj-abeer"],
        order_id=guide[1].order_id,
        reason="المراجعة اللغوية لم تُرسل بعد.",
    )
    # The photos: both milestones delivered, accepted and paid; the project is closed.
    photos = _agree(people["prj-majd"], proposals[3][0], "cash")
    for milestone, tip in zip(photos, ("0", "30.00"), strict=True):
        actions.deliver(
            actor=proposals[3][0].worker.user,
            order_id=milestone.order_id,
            note="الصور في المجلد المشترك.",
        )
        actions.accept(
            actor=people["prj-majd"],
            order_id=milestone.order_id,
            tip=Money(Decimal(tip), "ILS") if tip != "0" else None,
        )


def _agree(customer: User, proposal: Proposal, method: str) -> list[Milestone]:
    brief = actions.choose_proposal(actor=customer, proposal_id=proposal.pk, method=method)
    return list(brief.milestones.select_related("order").order_by("number"))

"""The demo co-op's governance, through the real actions: a fee change being voted on with its
discussion and opinion round, a rate vote, a decided poll and a decided board election."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from taawun.accounts.models import User
from taawun.members.models import Membership

from . import actions

FEE_CHANGE = (
    "خفض رسوم التعاونية من 10% إلى 8%",
    "الإيرادات تغطي المصاريف بفائض مريح منذ ستة أشهر. نقترح أن يبقى الفرق في جيوب العاملين. "
    "انظروا إلى معاينة الأثر قبل التصويت.",
)
STATEMENTS = [
    "الفائض يجب أن يعود للعاملين أولاً",
    "نحتاج احتياطياً أكبر قبل خفض الرسوم",
    "رسوم 8% تكفي لتغطية الخادم والتأمين",
    "The reserve fund protects us in a bad winter",
    "Lower fees will bring more members to the co-op",
    "يجب تأجيل القرار إلى الجمعية العامة",
]
# Two camps: those who want lower fees now, and those who want the reserve first.
FOR_NOW = ["khalil", "yousef", "huda", "omar", "lina", "nour", "salma"]
RESERVE_FIRST = ["rana", "mariam", "sami", "fadi", "ahmad", "tareq", "dima"]


def _user(handle: str) -> User:
    return User.objects.get(email__startswith=f"{handle}@")


def _number(handle: str) -> int:
    return Membership.objects.get(user=_user(handle), status="active").number


def populate(founder: User) -> None:
    now = timezone.now()
    _decided_poll(founder, now)
    _decided_election(founder, now)
    fee = actions.propose(
        actor=_user("khalil"),
        kind="policy_change",
        title=FEE_CHANGE[0],
        body=FEE_CHANGE[1],
        changes={"fees.coop_fee_percent": "8"},
    )
    for handle, choice in (("khalil", "yes"), ("yousef", "yes"), ("rana", "no"), ("huda", "yes")):
        actions.cast_ballot(actor=_user(handle), number=fee.number, choice=choice)
    first = actions.comment(
        actor=_user("rana"),
        number=fee.number,
        body="أوافق على المبدأ، لكن الشتاء الماضي كان صعباً. ماذا عن الاحتياطي؟",
    )
    actions.comment(
        actor=_user("khalil"),
        number=fee.number,
        body="الاحتياطي يأخذ 30% من الفائض في كل الأحوال، والمعاينة تبين ذلك.",
        parent=first.pk,
    )
    actions.comment(
        actor=_user("fadi"), number=fee.number, body="Could we try 9% for six months first?"
    )
    said = [actions.add_statement(actor=founder, number=fee.number, text=t) for t in STATEMENTS]
    for camp, leaning in ((FOR_NOW, 1), (RESERVE_FIRST, -1)):
        for index, handle in enumerate(camp):
            for position, statement in enumerate(said):
                vote = [leaning, -leaning, leaning, -leaning, leaning, 0][position]
                if (index + position) % 5 == 4:
                    vote = 0  # not everyone agrees with their camp on everything
                actions.say(actor=_user(handle), statement=statement.pk, vote=vote)
    rate = actions.propose(
        actor=_user("mariam"),
        kind="rate",
        title="أجر الساعة لخدمات التنظيف",
        body="كل عضو يكتب الأجر الذي يراه عادلاً، ويُعتمد الوسيط.",
        rate_rule="pricing.services.hourly_rate",
    )
    for handle, value in (("mariam", "50"), ("sami", "48"), ("nour", "55")):
        actions.cast_ballot(actor=_user(handle), number=rate.number, choice=value)


def _decided_poll(founder: User, now: dt.datetime) -> None:
    opened = now - dt.timedelta(days=12)
    poll = actions.propose(
        actor=founder,
        kind="poll",
        title="أين نعقد الجمعية العامة السنوية؟",
        options=["قاعة البلدية في البيرة", "مركز خليل السكاكيني", "عبر الإنترنت"],
        now=opened,
    )
    choices = {
        "amal": ["1", "2"],
        "khalil": ["1"],
        "rana": ["2", "3"],
        "yousef": ["1", "3"],
        "mariam": ["1"],
        "sami": ["2"],
        "fadi": ["1", "2"],
        "ahmad": ["3"],
        "salma": ["1"],
    }
    for handle, choice in choices.items():
        actions.cast_ballot(
            actor=_user(handle), number=poll.number, choice=choice, now=opened + dt.timedelta(1)
        )
    actions.run_due(now=now)
    actions.state_outcome(
        actor=founder,
        number=poll.number,
        text="تُعقد الجمعية في قاعة البلدية في البيرة. سنرسل الدعوة قبل أسبوعين.",
    )


def _decided_election(founder: User, now: dt.datetime) -> None:
    opened = now - dt.timedelta(days=20)
    candidates = [_number(h) for h in ("amal", "khalil", "rana", "sami")]
    election = actions.propose(
        actor=founder,
        kind="election",
        title="انتخاب مجلس الإدارة",
        body="ثلاثة مقاعد لمدة سنتين.",
        candidates=candidates,
        seats=3,
        now=opened,
    )
    amal, khalil, rana, sami = (str(n) for n in candidates)
    rankings = [
        [amal, rana, khalil],
        [khalil, amal],
        [rana, sami, amal],
        [amal, khalil],
        [sami, rana],
        [khalil, rana, amal],
        [rana, amal],
        [amal, sami],
        [khalil, amal, rana],
        [rana, khalil],
        [amal, rana],
        [sami, khalil, amal],
    ]
    handles = ["amal", "khalil", "rana", "yousef", "huda", "omar", "mariam"]
    handles += ["sami", "fadi", "ahmad", "salma", "tareq"]
    for handle, ranking in zip(handles, rankings, strict=True):
        actions.cast_ballot(
            actor=_user(handle),
            number=election.number,
            choice=ranking,
            now=opened + dt.timedelta(days=2),
        )
    actions.run_due(now=now)

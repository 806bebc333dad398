"""The demo co-op's school: two teachers, a few knowledge-base pages of its own procedures,
and members part of the way through the starter course."""

from __future__ import annotations

from taawun.accounts.actions import grant_role
from taawun.accounts.models import Role, User
from taawun.coop.selectors import current_policy
from taawun.domain import quiz

from . import actions
from .models import Course

PAGES = [
    (
        "استقبال-حجز-جديد",
        "ar",
        "كيف نستقبل حجزاً جديداً",
        """## قبل التأكيد

1. اقرأ طلب الزبون كاملاً: العنوان، عدد الغرف، وأي ملاحظة خاصة.
2. تأكد أن في جدولك وقتاً كافياً مع التنقل (ساعة على الأقل بين موعدين).
3. إن كان العمل أكبر من المدة المحجوزة فاتصل بالزبون قبل الموعد، لا عند الباب.

## يوم العمل

- صل قبل الموعد بعشر دقائق، وعرّف بنفسك باسمك واسم التعاونية.
- صوّر المكان قبل البدء إن كان فيه ضرر سابق، بإذن الزبون.
- عند الانتهاء اضغط «اكتمل» في صفحة الحجز: الإيصال يُرسل للزبون بالتفصيل نفسه الذي تراه.

> الزبون يقيّم الخدمة، لا العامل. التقييم يساعدنا على التحسّن معاً.
""",
    ),
    (
        "مواد-التنظيف-والسلامة",
        "ar",
        "مواد التنظيف والسلامة",
        """## القواعد الثلاث

| المادة | لا تخلطها مع | لماذا |
|---|---|---|
| الكلور (الكلوركس) | الأمونيا أو الخل | يطلق غازاً ساماً |
| منظف الأفران | الألمنيوم | يتلفه |
| الأحماض القوية | الرخام | تترك بقعاً دائمة |

- البس القفازات دائماً، والكمامة في الأماكن المغلقة.
- افتح النوافذ قبل البدء.
- مواد التعاونية في الخزانة الزرقاء بالمكتب؛ سجّل ما تأخذه في الدفتر.
""",
    ),
    (
        "customer-complaints",
        "en",
        "When a customer is not happy",
        """## Listen first

Thank the customer for telling you. Ask what exactly is wrong and look at it together.

## Fix what you can the same day

If the fix takes less than half an hour, do it now. If not, write it in the booking's notes and
tell the board: the co-op, not you alone, decides on a refund or a second visit.

## Never argue about the price

Prices are set by the members' vote and are the same for everyone. Show the customer the
receipt: it explains every part of the price.
""",
    ),
]


def populate(founder: User) -> None:
    version = current_policy().number
    rana = User.objects.get(email=founder.email.replace("amal@", "rana@"))
    for teacher in (founder, rana):
        grant_role(actor=founder, user=teacher, role=Role.TEACHER, policy_version=version)
    for slug, language, title, body in PAGES:
        actions.save_page(actor=rana, slug=slug, language=language, title=title, body=body)
    actions.save_page(
        actor=founder,
        slug="استقبال-حجز-جديد",
        language="ar",
        title="كيف نستقبل حجزاً جديداً",
        body=PAGES[0][3] + "\n- إن ألغى الزبون متأخراً فالرسوم تُحسب وحدها حسب قواعدنا.\n",
        note="أضفت ملاحظة الإلغاء المتأخر",
        base_revision=1,
    )
    actions.save_page(
        actor=founder,
        slug="customer-complaints",
        language="en",
        title="When a customer is not happy",
        body=PAGES[2][3].replace("half an hour", "thirty minutes"),
        note="Clearer wording",
        base_revision=1,
    )
    course = Course.objects.get(key="using-taawun")
    lessons = list(course.lessons.all())
    for handle, passed in (("amal", 5), ("khalil", 3), ("rana", 2), ("huda", 1)):
        learner = User.objects.get(email=founder.email.replace("amal@", f"{handle}@"))
        for lesson in lessons[:passed]:
            questions = quiz.parse(lesson.quiz_ar)
            right = {index: question.answer for index, question in enumerate(questions.questions)}
            actions.answer_lesson(actor=learner, lesson=lesson, language="ar", answers=right)

"""The marketplace in Arabic, in a real browser: a ride requested, dispatched, driven and paid
with JavaScript off; a service booked, done, paid and rated with JavaScript on."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from taawun.coop.selectors import current_policy
from taawun.domain import geo
from taawun.domain import ledger as books
from taawun.domain.money import Money
from taawun.domain.pricing import quote_service, quote_trip
from taawun.ledger.models import EntryKind, JournalEntry
from taawun.market.models import Order, OrderEvent, Rating, Sector, Status
from taawun.market.services import actions as services
from taawun.market.services.models import Booking
from taawun.market.services.selectors import at_local
from taawun.market.trips import actions as trips
from taawun.market.trips.models import DispatchRun, Offer, Trip
from tests.core.conftest import fast_password_hashing  # noqa: F401  (autouse: quick sign-ins)
from tests.ledger.helpers import books_problems, lines

from ..conftest import PASSWORD
from .conftest import watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
MANARA = ("دوار المنارة", "Al-Manara Square", "31.9038", "35.2034")
BIRZEIT = ("جامعة بيرزيت", "Birzeit University", "31.9590", "35.1820")


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state()


def html_attrs(page: Any) -> tuple[str, str]:
    return (
        page.eval_on_selector("html", "e => e.getAttribute('lang')"),
        page.eval_on_selector("html", "e => e.getAttribute('dir')"),
    )


def click(page: Any, locator: Any) -> None:
    """Press a button that submits a form and wait for the page it leads to."""
    with page.expect_navigation():
        locator.click()


def facts(scope: Any) -> dict[str, str]:
    """A ``<dl class="facts">`` as {term: value}, in the order shown."""
    terms = [t.strip() for t in scope.locator("dt").all_inner_texts()]
    values = [v.strip() for v in scope.locator("dd").all_inner_texts()]
    assert len(terms) == len(values), (terms, values)
    return dict(zip(terms, values, strict=True))


def messages(page: Any) -> list[str]:
    return [m.strip() for m in page.locator("ul.messages li").all_inner_texts()]


def arabic(message: str, params: dict[str, str]) -> str:
    """A stored ``[msgid, params]`` line as the Arabic page writes it."""
    with translation.override("ar"):
        return gettext(message) % params if params else gettext(message)


def ils(amount: Decimal | Money) -> str:
    """Money as the pages write it ("23.75 ILS", the ``money`` filter)."""
    value = amount.amount if isinstance(amount, Money) else amount
    return f"{value.quantize(Decimal('0.01'))} ILS"


def receipt(order: Order) -> dict[str, str]:
    """The order's breakdown, as the shared receipt on the order page must show it."""
    return {
        "السعر (شاملًا الضرائب)": ils(order.price),
        "للعامل": ils(order.worker_share),
        "رسم التعاونية": ils(order.coop_fee),
        "صندوق التكافل": ils(order.solidarity),
        "الضرائب": ils(order.tax),
        "الإكرامية (كلها للعامل)": ils(order.tip),
        "المجموع المدفوع": ils(order.price + order.tip),
    }


# --- A ride, JavaScript off ------------------------------------------------------------------


def test_a_ride_without_javascript_in_arabic(
    browser, live_server, founder, make_account, make_member, csp_violations, shots
) -> None:
    base = live_server.url
    manara = trips.add_place(
        actor=founder, name_ar=MANARA[0], name_en=MANARA[1], latitude=MANARA[2], longitude=MANARA[3]
    )
    birzeit = trips.add_place(
        actor=founder,
        name_ar=BIRZEIT[0],
        name_en=BIRZEIT[1],
        latitude=BIRZEIT[2],
        longitude=BIRZEIT[3],
    )
    worker = make_member(paid=1, name="سامر الخطيب", email="samer@example.org")
    trips.set_presence(
        actor=worker.user, online=True, position=geo.point(manara.latitude, manara.longitude)
    )
    customer = make_account(name="لينا عودة", email="lina@example.org")

    # The price the customer must be shown, worked out here from the same inputs.
    pickup = geo.point(MANARA[2], MANARA[3])
    dropoff = geo.point(BIRZEIT[2], BIRZEIT[3])
    estimate = geo.estimate(pickup, dropoff)
    current = current_policy()
    quote = quote_trip(
        policy=current.policy,
        policy_version=current.number,
        km=estimate.km,
        minutes=estimate.minutes,
    )
    rules = current.policy.pricing.trips
    assert estimate.km <= rules.long_after_km  # so the fare is base + km + minutes, by hand:
    by_hand = rules.base + rules.per_km * estimate.km + rules.per_minute * estimate.minutes
    assert by_hand > rules.minimum_fare
    assert quote.price.amount == by_hand.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    parts = quote.breakdown

    # The customer asks for the price, then confirms it.
    riding = browser.new_context(locale="ar", java_script_enabled=False, viewport=PHONE)
    page = riding.new_page()
    watch(page, csp_violations)
    sign_in(page, base, customer.email)
    page.goto(f"{base}/market/trips/")
    assert html_attrs(page) == ("ar", "rtl")
    assert page.locator("h1").inner_text() == "توصيل راكب أو طلبية"
    assert page.locator("select[name=pickup_place] option").all_inner_texts() == [
        "اختر مكانًا",
        MANARA[0],  # the places are listed by their English name: Al-Manara, then Birzeit
        BIRZEIT[0],
    ]
    page.select_option("select[name=pickup_place]", str(manara.pk))
    page.select_option("select[name=dropoff_place]", str(birzeit.pk))
    page.select_option("select[name=method]", "cash")
    click(page, page.locator("button[name=step][value=quote]"))
    assert html_attrs(page) == ("ar", "rtl")

    priced = page.locator("section[aria-labelledby=quote-heading]")
    assert priced.locator("h2").inner_text() == "سعرك المحدد مسبقًا"
    assert priced.locator("p").first.inner_text().strip() == ils(quote.price)
    assert priced.locator("p.muted").inner_text().strip() == (
        f"المسافة المقدّرة {estimate.km} كم على الطريق، نحو {estimate.minutes} دقيقة."
    )
    assert facts(priced) == {
        "للعامل": ils(parts.worker_share),
        "رسم التعاونية": ils(parts.coop_fee),
        "صندوق التكافل": ils(parts.solidarity),
        "الضرائب": ils(parts.tax),
        "المجموع المطلوب دفعه": ils(parts.total_paid),
    }
    shown_lines = [li.strip() for li in priced.locator("details ol li").all_inner_texts()]
    assert shown_lines == [arabic(line.message, dict(line.params)) for line in quote.lines]
    assert shown_lines[:3] == [
        f"الأجرة الأساسية {ils(rules.base)}",
        f"{estimate.km} كم بسعر {ils(rules.per_km)} للكيلومتر",
        f"{estimate.minutes} دقيقة بسعر {ils(rules.per_minute)} للدقيقة",
    ]
    assert page.locator("input[name=quoted_price]").input_value() == str(quote.price.amount)
    confirm = priced.locator("button[name=step][value=confirm]")
    assert confirm.inner_text().strip() == f"تأكيد الطلب بسعر {ils(parts.total_paid)}"
    click(page, confirm)

    order = Order.objects.get(sector=Sector.TRIP, customer=customer)
    assert page.url == f"{base}/market/trips/{order.pk}/"
    assert messages(page) == ["طُلبت رحلتك: ستُعرض على عامل خلال ثوانٍ."]
    assert (order.price, order.worker_share, order.coop_fee, order.solidarity, order.tax) == (
        parts.price.amount,
        parts.worker_share.amount,
        parts.coop_fee.amount,
        parts.solidarity.amount,
        parts.tax.amount,
    )
    trip = Trip.objects.get(order=order)
    assert (trip.estimated_km, trip.estimated_minutes) == (estimate.km, estimate.minutes)
    assert (trip.pickup_label, trip.dropoff_label, trip.method) == (MANARA[0], BIRZEIT[0], "cash")

    # The worker's page (its dispatch batch, or the one the customer's status page already
    # ran) shows the offer and why it came to them.
    driving = browser.new_context(locale="ar", java_script_enabled=False, viewport=PHONE)
    desk = driving.new_page()
    watch(desk, csp_violations)
    sign_in(desk, base, worker.user.email)
    desk.goto(f"{base}/market/trips/work/")
    assert html_attrs(desk) == ("ar", "rtl")
    assert DispatchRun.objects.count() == 1
    offer = Offer.objects.get(trip=trip)
    assert (offer.worker_id, offer.status) == (worker.pk, Offer.Status.OFFERED)
    order.refresh_from_db()
    assert (order.status, order.worker_id) == (Status.OFFERED, worker.pk)
    card = desk.locator(f"section[aria-labelledby=offer-{offer.pk}]")
    assert card.locator("h2").first.inner_text() == "رحلة معروضة عليك"
    assert card.locator("p .amount").first.inner_text() == ils(parts.worker_total)
    why = card.locator(f"section[aria-labelledby=why-{offer.pk}]")
    assert why.locator("h2").inner_text() == "لماذا هذا العامل"
    said = [li.strip() for li in why.locator("ol li").all_inner_texts()]
    assert said == [arabic(message, params) for message, params in offer.explanation["lines"]]
    assert said[0] == "مسافة الوصول إلى نقطة الانطلاق: 0.00 كم."  # the worker waits there
    assert said[-1] == "لم يكن أي عامل آخر متاحًا."
    term = offer.explanation
    assert facts(why) == {
        "مسافة الوصول إلى نقطة الانطلاق": "0.00 كم",
        "حد الإنصاف": (
            f"{term['fairness_term_km']:.2f} كم مضروبة في الوزن {term['fairness_weight']:g}:"
            f" {term['fairness_km']:.2f} كم"
        ),
        "أقرب عامل لم يُختر": "لا يوجد عامل متاح",
    }

    # Accept, pick up, complete with what the trip really took.
    click(desk, card.locator("button", has_text="قبول الرحلة"))
    assert desk.url == f"{base}/market/trips/{order.pk}/"
    assert messages(desk) == ["الرحلة لك: توجّه إلى نقطة الانطلاق."]
    assert desk.locator("#trip-status").inner_text() == "مؤكَّد"
    click(desk, desk.locator("button", has_text="تم الاستلام"))
    assert messages(desk) == ["تم الاستلام: قُد بأمان."]
    assert desk.locator("#trip-status").inner_text() == "قيد التنفيذ"
    finish = desk.locator(f"form[action='/market/trips/{order.pk}/complete/']")
    finish.locator("input[name=km]").fill("9.4")
    finish.locator("input[name=minutes]").fill("26")
    click(desk, finish.locator("button[type=submit]"))
    assert desk.url == f"{base}/market/orders/{order.pk}/"
    assert messages(desk) == ["انتهت الرحلة: سُجّلت الدفعة في الدفاتر."]
    driving.close()

    # The customer's receipt equals the order's row; the payment is a sale in the books.
    order.refresh_from_db()
    trip.refresh_from_db()
    assert order.status == Status.COMPLETED
    assert (trip.actual_km, trip.actual_minutes) == (Decimal("9.4"), Decimal(26))
    assert order.price == parts.price.amount  # the upfront price stands
    entry = JournalEntry.objects.get(pk=order.payment_id)
    page.goto(f"{base}/market/orders/{order.pk}/")
    assert html_attrs(page) == ("ar", "rtl")
    assert page.locator("#order-status").inner_text() == "مكتمل"
    shown = facts(page.locator("main > dl.facts"))
    assert shown["المدفوع"] == f"قيد اليومية رقم {entry.number}"
    assert shown["العامل"] == f"{worker.number} · سامر الخطيب"
    assert facts(page.locator("section.receipt")) == receipt(order)
    panel = facts(page.locator(f"section[aria-labelledby=trip-panel-{order.pk}]"))
    assert panel == {
        "النوع": "توصيل راكب",
        "من": MANARA[0],
        "إلى": BIRZEIT[0],
        "التقدير": f"{estimate.km} كم، نحو {estimate.minutes} دقيقة",
        "الفعلي": "9.4 كم، 26 دقيقة (ويبقى السعر المحدد مسبقًا كما هو)",
        "طريقة الدفع": "نقدًا",
    }
    page.screenshot(path=str(shots / "market_trip_done.png"), full_page=True)

    assert entry.kind == EntryKind.SALE
    assert entry.member_id == worker.pk
    assert lines(entry) == sorted(
        [
            (books.PAYMENT_ACCOUNTS["cash"], None, order.price + order.tip),
            ("owed_to_member", worker.number, -(order.worker_share + order.tip)),
            (books.MEMBER_BUSINESS_INCOME, None, -order.coop_fee),
            ("solidarity_fund", None, -order.solidarity),
        ]
    )
    assert list(order.events.values_list("kind", flat=True)) == [
        OrderEvent.Kind.PLACED,
        OrderEvent.Kind.OFFERED,
        OrderEvent.Kind.CONFIRMED,
        OrderEvent.Kind.STARTED,
        OrderEvent.Kind.COMPLETED,
        OrderEvent.Kind.PAID,
    ]
    assert books_problems() == []
    assert csp_violations == []
    riding.close()


# --- A service, JavaScript on --------------------------------------------------------------


def test_a_service_booked_done_and_rated_in_arabic(
    browser, live_server, founder, make_account, make_member, csp_violations, shots
) -> None:
    base = live_server.url
    cleaning = services.create_service(
        actor=founder,
        title_ar="تنظيف منزل",
        title_en="House cleaning",
        description="غرفتان ومطبخ وحمّام.",
        duration_minutes=150,
    )
    worker = make_member(paid=1, name="خليل حمدان", email="khalil@example.org")
    services.set_availability(
        actor=worker.user, windows=[(day, dt.time(9), dt.time(13)) for day in range(7)]
    )
    customer = make_account(name="لينا عودة", email="lina@example.org")

    # Three days ahead, at 10:00 on the co-op's clock (TIME_ZONE): always bookable, never past.
    day = timezone.localdate() + dt.timedelta(days=3)
    starts_at = at_local(day, dt.time(10))
    current = current_policy()
    quote = quote_service(
        policy=current.policy,
        policy_version=current.number,
        hours=Decimal(cleaning.duration_minutes) / 60,
    )
    rate = current.policy.pricing.services.hourly_rate
    assert quote.price.amount == (rate * Decimal("2.5")).quantize(Decimal("0.01"))
    price = ils(quote.price)

    context = browser.new_context(locale="ar", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch(page, csp_violations)
    sign_in(page, base, customer.email)
    page.goto(f"{base}/market/services/")
    assert html_attrs(page) == ("ar", "rtl")
    card = page.locator("ul.cards > li", has_text="تنظيف منزل")
    assert card.locator(".amount").inner_text() == price
    assert card.locator("p.muted").inner_text() == "لم يُقيَّم بعد."
    with page.expect_navigation():
        card.locator("a.button").click()
    assert page.url == f"{base}/market/services/{cleaning.pk}/"
    assert page.locator("main .amount").first.inner_text() == price

    page.fill("input[name=date]", day.isoformat())
    click(page, page.locator("button", has_text="عرض المواعيد المتاحة"))
    assert page.url == f"{base}/market/services/{cleaning.pk}/?date={day.isoformat()}"
    slots = page.locator("input[name=slot]")
    # 09:00, 09:30, 10:00 and 10:30 end by 13:00; each as "any free worker" and as Khalil.
    assert slots.count() == 8
    value = f"{starts_at.isoformat()}|{worker.number}"
    choice = page.locator(f"input[name=slot][value='{value}']")
    label = page.locator(f"label[for='{choice.get_attribute('id')}']").inner_text().strip()
    assert label == f"من 10:00 ص إلى 12:30 م · خليل حمدان (العضو رقم {worker.number})"
    choice.check()
    page.select_option("select[name=method]", "bank")
    click(page, page.locator("button[type=submit]", has_text="احجز"))

    order = Order.objects.get(sector=Sector.SERVICE, customer=customer)
    booking = Booking.objects.get(order=order)
    assert page.url == f"{base}/market/orders/{order.pk}/"
    assert messages(page) == ["تم الحجز. سيؤكد العامل الموعد."]
    assert (booking.worker_id, booking.starts_at, booking.method) == (worker.pk, starts_at, "bank")
    assert booking.ends_at == starts_at + dt.timedelta(minutes=150)
    assert (order.status, order.price, order.hours) == (
        Status.REQUESTED,
        quote.price.amount,
        Decimal("2.50"),
    )
    assert page.locator("#order-status").inner_text() == "بانتظار التأكيد"
    when = page.locator("section[aria-labelledby=booking-heading] time").first
    assert when.get_attribute("datetime") == timezone.localtime(starts_at).isoformat()
    assert facts(page.locator("section.receipt"))["السعر (شاملًا الضرائب)"] == price

    # The worker confirms, starts and completes from the order page's panel.
    working = browser.new_context(locale="ar", viewport={"width": 1280, "height": 900})
    desk = working.new_page()
    watch(desk, csp_violations)
    sign_in(desk, base, worker.user.email)
    desk.goto(f"{base}/market/orders/{order.pk}/")
    assert html_attrs(desk) == ("ar", "rtl")
    panel = desk.locator("section[aria-labelledby=booking-heading]")
    click(desk, panel.locator("button", has_text="تأكيد الموعد"))
    assert messages(desk) == ["تم التأكيد: يرى الزبون الآن أن الموعد ثابت."]
    assert desk.locator("#order-status").inner_text() == "مؤكَّد"
    click(desk, panel.locator("button", has_text="بدء العمل"))
    assert messages(desk) == ["بدأ العمل."]
    assert desk.locator("#order-status").inner_text() == "قيد التنفيذ"
    click(desk, panel.locator("button", has_text="الإتمام واستلام الدفعة"))
    assert messages(desk) == ["اكتمل العمل، وسُجّلت الدفعة في الدفاتر."]
    assert desk.locator("#order-status").inner_text() == "مكتمل"
    working.close()

    order.refresh_from_db()
    entry = JournalEntry.objects.get(pk=order.payment_id)
    assert (entry.kind, entry.member_id) == (EntryKind.SALE, worker.pk)

    # The customer rates it five stars on the order page.
    page.goto(f"{base}/market/orders/{order.pk}/")
    assert page.locator("#order-status").inner_text() == "مكتمل"
    assert facts(page.locator("main > dl.facts"))["المدفوع"] == f"قيد اليومية رقم {entry.number}"
    assert facts(page.locator("section.receipt")) == receipt(order)
    page.check("input[name=stars][value='5']")
    page.fill("textarea[name=comment]", "عمل ممتاز")
    click(page, page.locator("button", has_text="إرسال التقييم"))
    assert page.url == f"{base}/market/orders/{order.pk}/"
    assert messages(page) == ["شكرًا لك: يظهر تقييمك مع العمل."]
    rated = page.locator("section", has=page.locator("h2", has_text="التقييم"))
    assert rated.locator("p").inner_text().strip() == "5 نجوم · عمل ممتاز"
    assert Rating.objects.get(order=order).stars == 5

    page.goto(f"{base}/market/services/")
    assert html_attrs(page) == ("ar", "rtl")
    card = page.locator("ul.cards > li", has_text="تنظيف منزل")
    assert card.locator(".amount").inner_text() == price
    assert card.locator("p", has_text="من 5 نجوم").inner_text() == "5.0 من 5 نجوم من تقييم واحد"
    comment = card.locator("ul li").first.inner_text()
    assert comment.startswith("5 نجوم · عمل ممتاز · "), comment
    page.screenshot(path=str(shots / "market_service_rated.png"), full_page=True)

    assert books_problems() == []
    assert csp_violations == []
    context.close()

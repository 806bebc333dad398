"""The written notice of allocation as a PDF, in the reader's language.

Arabic needs its letters joined and its lines laid out right to left: fpdf2 shapes text with
HarfBuzz. The font comes from the system (``TAAWUN_PDF_FONT``, or DejaVu Sans or Noto where
Debian installs them); without one the notice is still there as a printable page.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.utils.translation import get_language, gettext

from taawun.domain.money import Money

from .models import Allocation

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf",
)


class NoFont(Exception):
    """No font with Arabic letters is installed for PDF notices."""


def pdf_font() -> Path:
    for candidate in (os.environ.get("TAAWUN_PDF_FONT", ""), *FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise NoFont


def _money(amount: object, currency: str) -> str:
    return str(Money.of(amount, currency))


class Document:
    """A one-column A4 PDF in the reader's language: Arabic shaped and laid right to left."""

    def __init__(self, title: str) -> None:
        from fpdf import FPDF

        rtl = (get_language() or "ar").startswith("ar")
        self.pdf = FPDF(format="A4")
        self.pdf.set_title(title)
        self.pdf.set_creator("Taawun")
        self.pdf.add_font("body", fname=str(pdf_font()))
        self.pdf.set_text_shaping(
            use_shaping_engine=True,
            direction="rtl" if rtl else "ltr",
            script="arab" if rtl else "latn",
            language="ar" if rtl else "en",
        )
        self.pdf.add_page()
        self.align = "R" if rtl else "L"
        self.width = self.pdf.w - self.pdf.l_margin - self.pdf.r_margin

    def line(self, text: str, size: int = 11, gap: float = 7) -> None:
        self.pdf.set_font("body", size=size)
        self.pdf.multi_cell(self.width, gap, text, align=self.align, new_x="LMARGIN", new_y="NEXT")

    def space(self, height: float) -> None:
        self.pdf.ln(height)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def notice_pdf(allocation: Allocation, coop_name: str) -> bytes:
    document = Document(gettext("Notice of allocation"))
    line = document.line

    member = allocation.member
    period = allocation.period
    currency = allocation.currency
    line(coop_name, 16, 9)
    line(gettext("Notice of allocation"), 14, 9)
    document.space(2)
    line(
        gettext(
            "%(coop)s notifies member %(number)s, %(name)s, of their share of the result of "
            "the period from %(start)s to %(end)s."
        )
        % {
            "coop": coop_name,
            "number": member.number,
            "name": member.user.get_full_name(),
            "start": period.starts_on.isoformat(),
            "end": period.ends_on.isoformat(),
        }
    )
    if allocation.reversed:
        line(gettext("This allocation was undone when the period was reopened."))
    document.space(2)
    rows = [(gettext("Hours worked"), str(allocation.hours))]
    rows.append((gettext("Revenue earned"), _money(allocation.revenue, currency)))
    if allocation.loss_charged:
        rows.append(
            (
                gettext("Loss charged to your internal capital account"),
                _money(allocation.loss_charged, currency),
            )
        )
    else:
        rows += [
            (gettext("Patronage dividend"), _money(allocation.dividend, currency)),
            (gettext("Paid in cash"), _money(allocation.cash, currency)),
            (
                gettext("Credited to your internal capital account"),
                _money(allocation.retained, currency),
            ),
        ]
    rows.append((gettext("Journal entry"), str(allocation.entry.number)))
    for label, value in rows:
        line(f"{label}: {value}")
    explanation = (period.allocation or {}).get("explanation") or []
    if explanation:
        document.space(3)
        line(gettext("How the result was shared"), 13, 8)
        for message, params in explanation:
            line("• " + (gettext(message) % params if params else gettext(message)), 10, 6)
    return document.output()

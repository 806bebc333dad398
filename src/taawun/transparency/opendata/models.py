"""Published weeks of the open data, frozen as they were first published."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PublishedWeek(models.Model):
    """One closed week's cells, exactly as first published.

    A week is published once, when it has ended, and never recomputed: were a late completion
    or refund to change a figure afterwards, comparing two downloads could tell what one order
    was — the very thing suppression hides. Freezing also spares reading the market's whole
    history on every visit: only the weeks that closed since the last publication are counted.
    """

    monday = models.DateField(_("week from"), unique=True)
    cells = models.JSONField(_("cells"), default=list)  # the week's cells, amounts as text
    published_at = models.DateTimeField(_("published at"))

    class Meta:
        ordering = ["monday"]
        verbose_name = _("published week")
        verbose_name_plural = _("published weeks")

    def __str__(self) -> str:
        return self.monday.isoformat()

"""Groups members choose to report for the fairness audit, and nothing else.

A self-report exists only while its member consents: withdrawing deletes it. It is read by the
audit alone, as group means over at least five workers; dispatch and pricing never see it (a
test scans their source to keep it so).
"""

from __future__ import annotations

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from taawun.members.models import Membership


class Dimension(models.TextChoices):
    GENDER = "gender", _("gender")
    AGE_BAND = "age_band", _("age band")
    AREA = "area", _("area")


# The groups each dimension lists, in the order the form shows them.
GROUPS: dict[str, list[tuple[str, Promise]]] = {
    Dimension.GENDER: [
        ("woman", _("woman")),
        ("man", _("man")),
        ("other", _("other")),
        ("prefer_not_to_say", _("prefer not to say")),
    ],
    Dimension.AGE_BAND: [
        ("under_25", _("under 25")),
        ("25_39", _("25 to 39")),
        ("40_54", _("40 to 54")),
        ("55_plus", _("55 or over")),
    ],
    Dimension.AREA: [
        ("centre", _("city centre")),
        ("periphery", _("periphery")),
    ],
}

NOT_A_GROUP = frozenset({"prefer_not_to_say"})
"""Answers kept as the member gave them but counted in no group."""


def _listed_groups() -> models.Q:
    listed = models.Q()
    for dimension, groups in GROUPS.items():
        listed |= models.Q(dimension=dimension, value__in=[key for key, _label in groups])
    return listed


class SelfReport(models.Model):
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="self_reports"
    )
    dimension = models.CharField(_("dimension"), max_length=16, choices=Dimension.choices)
    value = models.CharField(_("group"), max_length=24)
    consented_at = models.DateTimeField(_("consent given at"))

    class Meta:
        verbose_name = _("self-reported group")
        verbose_name_plural = _("self-reported groups")
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "dimension"], name="one_self_report_per_dimension"
            ),
            models.CheckConstraint(condition=_listed_groups(), name="self_report_listed_group"),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id}: {self.dimension}"

"""The co-op this installation serves (one per installation) and its policy versions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Coop(models.Model):
    """The co-op's public profile. A singleton: its primary key is always 1."""

    name_ar = models.CharField(_("name (Arabic)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    handle = models.SlugField(
        _("handle"), max_length=40, help_text=_("Short name used in addresses.")
    )
    city = models.CharField(_("city or area"), max_length=120, blank=True)
    about_ar = models.TextField(_("about (Arabic)"), blank=True)
    about_en = models.TextField(_("about (English)"), blank=True)
    founded_at = models.DateTimeField(_("founded at"))

    class Meta:
        verbose_name = _("co-op")
        verbose_name_plural = _("co-op")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="single_coop")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_en

    @property
    def about(self) -> str:
        return self.about_ar if (get_language() or "ar").startswith("ar") else self.about_en


class PolicyVersion(models.Model):
    """One version of the co-op's rules. Created only by founding or a passed decision."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    document = models.JSONField(_("document"))
    digest = models.CharField(_("SHA-256"), max_length=64)
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("created at"))
    effective_from = models.DateTimeField(_("effective from"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")

    def __str__(self) -> str:
        return f"v{self.number}"

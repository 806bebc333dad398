"""Creative works and the licences sold for them.

A :class:`Work` is an image a working member made and offers for licensing: its original file is
kept in a private directory (never served as a static or media file) and a small watermarked
preview is shown in the catalogue. Each sale is a market :class:`~taawun.market.models.Order`
(sector WORK, the creator as the worker) with one :class:`LicenceGrant`, which records what was
bought, by whom, and the secret token of the download link.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from taawun.market.models import Order
from taawun.members.models import Membership


class Kind(models.TextChoices):
    PHOTO = "photo", _("photo")
    ILLUSTRATION = "illustration", _("illustration")
    DESIGN = "design", _("design")


class ImageType(models.TextChoices):
    """The image formats accepted, as Pillow recognised them when the file was opened."""

    PNG = "png", "PNG"
    JPEG = "jpeg", "JPEG"
    WEBP = "webp", "WebP"


MEDIA_TYPES = {
    ImageType.PNG: "image/png",
    ImageType.JPEG: "image/jpeg",
    ImageType.WEBP: "image/webp",
}


class Work(models.Model):
    creator = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="works")
    title = models.CharField(_("title"), max_length=150)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    original = models.CharField(max_length=200, unique=True)  # relative to the private root
    preview = models.CharField(max_length=200, unique=True)
    image_type = models.CharField(max_length=8, choices=ImageType.choices)
    width = models.PositiveIntegerField(_("width in pixels"))
    height = models.PositiveIntegerField(_("height in pixels"))
    size = models.PositiveBigIntegerField(_("file size in bytes"))
    active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("creative work")
        verbose_name_plural = _("creative works")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(active=True, withdrawn_at__isnull=True)
                | models.Q(active=False, withdrawn_at__isnull=False),
                name="work_withdrawn_when_inactive",
            ),
        ]
        indexes = [models.Index(fields=["active", "kind", "-id"], name="work_catalogue")]

    def __str__(self) -> str:
        return self.title

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[ImageType(self.image_type)]

    @property
    def tag_names(self) -> list[str]:
        return [tag.name for tag in self.tags.all()]


class Tag(models.Model):
    """A word the creator gave a work, normalised (lower case, single spaces) for filtering."""

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("tag"), max_length=40)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [
            models.UniqueConstraint(fields=["work", "name"], name="work_tag_once"),
        ]
        indexes = [models.Index(fields=["name"], name="work_tag_name")]

    def __str__(self) -> str:
        return self.name


class LicenceGrant(models.Model):
    """The licence a customer bought with an order: the kind and its name as they were when
    bought (the members may rename or reprice kinds later), and the download link's token."""

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="licence")
    work = models.ForeignKey(Work, on_delete=models.PROTECT, related_name="licences")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="work_licences"
    )
    licence_key = models.CharField(_("licence"), max_length=32)
    licence_name_ar = models.CharField(_("licence name (Arabic)"), max_length=120)
    licence_name_en = models.CharField(_("licence name (English)"), max_length=120)
    download_token = models.CharField(max_length=64, unique=True)
    downloads = models.PositiveIntegerField(_("downloads"), default=0)
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        indexes = [models.Index(fields=["buyer", "-id"], name="licence_buyer_recent")]

    def __str__(self) -> str:
        return f"{self.licence_key}: {self.work_id}"

    @property
    def licence_name(self) -> str:
        return (
            self.licence_name_ar
            if (get_language() or "ar").startswith("ar")
            else (self.licence_name_en)
        )

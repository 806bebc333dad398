"""Checking an uploaded image and drawing its public preview, and the private file store.

An upload is trusted only after Pillow has opened it as PNG, JPEG or WebP (never by its name or
the browser's word), verified it and decoded it whole, within Pillow's limit on pixels (a small
file that would unpack into gigabytes is refused). The preview is the only picture shown
publicly: at most 800 pixels on its long side, re-encoded as JPEG (so no metadata such as a GPS
location survives) and watermarked with the co-op's name. Originals and previews are kept under
``MEDIA_ROOT/private/market_works`` with random names and are served only by this app's views.
"""

from __future__ import annotations

import io
import secrets
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from taawun.domain.errors import InvalidInput, gettext_noop

from .models import ImageType

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
PREVIEW_LONG_SIDE = 800
PREVIEW_QUALITY = 80
PRIVATE_DIRECTORY = Path("private") / "market_works"
FORMATS = {"PNG": ImageType.PNG, "JPEG": ImageType.JPEG, "WEBP": ImageType.WEBP}
EXTENSIONS = {ImageType.PNG: "png", ImageType.JPEG: "jpg", ImageType.WEBP: "webp"}


@dataclass(frozen=True, slots=True)
class CheckedImage:
    data: bytes
    image_type: ImageType
    width: int
    height: int
    preview: bytes


def read_upload(upload: IO[bytes] | None, *, limit: int | None = None) -> bytes:
    """The uploaded bytes, refusing an empty file or one over ``limit`` (``MAX_UPLOAD_BYTES``
    unless given) without reading it all."""
    limit = MAX_UPLOAD_BYTES if limit is None else limit
    declared = getattr(upload, "size", None)
    if upload is None or declared == 0:
        raise InvalidInput("empty_file", gettext_noop("Choose an image file to upload."))
    if declared is not None and declared > limit:
        raise _too_large(limit)
    data = upload.read(limit + 1)
    if not data:
        raise InvalidInput("empty_file", gettext_noop("Choose an image file to upload."))
    if len(data) > limit:
        raise _too_large(limit)
    return data


def _too_large(limit: int) -> InvalidInput:
    return InvalidInput(
        "file_too_large",
        gettext_noop("The image is larger than %(most)s MB."),
        most=f"{limit / (1024 * 1024):g}",
    )


def check_image(data: bytes, *, watermark: str) -> CheckedImage:
    """Open ``data`` as an image of an accepted format and draw its preview, or refuse it."""
    with trusted_image(data) as (image, image_type):
        width, height = image.size
        preview = _preview(image, watermark)
    return CheckedImage(data, image_type, width, height, preview)


@contextmanager
def trusted_image(data: bytes) -> Iterator[tuple[Image.Image, ImageType]]:
    """``data`` opened, verified and decoded whole as PNG, JPEG or WebP, or a clear refusal;
    whatever the caller draws from it inside the block is covered by the same refusals."""
    allowed = list(FORMATS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=allowed) as probe:
                image_type = FORMATS[str(probe.format)]
                probe.verify()
            with Image.open(io.BytesIO(data), formats=allowed) as image:
                image.load()
                yield image, image_type
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(
            "too_many_pixels",
            gettext_noop("The image has too many pixels (at most %(most)s million)."),
            most=str((Image.MAX_IMAGE_PIXELS or 0) // 1_000_000),
        ) from None
    except UnidentifiedImageError:
        raise InvalidInput(
            "not_an_image", gettext_noop("This file is not a PNG, JPEG or WebP image.")
        ) from None
    except InvalidInput:
        raise
    except Exception:  # a decoder fed untrusted bytes may fail in any way: the file is unusable
        raise InvalidInput(
            "damaged_image", gettext_noop("This image is damaged or incomplete.")
        ) from None


def flattened(image: Image.Image) -> Image.Image:
    """Upright RGB on white: what a JPEG or an opaque WebP can hold, metadata left behind."""
    frame = ImageOps.exif_transpose(image)
    if frame.mode in ("RGBA", "LA", "PA") or "transparency" in frame.info:
        layer = frame.convert("RGBA")
        frame = Image.alpha_composite(Image.new("RGBA", layer.size, "white"), layer)
    return frame.convert("RGB")


def _preview(image: Image.Image, watermark: str) -> bytes:
    frame = flattened(image)
    frame.thumbnail((PREVIEW_LONG_SIDE, PREVIEW_LONG_SIDE), Image.Resampling.LANCZOS)
    marked = _watermarked(frame, watermark)
    out = io.BytesIO()
    marked.save(out, "JPEG", quality=PREVIEW_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def _watermarked(image: Image.Image, text: str) -> Image.Image:
    """``text`` across the whole picture in staggered rows, light with a dark edge, so it shows
    on both bright and dark images and cannot be cropped away."""
    base = image.convert("RGBA")
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    size = max(12, min(base.size) // 14)
    font = ImageFont.load_default(size=size)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    step_x, step_y = int(right - left) + size * 2, int(bottom - top) + size * 3
    for row, y in enumerate(range(size // 2, base.height, step_y)):
        for x in range(-((row % 2) * step_x) // 2, base.width, step_x):
            draw.text(
                (x, y),
                text,
                font=font,
                fill=(255, 255, 255, 120),
                stroke_width=max(1, size // 14),
                stroke_fill=(0, 0, 0, 100),
            )
    return Image.alpha_composite(base, overlay).convert("RGB")


# --- The private store --------------------------------------------------------------------


def private_storage() -> FileSystemStorage:
    """Files readable only by the server's user, outside any URL the site serves."""
    return FileSystemStorage(
        location=Path(settings.MEDIA_ROOT) / PRIVATE_DIRECTORY,
        file_permissions_mode=0o600,
        directory_permissions_mode=0o700,
    )


def store(folder: str, extension: str, data: bytes) -> str:
    """Save ``data`` under a random name; the name to keep (relative to the private store)."""
    return private_storage().save(
        f"{folder}/{secrets.token_hex(16)}.{extension}", ContentFile(data)
    )


def discard(*names: str) -> None:
    storage = private_storage()
    for name in names:
        storage.delete(name)


def open_stored(name: str) -> IO[bytes] | None:
    """The stored file opened for reading, or None when it is missing."""
    try:
        return private_storage().open(name, "rb")
    except (FileNotFoundError, OSError):
        return None

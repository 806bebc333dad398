"""Fixtures of the creative works tests: a private media directory of each test's own, images
drawn in memory with Pillow, and creators, customers and works made through the actions."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from taawun.accounts.models import User
from taawun.market.works import actions
from taawun.market.works.models import Work
from taawun.members.models import Membership
from tests.core.conftest import clock, fast_password_hashing  # noqa: F401

MakeWork = Callable[..., Work]


def image_bytes(
    size: tuple[int, int] = (1200, 900), fmt: str = "PNG", mode: str = "RGB", **save: Any
) -> bytes:
    """A picture with some detail (so a watermark and a downscale change it measurably)."""
    image = Image.new(mode, size, "white" if mode != "RGBA" else (255, 255, 255, 0))
    step = max(1, size[0] // 12)
    for x in range(0, size[0], step):
        image.paste("navy" if mode != "L" else 40, (x, 0, min(size[0], x + step // 2), size[1]))
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def upload(data: bytes, name: str = "olive.png", content_type: str = "image/png") -> Any:
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def creator(make_member: Callable[..., Membership]) -> Membership:
    return make_member(name="Rana Odeh")


@pytest.fixture
def customer(make_account: Callable[..., User]) -> User:
    return make_account(name="Lina Saleh")


@pytest.fixture
def make_work(creator: Membership) -> MakeWork:
    def make(member: Membership | None = None, **values: Any) -> Work:
        fields: dict[str, Any] = {
            "title": "Olive harvest in Birzeit",
            "description": "Morning light over the terraces.",
            "kind": "photo",
            "tags": "Olives, harvest",
            "image": upload(image_bytes()),
        }
        fields.update(values)
        return actions.upload_work(actor=(member or creator).user, **fields)

    return make

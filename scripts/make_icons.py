"""Draw the installable app's PNG icons (192 and 512 pixels) from the same shapes as
``icons/icon.svg``: a green rounded square with two white rings. Pure Python (zlib), run once:
``python scripts/make_icons.py``; the PNGs are kept with the static files."""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent / "src/taawun/web/static/taawun/icons"
GREEN = (0x0A, 0x5C, 0x43)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4  # per axis, for smooth edges


def coverage(x: float, y: float) -> tuple[float, float]:
    """(inside the rounded square, on a ring) at a point of the 512-unit design."""
    radius = 96.0
    cx = min(max(x, radius), 512 - radius)
    cy = min(max(y, radius), 512 - radius)
    inside = (x - cx) ** 2 + (y - cy) ** 2 <= radius**2 and 0 <= x <= 512 and 0 <= y <= 512
    ring = any(abs(math.hypot(x - rx, y - 256) - 112) <= 20 for rx in (206, 306))
    return float(inside), float(inside and ring)


def png(size: int) -> bytes:
    rows = []
    step = 512 / size
    for j in range(size):
        row = bytearray([0])
        for i in range(size):
            shape = ring = 0.0
            for sj in range(SAMPLES):
                for si in range(SAMPLES):
                    x = (i + (si + 0.5) / SAMPLES) * step
                    y = (j + (sj + 0.5) / SAMPLES) * step
                    a, b = coverage(x, y)
                    shape += a
                    ring += b
            n = SAMPLES * SAMPLES
            alpha, white = shape / n, (ring / shape if shape else 0.0)
            colour = [round(g + (w - g) * white) for g, w in zip(GREEN, WHITE, strict=True)]
            row.extend([*colour, round(alpha * 255)])
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    for size in (192, 512):
        (HERE / f"icon-{size}.png").write_bytes(png(size))

"""Charts drawn on the server as small SVG: no script, no library, light on a slow phone.

Each chart is an image with a title for screen readers; the figures it draws are always shown
in a table beside it as well. Colours come from the stylesheet (classes ``series-0``...), so the
strict Content Security Policy needs no inline style. In right-to-left pages time runs from
right to left.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 240
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_SIDE = 16, 36, 8


def _n(value: float) -> str:
    """A coordinate with one decimal: format_html escapes its arguments, so none is a float."""
    return f"{value:.1f}"


def _scale(values: Sequence[Decimal]) -> Decimal:
    top = max((abs(v) for v in values), default=Decimal(0))
    return top if top > 0 else Decimal(1)


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Decimal]]],
    rtl: bool = False,
) -> SafeString:
    """Grouped vertical bars: one group per label, one bar per series (negative values shown
    as zero height: these charts draw amounts that are never below zero)."""
    values = [v for _name, points in series for v in points]
    top = _scale(values)
    groups = max(len(labels), 1)
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    group_w = (WIDTH - 2 * MARGIN_SIDE) / groups
    bar_w = group_w * 0.8 / max(len(series), 1)
    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
            'preserveAspectRatio="xMidYMid meet"><title>{}</title>',
            WIDTH,
            HEIGHT,
            title,
            title,
        ),
        format_html(
            '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>',
            MARGIN_SIDE,
            MARGIN_TOP + plot_h,
            WIDTH - MARGIN_SIDE,
            MARGIN_TOP + plot_h,
        ),
    ]
    for index, label in enumerate(labels):
        slot = groups - 1 - index if rtl else index
        x0 = MARGIN_SIDE + slot * group_w + group_w * 0.1
        for s, (name, points) in enumerate(series):
            value = max(points[index], Decimal(0))
            h = float(value / top) * plot_h
            parts.append(
                format_html(
                    '<rect class="series-{}" x="{}" y="{}" width="{}" height="{}">'
                    "<title>{}: {}</title></rect>",
                    s,
                    _n(x0 + s * bar_w),
                    _n(MARGIN_TOP + plot_h - h),
                    _n(bar_w * 0.9),
                    _n(h),
                    name,
                    points[index],
                )
            )
        parts.append(
            format_html(
                '<text class="label" x="{}" y="{}" text-anchor="middle">{}</text>',
                _n(x0 + group_w * 0.4),
                HEIGHT - 12,
                label,
            )
        )
    parts.append(mark_safe("</svg>"))  # a constant  # nosec B308
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 - every part escaped  # nosec B308, B703


def share_bars(*, title: str, items: Sequence[tuple[str, Decimal]]) -> SafeString:
    """One horizontal bar per item, its length its share of the largest; the legend beside
    the chart names each colour (``series-N`` in order)."""
    top = _scale([value for _label, value in items])
    row_h = 30
    height = row_h * max(len(items), 1)
    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>',
            WIDTH,
            height,
            title,
            title,
        )
    ]
    for index, (label, value) in enumerate(items):
        length = float(max(value, Decimal(0)) / top) * (WIDTH - 2 * MARGIN_SIDE)
        parts.append(
            format_html(
                '<rect class="series-{}" x="{}" y="{}" width="{}" height="{}">'
                "<title>{}: {}</title></rect>",
                index % 4,
                MARGIN_SIDE,
                index * row_h + 4,
                _n(max(length, 1.0)),
                row_h - 10,
                label,
                value,
            )
        )
    parts.append(mark_safe("</svg>"))  # a constant  # nosec B308
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 - every part escaped  # nosec B308, B703


def change_bars(
    *,
    title: str,
    items: Sequence[tuple[str, Decimal]],
    marked: int | None = None,
    rtl: bool = False,
) -> SafeString:
    """One vertical bar per item from a zero line, up for a gain and down for a loss, in the
    order given and without labels under them (each bar's title names it); the ``marked`` item
    wears the second colour, so a reader finds their own among many."""
    gain = max((value for _label, value in items), default=Decimal(0))
    loss = -min((value for _label, value in items), default=Decimal(0))
    if gain <= 0 and loss <= 0:
        gain = loss = Decimal(1)  # nothing changes: the zero line in the middle
    gain, loss = max(gain, Decimal(0)), max(loss, Decimal(0))
    count = max(len(items), 1)
    plot_w = WIDTH - 2 * MARGIN_SIDE
    slot_w = min(plot_w / count, 48.0)  # a few bars stay bars, not slabs
    start = MARGIN_SIDE + (plot_w - slot_w * count) / 2
    per_unit = (HEIGHT - 2 * MARGIN_TOP) / float(gain + loss)
    zero = MARGIN_TOP + float(gain) * per_unit
    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
            'preserveAspectRatio="xMidYMid meet"><title>{}</title>',
            WIDTH,
            HEIGHT,
            title,
            title,
        ),
    ]
    for index, (label, value) in enumerate(items):
        slot = count - 1 - index if rtl else index
        h = max(float(abs(value)) * per_unit, 1.0)  # a zero change is still a visible line
        parts.append(
            format_html(
                '<rect class="series-{}" x="{}" y="{}" width="{}" height="{}">'
                "<title>{}</title></rect>",
                1 if index == marked else 0,
                _n(start + slot * slot_w + slot_w * 0.1),
                _n(zero - h if value > 0 else zero),
                _n(slot_w * 0.8),
                _n(h),
                label,
            )
        )
    parts.append(
        format_html(
            '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>',
            MARGIN_SIDE,
            _n(zero),
            WIDTH - MARGIN_SIDE,
            _n(zero),
        )
    )
    parts.append(mark_safe("</svg>"))  # a constant  # nosec B308
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 - every part escaped  # nosec B308, B703

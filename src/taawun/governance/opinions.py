"""The opinion round drawn for a page: each participant a dot coloured (and shaped) by their
group, the statements that set each group apart, and those every group shares.

The scatter is SVG drawn here, styled by the stylesheet's ``series-N`` classes so the strict
Content Security Policy needs no inline style. Participants are anonymous dots; only the viewer's
own dot is marked, for the viewer.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Statement
from .selectors import OpinionGroups

WIDTH, HEIGHT, MARGIN = 400, 240, 24
COLOURS = 4  # series-0 ... series-3 in the stylesheet
SHAPES = 3  # circle, square, diamond: with the colours, five groups never look alike
DOT = 7.0  # the radius of one member's mark


@dataclass(frozen=True)
class Said:
    statement: Statement
    direction: str
    """``agree`` or ``disagree``."""
    held: int
    seen: int


@dataclass(frozen=True)
class Group:
    name: str
    series: int
    size: int
    representatives: list[Said]


@dataclass(frozen=True)
class OpinionPicture:
    chart: SafeString
    groups: list[Group]
    agreed_by_all: list[Statement]
    disagreed_by_all: list[Statement]
    ungrouped: int


def picture(found: OpinionGroups) -> OpinionPicture | None:
    """What the page shows, or None when the votes do not split into two groups or more."""
    opinion_map = found.map
    if len(opinion_map.groups) < 2:
        return None
    groups = [
        Group(
            name=_("Group %(number)s") % {"number": index + 1},
            series=index % COLOURS,
            size=len(group.members),
            representatives=[
                Said(
                    found.statements[r.statement],
                    r.direction,
                    r.agreed if r.direction == "agree" else r.disagreed,
                    r.seen,
                )
                for r in group.representatives
            ],
        )
        for index, group in enumerate(opinion_map.groups)
    ]
    return OpinionPicture(
        chart=_scatter(found, groups),
        groups=groups,
        agreed_by_all=[found.statements[c.statement] for c in opinion_map.consensus_agree],
        disagreed_by_all=[found.statements[c.statement] for c in opinion_map.consensus_disagree],
        ungrouped=len(opinion_map.unclustered),
    )


def _n(value: float) -> str:
    return f"{value:.1f}"


def _mark(x: float, y: float, radius: float, group: int, title: str) -> SafeString:
    """A group's mark: its colour and one of three shapes, so that no two groups look alike
    even to someone who cannot tell the colours apart."""
    css = f"series-{group % COLOURS}"
    shape = group % SHAPES
    if shape == 0:
        return format_html(
            '<circle class="{}" cx="{}" cy="{}" r="{}"><title>{}</title></circle>',
            css,
            _n(x),
            _n(y),
            _n(radius),
            title,
        )
    if shape == 1:
        return format_html(
            '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
            css,
            _n(x - radius),
            _n(y - radius),
            _n(2 * radius),
            _n(2 * radius),
            title,
        )
    r = radius * 1.3
    return format_html(
        '<polygon class="{}" points="{},{} {},{} {},{} {},{}"><title>{}</title></polygon>',
        css,
        _n(x),
        _n(y - r),
        _n(x + r),
        _n(y),
        _n(x),
        _n(y + r),
        _n(x - r),
        _n(y),
        title,
    )


def _radius(members: int) -> float:
    """A spot's area grows with the members on it, up to the margin around the plot."""
    return min(DOT * members**0.5, MARGIN - DOT)


def _ring(x: float, y: float, radius: float, title: str) -> SafeString:
    return format_html(
        '<circle class="axis" fill="none" cx="{}" cy="{}" r="{}"><title>{}</title></circle>',
        _n(x),
        _n(y),
        _n(radius),
        title,
    )


def _scatter(found: OpinionGroups, groups: list[Group]) -> SafeString:
    """Members who responded alike stand on one spot: each spot is drawn once, its area
    growing with the members on it."""
    positions = found.map.positions
    reach = max((max(abs(x), abs(y)) for x, y in positions), default=0.0) or 1.0
    half_w, half_h = WIDTH / 2 - MARGIN, HEIGHT / 2 - MARGIN

    def place(x: float, y: float) -> tuple[float, float]:
        return round(WIDTH / 2 + x / reach * half_w, 1), round(HEIGHT / 2 - y / reach * half_h, 1)

    group_of = {m: g for g, group in enumerate(found.map.groups) for m in group.members}
    spots: dict[tuple[tuple[float, float], int | None], int] = {}
    for index, position in enumerate(positions):
        spot = (place(*position), group_of.get(index))
        spots[spot] = spots.get(spot, 0) + 1
    summary = ngettext(
        "Opinion map: %(groups)s group of participants",
        "Opinion map: %(groups)s groups of participants",
        len(groups),
    ) % {"groups": len(groups)}
    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>',
            WIDTH,
            HEIGHT,
            summary,
            summary,
        ),
        format_html(
            '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>'
            '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>',
            MARGIN,
            HEIGHT // 2,
            WIDTH - MARGIN,
            HEIGHT // 2,
            WIDTH // 2,
            MARGIN,
            WIDTH // 2,
            HEIGHT - MARGIN,
        ),
    ]
    for ((x, y), group), members in spots.items():
        radius = _radius(members)
        how_many = ngettext("%(count)s member", "%(count)s members", members) % {"count": members}
        if group is None:
            title = _("Not grouped yet, too few responses: %(members)s") % {"members": how_many}
            parts.append(_ring(x, y, radius, title))
        else:
            title = _("%(group)s: %(members)s") % {"group": groups[group].name, "members": how_many}
            parts.append(_mark(x, y, radius, group, title))
    if found.you is not None:
        yours = place(*positions[found.you])
        beside_you = spots[(yours, group_of.get(found.you))]
        parts.append(_ring(*yours, _radius(beside_you) + DOT, _("You")))
    parts.append(mark_safe("</svg>"))  # a constant  # nosec B308
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 - every part escaped  # nosec B308, B703

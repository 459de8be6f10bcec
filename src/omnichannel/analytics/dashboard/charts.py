"""Charts drawn on the server as inline SVG: no script, no library, no network.

Each chart is an `<svg class="chart">` with a `<title>`, a y axis (0, half, top), day labels
at both ends and the middle, and one mark per day (`rect.bar` or `circle.point`) carrying
`data-day` and `data-value` with a tooltip. Days without a value draw nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

W, H = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 28, 30
Point = tuple[str, float | None]


def _frame(title: str, kind: str, top: float, fmt: Callable[[float], str], days: Sequence[str],
           empty: bool) -> list[str]:
    plot_h = H - TOP - BOTTOM
    out = [f'<svg class="chart chart-{escape(kind)}" viewBox="0 0 {W} {H}" role="img" '
           f'aria-label="{escape(title)}" data-empty="{str(empty).lower()}" '
           f'xmlns="http://www.w3.org/2000/svg">',
           f"<title>{escape(title)}</title>",
           f'<text class="chart-title" x="{LEFT}" y="16">{escape(title)}</text>']
    for frac in (0.0, 0.5, 1.0):
        y = TOP + plot_h * (1 - frac)
        out.append(f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" '
                   f'y2="{y:.1f}"/>')
        out.append(f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f"{escape(fmt(top * frac))}</text>")
    if days:
        picks = sorted({0, len(days) // 2, len(days) - 1})
        for i in picks:
            anchor = "start" if i == 0 else ("end" if i == len(days) - 1 else "middle")
            out.append(f'<text class="axis" x="{_x(i, len(days)):.1f}" y="{H - 10}" '
                       f'text-anchor="{anchor}">{escape(days[i][5:])}</text>')
    if empty:
        out.append(f'<text class="empty" x="{W / 2:.0f}" y="{H / 2:.0f}" '
                   'text-anchor="middle">no data yet</text>')
    return out


def _x(i: int, n: int) -> float:
    plot_w = W - LEFT - RIGHT
    return LEFT + plot_w * (i + 0.5) / max(n, 1)


def _y(value: float, top: float) -> float:
    plot_h = H - TOP - BOTTOM
    return TOP + plot_h * (1 - (value / top if top else 0))


def _top(values: list[float], fixed: float | None) -> float:
    """The axis top: `fixed`, else the next round number (1, 2, 2.5, 5 x 10^k) over the peak."""
    if fixed is not None:
        return fixed
    peak = max(values, default=0.0)
    if peak <= 0:
        return 1.0
    scale = 10.0 ** math.floor(math.log10(peak))
    return next(m * scale for m in (1, 2, 2.5, 5, 10) if m * scale >= peak)


def bars(title: str, points: Sequence[Point], fmt: Callable[[float], str] = lambda v: f"{v:g}",
         top: float | None = None) -> str:
    values = [v for _d, v in points if v is not None]
    hi = _top(values, top)
    days = [d for d, _v in points]
    out = _frame(title, "bars", hi, fmt, days, not any(values))
    width = max(1.0, (W - LEFT - RIGHT) / max(len(points), 1) * 0.7)
    for i, (day, v) in enumerate(points):
        if v is None:
            continue
        y = _y(v, hi)
        out.append(f'<rect class="bar" x="{_x(i, len(points)) - width / 2:.1f}" y="{y:.1f}" '
                   f'width="{width:.1f}" height="{H - BOTTOM - y:.1f}" '
                   f'data-day="{escape(day)}" data-value="{v:g}">'
                   f"<title>{escape(day)}: {escape(fmt(v))}</title></rect>")
    out.append("</svg>")
    return "".join(out)


def line(title: str, points: Sequence[Point], fmt: Callable[[float], str] = lambda v: f"{v:g}",
         top: float | None = None) -> str:
    values = [v for _d, v in points if v is not None]
    hi = _top(values, top)
    days = [d for d, _v in points]
    out = _frame(title, "line", hi, fmt, days, not values)
    coords = [(_x(i, len(points)), _y(v, hi), day, v) for i, (day, v) in enumerate(points)
              if v is not None]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _d, _v in coords)
        out.append(f'<polyline class="line" points="{path}"/>')
    for x, y, day, v in coords:
        out.append(f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3.5" '
                   f'data-day="{escape(day)}" data-value="{v:g}">'
                   f"<title>{escape(day)}: {escape(fmt(v))}</title></circle>")
    out.append("</svg>")
    return "".join(out)

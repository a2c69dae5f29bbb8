"""Server-drawn SVG bar charts: no scripts, no CDN, nothing the page's CSP would refuse."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

COLORS = ("#2f6fb3", "#3a9a5b", "#c9702b", "#a23b72", "#6b6f7a")
WIDTH, HEIGHT = 720, 240
LEFT, BOTTOM, TOP = 48, 56, 16


def _nice_max(value: float) -> float:
    """A round axis top at or above `value` (1, 2, 5 × 10ⁿ)."""
    if value <= 0:
        return 1
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if value <= factor * step:
            return factor * step
    return 10 * step


def _short(label: str) -> str:
    """An axis label: 11-24 for a day, W47 for a week, 2026-11 for a month."""
    head = label.split(" ")[0]
    if "-W" in head:
        return head.split("-")[1]
    return head[5:] if len(head) == 10 else head


def bar_chart(title: str, labels: Sequence[str],
              series: Sequence[tuple[str, Sequence[float | None]]]) -> str:
    """Grouped bars, one group per label and one bar per series, with a legend and a y axis."""
    values = [v or 0 for _, data in series for v in data]
    top = _nice_max(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    group_w = plot_w / max(1, len(labels))
    bar_w = max(1.0, group_w * 0.8 / max(1, len(series)))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%"><title>{escape(title)}</title>']
    for tick in range(5):
        value = top * tick / 4
        y = TOP + plot_h - plot_h * tick / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#dde1e7"/><text x="{LEFT - 4}" y="{y + 4:.1f}" font-size="10" '
                     f'text-anchor="end">{value:g}</text>')
    every = max(1, len(labels) // 12)  # at most about a dozen axis labels
    for i, label in enumerate(labels):
        x0 = LEFT + i * group_w + group_w * 0.1
        for s, (name, data) in enumerate(series):
            value = data[i] or 0
            h = plot_h * value / top
            parts.append(f'<rect x="{x0 + s * bar_w:.1f}" y="{TOP + plot_h - h:.1f}" '
                         f'width="{bar_w:.1f}" height="{h:.1f}" fill="{COLORS[s % len(COLORS)]}">'
                         f'<title>{escape(label)} {escape(name)}: {value:g}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{LEFT + i * group_w + group_w / 2:.1f}" '
                         f'y="{TOP + plot_h + 14}" font-size="10" text-anchor="middle">'
                         f'{escape(_short(label))}</text>')
    for s, (name, _) in enumerate(series):
        x = LEFT + s * 150
        parts.append(f'<rect x="{x}" y="{HEIGHT - 18}" width="10" height="10" '
                     f'fill="{COLORS[s % len(COLORS)]}"/><text x="{x + 14}" y="{HEIGHT - 9}" '
                     f'font-size="11">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)

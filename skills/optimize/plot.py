"""A hand-written SVG line chart of train / validation / test scores per step (no matplotlib)."""

from __future__ import annotations

from html import escape
from typing import Any

WIDTH, HEIGHT = 760, 380
LEFT, RIGHT, TOP, BOTTOM = 56, 150, 24, 44
COLORS = {"train": "#1f77b4", "validation": "#ff7f0e", "test": "#2ca02c"}


def _x(step: int, last: int) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * (step / last if last else 0.5)


def _y(score: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - score)


def _polyline(points: list[tuple[float, float]], color: str, dashed: bool = False) -> str:
    if not points:
        return ""
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}"/>' for x, y in points)
    line = (
        f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"{dash}/>'
        if len(points) > 1
        else ""
    )
    return line + dots


def scores_svg(
    history: list[dict[str, Any]],
    test_start: float | None,
    test_end: float | None,
    title: str = "Scores per step",
) -> str:
    """The chart as a standalone SVG document. Accepted steps get a faint vertical band."""
    last = max((row["step"] for row in history), default=0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} '
        f'{HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for row in history:
        if row.get("decision") == "accepted":
            x = _x(row["step"], last)
            parts.append(
                f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}" stroke="#d9f2d9" '
                'stroke-width="6"/>'
            )
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = _y(tick)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{tick:.2f}</text>')
    every = max(1, last // 10)
    for step in range(0, last + 1, every):
        x = _x(step, last)
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{step}</text>')
    parts.append(
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
        'stroke="#333"/>'
    )
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>')
    parts.append(
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle">step</text>'
    )
    for series in ("train", "validation"):
        points = [(_x(r["step"], last), _y(r[series])) for r in history if r.get(series) is not None]
        parts.append(_polyline(points, COLORS[series]))
    test_points = [(_x(0, last), _y(test_start))] if test_start is not None else []
    if test_end is not None:
        test_points.append((_x(last, last), _y(test_end)))
    parts.append(_polyline(test_points, COLORS["test"], dashed=True))
    legend = [("train (batch)", "train"), ("validation", "validation"), ("test (start, end)", "test")]
    for index, (label, key) in enumerate(legend):
        y = TOP + 10 + index * 20
        x = WIDTH - RIGHT + 14
        parts.append(
            f'<line x1="{x}" y1="{y}" x2="{x + 22}" y2="{y}" stroke="{COLORS[key]}" stroke-width="3"/>'
        )
        parts.append(f'<text x="{x + 28}" y="{y + 4}">{escape(label)}</text>')
    parts.append(f'<rect x="{WIDTH - RIGHT + 14}" y="{TOP + 66}" width="22" height="8" fill="#d9f2d9"/>')
    parts.append(f'<text x="{WIDTH - RIGHT + 42}" y="{TOP + 74}">accepted edit</text>')
    parts.append("</svg>")
    return "\n".join(p for p in parts if p) + "\n"

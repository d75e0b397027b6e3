"""Charts drawn on the server as SVG (no script, no library to fetch): horizontal bars for a ranking, and
stacked columns for a series per channel. Each chart has a title and a text alternative; suppressed cells
(None) are drawn as nothing and named "moins de 5"."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("#0b4f9c", "#1d6b34", "#a1061b", "#7a4a00", "#5b2a86")


def bars(title: str, items: Sequence[tuple[str, int | None]], width: int = 560) -> Markup:
    """One bar per item, longest first as given."""
    if not items:
        return Markup("")
    row = 46  # each label on its own line above its bar: never cut, readable on a phone
    top = max((v or 0) for _, v in items) or 1
    height = row * len(items) + 4
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(items):
        y = i * row + 2
        length = 0 if value is None else max(2, int((width - 70) * value / top))
        shown = "moins de 5" if value is None else str(value)
        name = label if len(label) <= 60 else f"{label[:59]}…"
        parts.append(
            f'<text x="0" y="{y + 17}" class="bar-label">{escape(name)}</text>'
            f'<rect x="0" y="{y + 23}" width="{length}" height="18" fill="{PALETTE[0]}"></rect>'
            f'<text x="{length + 6}" y="{y + 37}" class="value">{shown}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(
    title: str, periods: Sequence[str], series: dict[str, dict[str, int | None]], width: int = 560
) -> Markup:
    """Stacked columns: for each period, one segment per channel (series: channel -> period -> count)."""
    if not periods or not series:
        return Markup("")
    height, bottom, left = 220, 40, 36
    totals = [sum((series[c].get(p) or 0) for c in series) for p in periods]
    top = max(totals) or 1
    step = (width - left) / len(periods)
    bar = max(4.0, step * 0.7)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<text x="0" y="14" class="value">{top}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        'stroke="#4a4a55"></line>',
    ]
    for i, period in enumerate(periods):
        x, base = left + i * step + (step - bar) / 2, float(height - bottom)
        for j, channel in enumerate(sorted(series)):
            value = series[channel].get(period) or 0
            size = (height - bottom - 20) * value / top
            base -= size
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{size:.1f}" '
                f'fill="{PALETTE[j % len(PALETTE)]}">'
                f"<title>{escape(channel)} {escape(period)} : {value}</title></rect>"
            )
        if len(periods) <= 16 or i % max(1, len(periods) // 12) == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle" class="tick">'
                f"{escape(period[5:] if len(period) == 10 else period)}</text>"  # a day: 11-27
            )
    for j, channel in enumerate(sorted(series)):
        x = left + j * 120
        parts.append(
            f'<rect x="{x}" y="{height - 14}" width="10" height="10" '
            f'fill="{PALETTE[j % len(PALETTE)]}"></rect>'
            f'<text x="{x + 14}" y="{height - 5}" class="tick">{escape(channel)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))

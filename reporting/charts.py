"""Geometry of the dashboard's charts, drawn by the templates as inline SVG.

No chart library: the pages run on intranets (no CDN) and the project ships no third-party
front-end code, and these charts need little more than scaled rectangles and circles. Pure
functions: numbers in, coordinates out (floats are fine here, they are pixels, not money).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

# scatter: x = 执行率 0 … 120% (beyond is drawn on the edge), y = 指标得分率 0 … 100%
X_MAX = 1.2
# Up to this many points are drawn one by one, each a link with a tooltip; beyond (a city has
# thousands) the others are drawn as one path of dots, and only the mismatches stay links.
DETAIL_LIMIT = 400
WIDTH, HEIGHT = 640, 380
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 26, 46


@dataclass
class Tick:
    position: float
    label: str


@dataclass
class Dot:
    x: float
    y: float
    label: str  # the tooltip
    href: str
    mismatch: bool
    beyond: bool  # 执行率 above the axis: drawn on its right edge


@dataclass
class Zone:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass
class Scatter:
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    plot_width: int = WIDTH - LEFT - RIGHT
    plot_height: int = HEIGHT - TOP - BOTTOM
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    zones: list[Zone] = field(default_factory=list)
    dots: list[Dot] = field(default_factory=list)
    cloud: str = ""  # SVG path data: one zero-length, round-capped segment per point
    cloud_mismatch: str = ""
    summarised: int = 0  # points in the clouds (no link or tooltip of their own)

    @property
    def bottom(self) -> int:
        return self.top + self.plot_height

    @property
    def right(self) -> int:
        return self.left + self.plot_width


def _x(chart: Scatter, ratio: float) -> float:
    return round(chart.left + min(max(ratio, 0.0), X_MAX) / X_MAX * chart.plot_width, 1)


def _y(chart: Scatter, ratio: float) -> float:
    return round(chart.bottom - min(max(ratio, 0.0), 1.0) * chart.plot_height, 1)


def scatter(points, *, low: Decimal, high: Decimal, detail_limit: int = DETAIL_LIMIT) -> Scatter:
    """points: objects with execution_rate, achievement (ratios), label, href, mismatch.
    Shades the two mismatch zones: 执行率 < low with 得分率 ≥ high, and 执行率 ≥ high with
    得分率 < low."""
    chart = Scatter()
    chart.x_ticks = [Tick(_x(chart, n / 10), f"{n * 10}%") for n in range(0, 13, 2)]
    chart.y_ticks = [Tick(_y(chart, n / 10), f"{n * 10}%") for n in range(0, 11, 2)]
    lo, hi = float(low), float(high)
    chart.zones = [
        Zone(
            _x(chart, 0),
            _y(chart, 1),
            _x(chart, lo) - _x(chart, 0),
            _y(chart, hi) - _y(chart, 1),
            "执行率低、得分高",
        ),
        Zone(
            _x(chart, hi),
            _y(chart, lo),
            _x(chart, X_MAX) - _x(chart, hi),
            _y(chart, 0) - _y(chart, lo),
            "执行率高、得分低",
        ),
    ]
    points = list(points)
    detailed = points
    if len(points) > detail_limit:
        detailed = [p for p in points if p.mismatch][:detail_limit]
    shown = {id(p) for p in detailed}
    # a cloud point is a dot of radius 5 without link or title: drawn at whole units, and once
    # where several fall on the same unit (a city's 3,000 points were ~45 KB of the page)
    cloud: dict[str, None] = {}
    cloud_mismatch: dict[str, None] = {}
    summarised = 0
    for point in points:
        x, y = float(point.execution_rate), float(point.achievement)
        cx, cy = _x(chart, x), _y(chart, y)
        if id(point) in shown:
            chart.dots.append(Dot(cx, cy, point.label, point.href, point.mismatch, x > X_MAX))
        else:
            (cloud_mismatch if point.mismatch else cloud)[f"M{round(cx)} {round(cy)}h0"] = None
            summarised += 1
    # mismatches last, so that they are drawn on top
    chart.dots.sort(key=lambda d: d.mismatch)
    chart.cloud, chart.cloud_mismatch = "".join(cloud), "".join(cloud_mismatch)
    chart.summarised = summarised
    return chart


@dataclass
class Bar:
    label: str
    value: int
    href: str
    css: str
    x: int  # where the bar starts (after the labels)
    y: float
    width: float  # of the bar, in the chart's units
    height: int

    @property
    def text_y(self) -> float:
        return round(self.y + self.height * 0.72, 1)

    @property
    def value_x(self) -> float:
        return round(self.x + self.width + 6, 1)


@dataclass
class Bars:
    width: int
    height: int
    label_width: int
    bars: list[Bar]

    @property
    def label_x(self) -> int:
        return self.label_width - 8

    @property
    def track_width(self) -> int:
        # an invisible rectangle across the row, so that the whole row is the link
        return self.width - self.label_width


def bars(items, *, width: int = 420, label_width: int = 96, bar_height: int = 22) -> Bars:
    """Horizontal bars: items are (label, value, href, css class); the longest bar fills the
    width left after the labels and a margin for its number."""
    items = list(items)
    room = width - label_width - 48
    top = max((value for _, value, _, _ in items), default=0) or 1
    gap = 8
    drawn = [
        Bar(
            label,
            value,
            href,
            css,
            label_width,
            n * (bar_height + gap),
            round(room * value / top, 1),
            bar_height,
        )
        for n, (label, value, href, css) in enumerate(items)
    ]
    height = len(drawn) * (bar_height + gap) - gap if drawn else bar_height
    return Bars(width, height, label_width, drawn)


@dataclass
class Range:
    """A department's scores on a 0 … 100 line: min–max, mean ± spread, mean."""

    width: int
    low: float
    high: float
    band_low: float
    band_high: float
    mean: float

    @property
    def band_width(self) -> float:
        return round(max(self.band_high - self.band_low, 1.0), 1)

    def svg(self, title: str) -> str:
        """The inline SVG (a city has hundreds of rows: one string, not a template loop).
        `title` must be escaped already."""
        return (
            f'<svg class="chart range" viewBox="0 0 {self.width} 16" role="img" '
            f'aria-label="{title}"><title>{title}</title>'
            f'<line class="axis" x1="4" y1="8" x2="{self.width - 4}" y2="8"></line>'
            f'<line class="span" x1="{self.low}" y1="8" x2="{self.high}" y2="8"></line>'
            f'<rect class="band" x="{self.band_low}" y="3" width="{self.band_width}" '
            f'height="10"></rect>'
            f'<line class="mean" x1="{self.mean}" y1="1" x2="{self.mean}" y2="15"></line></svg>'
        )


def score_range(
    minimum: Decimal, maximum: Decimal, mean: Decimal, spread: Decimal, *, width: int = 160
) -> Range:
    def at(score: Decimal) -> float:
        return round(min(max(float(score), 0.0), 100.0) / 100 * (width - 8) + 4, 1)

    return Range(
        width,
        at(minimum),
        at(maximum),
        at(mean - spread),
        at(mean + spread),
        at(mean),
    )

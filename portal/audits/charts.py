"""The small server-drawn trend of items passed per audit (issue 4 §7). Pure: numbers in, coordinates out."""
from dataclasses import dataclass


@dataclass(frozen=True)
class TrendPoint:
    x: float
    y: float
    value: int
    passed: bool
    label: str


@dataclass(frozen=True)
class Trend:
    width: int
    height: int
    points: list
    mark_y: float | None
    mark: int | None = None

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def trend(values, *, scale_max: int, pass_mark: int | None, width=220, height=56, pad=8, last=8) -> Trend:
    # (the larger charts — unit page, PDF — are given pad=16 by callers wanting room for printed values)
    """Place the last `last` audits — (items passed, passed?, label) oldest first — on a small chart.

    Values are scaled to `scale_max` (the sheet's item count); the pass mark is a horizontal line.
    """
    values = list(values)[-last:]
    scale_max = max(scale_max, 1)
    usable_h = height - 2 * pad
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def y_of(v):
        return height - pad - min(max(v, 0), scale_max) / scale_max * usable_h

    points = [TrendPoint(x=pad + i * step, y=y_of(v), value=v, passed=ok, label=label)
              for i, (v, ok, label) in enumerate(values)]
    return Trend(width=width, height=height, points=points,
                 mark_y=y_of(pass_mark) if pass_mark is not None else None, mark=pass_mark)

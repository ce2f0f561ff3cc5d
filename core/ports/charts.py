"""The chart port: the bot describes a bar chart in the user's language; an adapter draws a PNG."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Panel:
    """One horizontal bar panel: a title and (label, value) bars; `percent` values are 0..1."""

    title: str
    bars: tuple[tuple[str, float], ...]
    percent: bool = False


@dataclass(frozen=True)
class ChartSpec:
    """A figure of panels side by side under one title; `rtl` for Hebrew layout."""

    title: str
    panels: tuple[Panel, ...]
    rtl: bool = False


class ChartRenderer(Protocol):
    """Draws a ChartSpec; blocking CPU work, so callers run it in a worker thread."""

    def render_png(self, spec: ChartSpec) -> bytes:
        """The chart as PNG bytes."""
        ...

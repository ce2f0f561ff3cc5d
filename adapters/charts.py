"""PNG charts with matplotlib's headless Agg backend; Hebrew laid out right to left.

matplotlib draws text left to right and knows no bidi, so every label goes through the
Unicode bidi algorithm (python-bidi) first: Hebrew comes out in visual order, embedded numbers
and Latin names keep theirs. Directional isolate/format marks used in chat text are removed
(fonts have no glyph for them). For a Hebrew chart the bars grow leftwards from labels on the
right. DejaVu Sans, bundled with matplotlib, has the Hebrew glyphs. No pyplot: a Figure per
call with its own Agg canvas keeps renders independent, so worker threads can draw at once.
"""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")  # headless, whatever MPLBACKEND says; set before anything draws

from bidi import get_display
from matplotlib import ft2font
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from core.ports.charts import ChartSpec, Panel

FONT = "DejaVu Sans"
BAR_COLOR = "#2f6f9f"
DIRECTION_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_LABEL = 28
# matplotlib >= 3.11 lays text out with libraqm, which runs the bidi algorithm itself;
# reordering beforehand as well would turn Hebrew back to front.
NATIVE_BIDI = hasattr(ft2font, "__libraqm_version__")


def shape(text: str, limit: int | None = None) -> str:
    """`text` ready for matplotlib (visual order unless it reorders itself), marks removed."""
    plain = DIRECTION_MARKS.sub("", text)
    if limit is not None and len(plain) > limit:
        plain = plain[: limit - 1] + "…"
    return plain if NATIVE_BIDI else get_display(plain)


def _value(value: float, percent: bool) -> str:
    return f"{round(value * 100)}%" if percent else f"{value:g}"


def _draw(figure: Figure, index: int, count: int, panel: Panel, rtl: bool) -> None:
    axes = figure.add_subplot(1, count, index + 1)
    labels = [shape(label, MAX_LABEL) for label, _value_ in panel.bars] or [""]
    values = [value for _label, value in panel.bars] or [0.0]
    positions = range(len(values))
    axes.barh(positions, values, color=BAR_COLOR)
    axes.set_yticks(list(positions), labels)
    axes.invert_yaxis()  # first item on top
    axes.set_title(shape(panel.title), fontsize=11)
    top = 1.0 if panel.percent else max(max(values), 1.0)
    axes.set_xlim(0, top * 1.25)
    for position, value in zip(positions, values, strict=True):
        # Just past the bar's end, whichever way the bars grow.
        axes.text(value + top * 0.02, position, _value(value, panel.percent), fontsize=9,
                  va="center", ha="right" if rtl else "left")  # fmt: skip
    if panel.percent:
        axes.set_xticks([0, 0.5, 1.0], ["0%", "50%", "100%"])
    if rtl:
        axes.invert_xaxis()  # bars grow leftwards from labels on the right
        axes.yaxis.tick_right()
    for side in ("top", "left" if rtl else "right"):
        axes.spines[side].set_visible(False)


class MatplotlibCharts:
    """The ChartRenderer port implemented with matplotlib (Agg)."""

    backend = "agg"

    def render_png(self, spec: ChartSpec) -> bytes:
        """Draw `spec` as a PNG (about 0.1 s of CPU: call it from a worker thread)."""
        rows = max((len(p.bars) for p in spec.panels), default=1)
        width = 5.2 * max(len(spec.panels), 1)
        height = 1.6 + 0.38 * max(rows, 3)
        with matplotlib.rc_context({"font.family": FONT, "axes.unicode_minus": False}):
            figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
            FigureCanvasAgg(figure)
            figure.suptitle(shape(spec.title), fontsize=13)
            panels = spec.panels or (Panel("", ()),)
            # Hebrew reads right to left: the first panel goes on the right.
            ordered = list(reversed(panels)) if spec.rtl else list(panels)
            for index, panel in enumerate(ordered):
                _draw(figure, index, len(ordered), panel, spec.rtl)
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png")
        return buffer.getvalue()

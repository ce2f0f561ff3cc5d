"""The chart adapter: a valid PNG from the headless Agg backend, Hebrew in right-to-left order."""

from __future__ import annotations

import struct
import warnings
import zlib

import matplotlib
import pytest
from bidi import get_display
from matplotlib import _text_helpers, font_manager

from adapters.charts import FONT, PNG_SIGNATURE, MatplotlibCharts, shape
from core.ports.charts import ChartRenderer, ChartSpec, Panel

HEBREW = ChartSpec(
    "סיכום ⁦Alon School⁩ — this-term",
    (
        Panel("כיסוי לפי שכבה", (("שכבה 5", 2 / 3), ("שכבה 6", 0.5)), percent=True),
        Panel("ניתוחים לפי סטטוס", (("הושלמו", 5.0), ("בתהליך", 1.0), ("נכשלו", 0.0))),
    ),
    rtl=True,
)


def _chunks(png: bytes) -> list[bytes]:
    """Chunk types of a PNG, checking each chunk's CRC on the way."""
    types, at = [], len(PNG_SIGNATURE)
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + data) == crc
        types.append(kind)
        at += 12 + length
    return types


@pytest.mark.parametrize(
    "spec", [HEBREW, ChartSpec("Empty", ()), ChartSpec("No bars", (Panel("x", ()),))]
)
def test_render_gives_a_valid_png_from_the_agg_backend_without_missing_glyphs(
    spec: ChartSpec,
) -> None:
    renderer: ChartRenderer = MatplotlibCharts()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing Hebrew glyph would warn
        png = renderer.render_png(spec)
    assert png.startswith(PNG_SIGNATURE)
    types = _chunks(png)
    assert types[0] == b"IHDR" and types[-1] == b"IEND" and b"IDAT" in types
    assert matplotlib.get_backend().lower() == "agg"


@pytest.mark.parametrize(
    ("logical", "visual"),
    [("שכבה 5", "5 הבכש"), ("ניתוחים לפי סטטוס", "סוטטס יפל םיחותינ"), ("Grade 5", "Grade 5")],
)
def test_hebrew_comes_out_right_to_left(logical: str, visual: str) -> None:
    font = font_manager.get_font(font_manager.findfont(FONT))
    # The glyphs in the order matplotlib places them, left to right, after our shaping.
    drawn = "".join(item.char for item in _text_helpers.layout(shape(logical), font))
    assert drawn == visual == get_display(logical)


def test_shape_drops_direction_marks_and_shortens_long_labels() -> None:
    isolated = "\u2066Michael\u2069"
    assert "\u2066" not in shape(isolated) and "Michael" in shape(isolated)
    assert len(shape("א" * 40, 10)) == 10

"""Charts and maps people can take away: PNG and SVG files with their caption drawn inside the image.

A downloaded figure must stand on its own in a paper or a slide, so its title, subtitle, units, source line,
licence and the release it was drawn from are part of the picture, not of the web page around it.

- Line charts: the page's own Vega-Lite spec (:func:`observatory.web.charts.line_chart_spec`) is wrapped by
  :func:`captioned_spec` — a title and subtitle above, the source, licence and release lines below — and rendered
  by vl-convert (``vegalite_to_svg`` / ``vegalite_to_png``), so the file and the page come from one spec.
- Maps are our own SVG (``web/maps.py``): :func:`captioned_svg` places the map inside a larger SVG with the same
  caption lines as ``<text>`` elements, and :func:`svg_png` rasterises that with vl-convert's ``svg_to_png``.

Everything is rendered offline (no URLs are fetched). Text is XML-escaped; publishers' labels are data.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import vl_convert as vlc

from observatory.web.charts import FONT, MUTED, TEXT

PNG_SCALE = 2  # 2× pixels: sharp on paper and on high-density screens
CAPTION_SIZE = 12
TITLE_SIZE = 17


@dataclass(frozen=True, slots=True)
class Caption:
    """What a downloaded figure says about itself (every field plain text)."""

    title: str
    subtitle: str
    units: str
    source: str
    licence: str
    release: str
    note: str = ""  # e.g. "No data for Essex in this release, so it is not drawn."

    def header(self) -> list[str]:
        """Lines under the title: the subtitle, then the units."""
        return [line for line in (self.subtitle, f"Units: {self.units}" if self.units else "") if line]

    def footer(self) -> list[str]:
        """Lines under the figure: source, licence, release (the release id names the exact data)."""
        release = f"South Essex Data Observatory, release {self.release}"
        return [line for line in (self.note, f"Source: {self.source}", f"Licence: {self.licence}", release) if line]


def captioned_spec(spec: dict[str, Any], caption: Caption) -> dict[str, Any]:
    """The chart's Vega-Lite spec with its caption: title and subtitle lines above, a text block below.

    ``spec`` is a top-level spec as made by ``line_chart_spec`` (``$schema``, ``config``, ``datasets`` and a
    layer with its width and height); it is not changed. Raises KeyError when ``spec`` has no ``width``.
    """
    inner = {k: v for k, v in copy.deepcopy(spec).items() if k not in ("$schema", "config", "datasets")}
    width = int(inner["width"])
    lines = caption.footer()
    footer = {
        "width": width,
        "height": len(lines) * (CAPTION_SIZE + 5),
        "data": {"values": [{"i": i, "line": line} for i, line in enumerate(lines)]},
        "mark": {"type": "text", "align": "left", "baseline": "top", "fontSize": CAPTION_SIZE, "color": MUTED,
                 "font": FONT, "limit": width},
        "encoding": {
            "text": {"field": "line", "type": "nominal"},
            "x": {"value": 0},
            "y": {"field": "i", "type": "ordinal", "axis": None, "scale": {"paddingOuter": 0}},
        },
    }  # fmt: skip
    out: dict[str, Any] = {
        "$schema": spec.get("$schema", "https://vega.github.io/schema/vega-lite/v5.json"),
        "title": {"text": caption.title, "subtitle": caption.header(), "anchor": "start", "fontSize": TITLE_SIZE,
                  "subtitleFontSize": CAPTION_SIZE + 1, "color": TEXT, "subtitleColor": TEXT, "font": FONT,
                  "subtitleFont": FONT, "offset": 12, "limit": width},
        "vconcat": [inner, footer],
        "spacing": 16,
        "padding": 16,
        "config": spec.get("config", {}),
    }  # fmt: skip
    if "datasets" in spec:
        out["datasets"] = spec["datasets"]
    return out


def chart_svg(spec: dict[str, Any], caption: Caption) -> str:
    """A standalone SVG file of the captioned chart (text as ``<text>`` elements, searchable and editable)."""
    svg: str = vlc.vegalite_to_svg(captioned_spec(spec, caption), allowed_base_urls=[])
    return _with_title(svg, caption)


def chart_png(spec: dict[str, Any], caption: Caption) -> bytes:
    """A PNG of the captioned chart at :data:`PNG_SCALE`× resolution."""
    png: bytes = vlc.vegalite_to_png(captioned_spec(spec, caption), scale=PNG_SCALE, allowed_base_urls=[])
    return png


_VIEWBOX = re.compile(r'viewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"')


def captioned_svg(svg: str, caption: Caption, *, width: float = 640) -> str:
    """A map (or any of our SVG figures) inside a standalone SVG file with the caption as ``<text>`` lines.

    ``svg`` must carry a ``viewBox``; the figure is scaled to ``width`` user units. Raises ValueError otherwise.
    """
    found = _VIEWBOX.search(svg)
    if found is None:
        raise ValueError("the figure has no viewBox")
    _x, _y, vw, vh = (float(v) for v in found.groups())
    height = width * vh / vw
    pad, line = 16, CAPTION_SIZE + 5
    header = caption.header()
    top = pad + TITLE_SIZE + 6 + len(header) * (line + 1) + 8
    footer = caption.footer()
    total_h = top + height + 12 + len(footer) * line + pad
    total_w = width + 2 * pad
    texts = [_text(pad, pad + TITLE_SIZE, caption.title, TITLE_SIZE, TEXT, bold=True)]
    y: float = pad + TITLE_SIZE + 6
    for h in header:
        y += line + 1
        texts.append(_text(pad, y, h, CAPTION_SIZE + 1, TEXT))
    y = top + height + 12
    for f in footer:
        y += line
        texts.append(_text(pad, y - 4, f, CAPTION_SIZE, MUTED))
    start = re.match(r"<svg\b[^>]*>", svg.strip())
    if start is None:
        raise ValueError("the figure is not an SVG element")
    tag = re.sub(r'\s(?:x|y|width|height)="[^"]*"', "", start.group(0))
    tag = tag.replace("<svg", f'<svg x="{pad}" y="{top:.1f}" width="{width:.1f}" height="{height:.1f}"', 1)
    inner = tag + svg.strip()[start.end() :]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w:.0f}" height="{total_h:.0f}" '
        f'viewBox="0 0 {total_w:.0f} {total_h:.0f}" font-family="{FONT}">'
        f"<title>{escape(caption.title)}</title>"
        f'<rect width="100%" height="100%" fill="#fff"/>{"".join(texts)}{inner}</svg>'
    )


def svg_png(svg: str) -> bytes:
    """A PNG of a standalone SVG (vl-convert's resvg renderer) at :data:`PNG_SCALE`× resolution."""
    png: bytes = vlc.svg_to_png(svg, scale=PNG_SCALE)
    return png


def _text(x: float, y: float, text: str, size: int, colour: str, *, bold: bool = False) -> str:
    weight = ' font-weight="700"' if bold else ""
    return f'<text x="{x}" y="{y:.1f}" font-size="{size}" fill="{colour}"{weight}>{escape(text)}</text>'


def _with_title(svg: str, caption: Caption) -> str:
    """A ``<title>`` for the file (shown by viewers, read by screen readers when the file is embedded)."""
    return re.sub(r"(<svg\b[^>]*>)", lambda m: f"{m.group(1)}<title>{escape(caption.title)}</title>", svg, count=1)

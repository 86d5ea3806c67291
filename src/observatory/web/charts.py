"""Server-rendered, accessible SVG charts: line charts from a grammar, sparklines and spine charts by hand.

Line charts are Vega-Lite specs built with altair and rendered by vl-convert, fully offline (no data URLs,
no fonts fetched), then post-processed into a self-contained ``<svg role="img">`` with a ``<title>``, a
``<desc>`` text alternative and ids prefixed per chart so several charts can sit inline on one page.
Sparklines and spine charts have no grammar equivalent worth the weight, so they are written directly.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal
from xml.sax.saxutils import escape, quoteattr

import vl_convert as vlc

from observatory import format as nf

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

FONT = "Arial, Helvetica, sans-serif"
TEXT = "#0b0c0c"  # GOV.UK text colour: high contrast on white
MUTED = "#505a5f"

# Okabe–Ito without yellow (too faint on white), for the highlighted areas.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
# Comparators: greys dark enough for 3:1 against white, told apart by dash pattern as well as shade.
COMPARATOR_COLOURS = ("#0b0c0c", "#505a5f", "#6f777b", "#3d4346")
COMPARATOR_DASHES = ((6, 3), (2, 2), (8, 3, 2, 3), (4, 4))
MAX_AUTO_BANDS = 3  # more overlapping bands than this turn into a grey wash
SHAPES = ("circle", "square", "triangle-up", "diamond", "triangle-down", "cross", "triangle-left", "triangle-right")


@dataclass(frozen=True, slots=True)
class Point:
    period_start: date
    period_label: str
    value: float | None
    lci: float | None = None
    uci: float | None = None


@dataclass(frozen=True, slots=True)
class Series:
    code: str
    name: str
    points: Sequence[Point]


def auto_id(prefix: str, *parts: object) -> str:
    """A deterministic id from the content, so cached SVG is stable and two different charts never clash."""
    digest = hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{prefix}-{digest}"


# --------------------------------------------------------------------------------------------------------------
# Line chart


def _d3_format(decimals: int) -> str:
    return f",.{max(decimals, 0)}~f"


def _tick_periods(periods: list[tuple[int, str]], width: int) -> list[tuple[int, str]]:
    """Period ticks that fit the width, always including the latest period (the one people look for)."""
    if not periods:
        return []
    longest = max(len(label) for _, label in periods)
    room = max(2, int(width // (longest * 6.5 + 14)))
    step = max(1, math.ceil(len(periods) / room))
    return list(reversed(periods[::-1][::step]))


def _styles(
    series: Sequence[Series], highlight: Sequence[str], comparators: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Colour, dash and shape per series: highlighted areas solid in Okabe–Ito, comparators dashed greys.

    Each area keeps its own colour, dash and shape whatever else is selected: a highlighted area's style comes from
    its place in ``highlight``, a comparator's from its place in ``comparators`` (others follow in order).
    """
    out: list[dict[str, Any]] = []
    extra = 0
    for s in series:
        if s.code in highlight:
            i = list(highlight).index(s.code)
            out.append({"colour": OKABE_ITO[i % len(OKABE_ITO)], "dash": [1, 0], "width": 2.5, "high": True,
                        "shape": SHAPES[i % len(SHAPES)]})  # fmt: skip
            continue
        if s.code in comparators:
            j = list(comparators).index(s.code)
        else:
            j = len(comparators) + extra
            extra += 1
        out.append({"colour": COMPARATOR_COLOURS[j % len(COMPARATOR_COLOURS)],
                    "dash": list(COMPARATOR_DASHES[j % len(COMPARATOR_DASHES)]), "width": 1.75, "high": False,
                    "shape": SHAPES[(len(highlight) + j) % len(SHAPES)]})  # fmt: skip
    return out


def _legend_names(series: Sequence[Series]) -> list[str]:
    """Legend labels must be unique (they key the scales): repeat names get their code appended."""
    seen: dict[str, int] = {}
    for s in series:
        seen[s.name] = seen.get(s.name, 0) + 1
    return [s.name if seen[s.name] == 1 else f"{s.name} ({s.code})" for s in series]


def band_series(series: Sequence[Series], highlight: Sequence[str], band_codes: Collection[str] | None) -> list[str]:
    """Codes whose 95% band is drawn: all with CIs when few, else the first highlighted one (overlapping
    bands of many areas are unreadable); ``band_codes`` overrides the choice."""
    with_ci = [s.code for s in series if any(p.lci is not None and p.uci is not None for p in s.points)]
    if band_codes is not None:
        return [c for c in with_ci if c in band_codes]
    if len(with_ci) <= MAX_AUTO_BANDS:
        return with_ci
    preferred = [c for c in with_ci if c in set(highlight)] or with_ci
    return preferred[:1]


def line_chart_spec(
    series: Sequence[Series],
    *,
    y_title: str,
    unit: nf.Unit = nf.PLAIN,
    highlight: Sequence[str] = (),
    band_codes: Collection[str] | None = None,
    width: int = 600,
    height: int = 300,
    comparators: Sequence[str] = (),
    narrow: bool = False,
) -> dict[str, Any]:
    """The Vega-Lite spec of :func:`line_chart` (exposed so tests and the API can inspect what is drawn).

    Areas with no values at all are left out of the drawing (the text alternative says so). ``narrow`` is the
    phone variant: larger text, fewer ticks, a one-column legend (give it a small ``width``).
    """
    font_size = 15 if narrow else 12
    import altair as alt  # here, not at the top: heavy (~1 s), and maps and sparklines do not need it

    series = [s for s in series if any(p.value is not None for p in s.points)]
    names = _legend_names(series)
    styles = _styles(series, highlight, comparators)
    banded = set(band_series(series, highlight, band_codes))
    rows: list[dict[str, Any]] = []
    bands: list[dict[str, Any]] = []
    periods: dict[int, str] = {}
    for s, name, style in zip(series, names, styles, strict=True):
        for p in s.points:
            day = p.period_start.toordinal() - 719163  # days since 1970-01-01
            periods.setdefault(day, p.period_label)
            value = p.value if p.value is not None and math.isfinite(p.value) else None
            rows.append({"s": name, "x": day, "v": value, "h": int(style["high"])})
            if s.code in banded and _finite(p.lci) and _finite(p.uci):
                bands.append({"s": name, "x": day, "lo": p.lci, "hi": p.uci})
    ticks = _tick_periods(sorted(periods.items()), width // 2 if narrow else width)
    lookup = json.dumps({str(day): label for day, label in ticks}, ensure_ascii=False)
    fmt = _d3_format(unit.decimals)
    y_label = f"{json.dumps(unit.prefix)} + format(datum.value, '{fmt}') + {json.dumps(unit.suffix)}"

    def scale(key: str) -> alt.Scale:
        return alt.Scale(domain=names, range=[st[key] for st in styles])

    legend = alt.Legend(orient="bottom", columns=1 if narrow else 3, labelLimit=width if narrow else 220,
                        symbolSize=140 if narrow else 110, symbolOpacity=1, title=None)  # fmt: skip
    colour = alt.Color("s:N", sort=names, scale=scale("colour"), legend=None)
    x_domain = [min(periods), max(periods)] if periods else [0, 1]
    x = alt.X(
        "x:Q",
        title=None,
        scale=alt.Scale(domain=x_domain, nice=False, zero=False),
        axis=alt.Axis(values=[d for d, _ in ticks], labelExpr=f"{lookup}[datum.value]", grid=False, labelFlush=True),
    )
    y_scale = alt.Scale(zero=False, nice=True)
    y = alt.Y("v:Q", title=y_title, scale=y_scale, axis=alt.Axis(labelExpr=y_label, tickCount=4 if narrow else 6))

    # Named datasets filled in after to_dict(): altair deep-copies inline rows several times (most of its cost).
    base = alt.Chart(alt.NamedData(name="series"))
    line = base.mark_line(invalid="break-paths-show-domains").encode(
        x=x,
        y=y,
        color=colour,
        strokeDash=alt.StrokeDash("s:N", sort=names, scale=scale("dash"), legend=None),
        strokeWidth=alt.StrokeWidth("h:O", scale=alt.Scale(domain=[0, 1], range=[1.75, 2.5]), legend=None),
    )
    # The legend comes from the points: colour and shape together identify a line without relying on colour.
    points = base.mark_point(filled=True, size=30, opacity=1).encode(
        x=x,
        y=y,
        color=alt.Color("s:N", sort=names, scale=scale("colour"), legend=legend),
        shape=alt.Shape("s:N", sort=names, scale=scale("shape"), legend=legend),
    )
    layers: list[alt.Chart] = []
    if bands:
        band = (
            alt.Chart(alt.NamedData(name="bands"))
            .mark_area(opacity=0.16)
            .encode(x=x, y=alt.Y("lo:Q", scale=y_scale), y2="hi:Q", color=colour)
        )
        layers.append(band)
    layers += [line, points]
    chart = (
        alt.layer(*layers)
        .properties(width=width, height=height)
        .resolve_legend(color="independent", shape="independent", strokeDash="independent")
    )
    spec: dict[str, Any] = chart.to_dict(validate=False)
    spec["datasets"] = {"series": rows, "bands": bands} if bands else {"series": rows}
    spec["config"] = {
        "font": FONT,
        "background": "white",
        "view": {"stroke": None},
        "axis": {"labelColor": TEXT, "titleColor": TEXT, "labelFontSize": font_size, "titleFontSize": font_size,
                 "domainColor": MUTED, "tickColor": MUTED, "gridColor": "#e5e6e7", "titleFontWeight": "normal"},
        "legend": {"labelColor": TEXT, "labelFontSize": font_size},
    }  # fmt: skip
    return spec


def _finite(v: float | None) -> bool:
    return v is not None and math.isfinite(v)


def _series_sentence(name: str, s: Series, unit: nf.Unit) -> str:
    known = [p for p in sorted(s.points, key=lambda p: p.period_start) if p.value is not None]
    if not known:
        return f"{name}: no data"
    first, last = known[0], known[-1]
    fv = nf.value(first.value, unit)
    lv = nf.value(last.value, unit)
    if first is last:
        return f"{name}: {lv} in {last.period_label}"
    return f"{name} from {fv} in {first.period_label} to {lv} in {last.period_label}"


def describe_line_chart(
    series: Sequence[Series],
    *,
    title: str,
    unit: nf.Unit = nf.PLAIN,
    highlight: Sequence[str] = (),
    banded: Sequence[str] = (),
) -> str:
    """The text alternative: what is plotted, over when, and each area's first and latest value."""
    points = [p for s in series for p in s.points if p.value is not None]
    if not points:
        return f"Line chart of {title}: no data."
    first = min(points, key=lambda p: p.period_start).period_label
    last = max(points, key=lambda p: p.period_start).period_label
    span = first if first == last else f"{first}\u2013{last}"
    drawn = [s for s in series if any(p.value is not None for p in s.points)]
    empty = [s.name for s in series if s not in drawn]
    names = _legend_names(drawn)
    parts = [_series_sentence(n, s, unit) for n, s in zip(names, drawn, strict=True)]
    text = f"Line chart of {title}, {span}, for {len(drawn)} area{'s' if len(drawn) != 1 else ''}; "
    text += "; ".join(parts) + "."
    if empty:
        text += f" No data for {', '.join(empty)}."
    if banded:
        by_code = {s.code: n for s, n in zip(drawn, names, strict=True)}
        text += f" Shaded bands show 95% confidence intervals for {', '.join(by_code[c] for c in banded)}."
    wanted = set(highlight)
    if wanted and any(s.code not in wanted for s in drawn):
        text += " Comparator areas are drawn with dashed grey lines."
    return text


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    y_title: str,
    unit: nf.Unit = nf.PLAIN,
    highlight: Sequence[str] = (),
    chart_id: str | None = None,
    band_codes: Collection[str] | None = None,
    width: int = 600,
    height: int = 300,
    comparators: Sequence[str] = (),
    narrow: bool = False,
) -> str:
    """One line per area over time, with 95% bands where published, as a self-contained accessible SVG.

    ``chart_id`` prefixes every id in the SVG (pass one per chart on a page); by default it is derived from
    the content so the same chart always renders to the same bytes. ``band_codes`` picks whose bands are
    drawn (default: see :func:`band_series`).
    """
    spec = line_chart_spec(
        series,
        y_title=y_title,
        unit=unit,
        highlight=highlight,
        band_codes=band_codes,
        width=width,
        height=height,
        comparators=comparators,
        narrow=narrow,
    )
    cid = chart_id or auto_id("chart", title, spec)
    drawn = [s for s in series if any(p.value is not None for p in s.points)]
    desc = describe_line_chart(
        series,
        title=title,
        unit=unit,
        highlight=highlight,
        banded=band_series(drawn, highlight, band_codes),
    )
    raw = vlc.vegalite_to_svg(spec, allowed_base_urls=[])
    return make_accessible(raw, chart_id=cid, title=title, desc=desc)


def index_bar_chart(
    rows: Sequence[tuple[str, float | None, float | None]],
    *,
    periods: tuple[str, str],
    title: str,
    x_title: str,
    chart_id: str | None = None,
    width: int = 520,
) -> str:
    """An index (benchmark = 100) per area at two periods as paired horizontal bars with a rule at 100, as an
    accessible SVG; ``rows`` are (area name, first period's index, latest index), ``periods`` their labels.
    Used for the investor pack's productivity index (GVA per hour worked, England = 100)."""
    first, latest = periods
    values = [{"area": name, "period": label, "index": v} for name, a, b in rows
              for label, v in ((first, a), (latest, b)) if v is not None]  # fmt: skip
    colour = {"field": "period", "type": "ordinal", "sort": [first, latest], "title": None,
              "scale": {"domain": [first, latest], "range": ["#6f777b", "#1d70b8"]}}  # fmt: skip
    y = {"field": "area", "type": "nominal", "sort": None, "title": None}
    offset = {"field": "period", "sort": [first, latest]}
    spec: dict[str, Any] = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width,
        "height": {"step": 26},
        "data": {"values": values},
        "layer": [
            {"mark": {"type": "bar", "height": 10},
             "encoding": {"y": y, "yOffset": offset, "color": {**colour, "legend": {"orient": "top"}},
                          "x": {"field": "index", "type": "quantitative", "title": x_title}}},
            {"mark": {"type": "text", "align": "left", "dx": 3, "fontSize": 11, "color": TEXT},
             "encoding": {"y": y, "yOffset": offset, "x": {"field": "index", "type": "quantitative"},
                          "text": {"field": "index", "type": "quantitative", "format": ".1f"}}},
            {"data": {"values": [{"x": 100}]}, "mark": {"type": "rule", "color": TEXT, "strokeDash": [4, 2]},
             "encoding": {"x": {"field": "x", "type": "quantitative"}}},
        ],
        "config": {"font": FONT, "background": "white", "view": {"stroke": None},
                   "axis": {"labelColor": TEXT, "titleColor": TEXT, "labelFontSize": 12, "titleFontSize": 12,
                            "titleFontWeight": "normal", "gridColor": "#e5e6e7"},
                   "legend": {"labelColor": TEXT, "labelFontSize": 12}},
    }  # fmt: skip
    desc = f"{title}. " + "; ".join(
        f"{name}: {nf.number(a, 1)} in {first}, {nf.number(b, 1)} in {latest}" for name, a, b in rows
    )
    raw = vlc.vegalite_to_svg(spec, allowed_base_urls=[])
    return make_accessible(raw, chart_id=chart_id or auto_id("index", title, values), title=title, desc=desc)


# --------------------------------------------------------------------------------------------------------------
# Post-processing vl-convert output

_DROP_ATTRS = {"class", "role", "pointer-events", "aria-roledescription", "aria-label", "aria-hidden", "cursor"}
_DROP_TAGS = {"script", "foreignObject", "a", "image", "iframe", "audio", "video", "style"}
_URL_REF = re.compile(r"url\(#([^)]+)\)")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


_LONG_NUMBER = re.compile(r"(-?\d+\.\d)\d+")
_GEOMETRY_ATTRS = ("d", "transform", "x", "y", "x1", "x2", "y1", "y2", "width", "height", "points")
_HOISTABLE = ("fill", "stroke", "stroke-width", "stroke-dasharray", "font-family", "font-size")  # inherited ones only


def _round(match: re.Match[str]) -> str:
    return f"{float(match.group(0)):.1f}".removesuffix(".0")


def _slim(root: ET.Element) -> None:
    """Cut renderer weight without changing the picture: 0.1 px precision, shared attributes on the group."""
    for el in root.iter():
        for name in _GEOMETRY_ATTRS:
            if name in el.attrib:
                el.attrib[name] = _LONG_NUMBER.sub(_round, el.attrib[name])
    for el in list(root.iter()):
        # Empty, invisible paths are renderer scaffolding (axis backgrounds): dead weight.
        for child in list(el):
            if _local(child.tag) == "path" and child.attrib.get("d", "") in ("", "M0,0h0v0h0Z"):
                el.remove(child)
        children = list(el)
        if len(children) < 2 or any(len(c) for c in children):
            continue
        for name in _HOISTABLE:
            values = {c.attrib.get(name) for c in children}
            if len(values) == 1 and (value := values.pop()) is not None and name not in el.attrib:
                el.attrib[name] = value
                for c in children:
                    del c.attrib[name]


def make_accessible(svg: str, *, chart_id: str, title: str, desc: str) -> str:
    """Turn renderer SVG into a safe, self-contained ``role="img"`` image with its own title and description.

    Strips scripts, links, external references and the renderer's per-mark ARIA (the root is an image, so
    assistive technology reads only the title and description; the page carries the data table).
    """
    root = ET.fromstring(svg)  # noqa: S314 (our own renderer's output, not user input)
    ids: dict[str, str] = {}
    for el in root.iter():
        if "id" in el.attrib:
            ids[el.attrib["id"]] = f"{chart_id}-{el.attrib['id']}"

    def clean(parent: ET.Element) -> None:
        for child in list(parent):
            if _local(child.tag) in _DROP_TAGS:
                parent.remove(child)
                continue
            clean(child)
        for name in list(parent.attrib):
            value = parent.attrib[name]
            local = _local(name)
            if local in _DROP_ATTRS or local.startswith("on") or (local == "opacity" and value == "1"):
                del parent.attrib[name]
            elif local == "id":
                parent.attrib[name] = ids[value]
            elif local == "href":
                if value.startswith("#") and value[1:] in ids:
                    parent.attrib[name] = "#" + ids[value[1:]]
                else:
                    del parent.attrib[name]
            elif "url(" in value:
                parent.attrib[name] = _URL_REF.sub(lambda m: f"url(#{ids.get(m.group(1), m.group(1))})", value)

    clean(root)
    _slim(root)
    title_el = ET.Element(f"{{{SVG_NS}}}title", {"id": f"{chart_id}-title"})
    title_el.text = title
    desc_el = ET.Element(f"{{{SVG_NS}}}desc", {"id": f"{chart_id}-desc"})
    desc_el.text = desc
    root.insert(0, desc_el)
    root.insert(0, title_el)
    root.attrib.update(
        {
            "id": chart_id,
            "role": "img",
            "aria-labelledby": f"{chart_id}-title",
            "aria-describedby": f"{chart_id}-desc",
            "focusable": "false",
        }
    )
    root.attrib.pop("version", None)
    out = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    # xlink is declared by the renderer but nothing links any more.
    return out.replace(f' xmlns:xlink="{XLINK_NS}"', "") if "xlink:" not in out else out


# --------------------------------------------------------------------------------------------------------------
# Sparkline


def sparkline(values: Sequence[float | None], *, width: int = 120, height: int = 24, label: str) -> str:
    """A word-sized trend line (gaps where data are missing), the latest value marked with a dot."""
    pad = 3.0
    known = [v for v in values if v is not None and math.isfinite(v)]
    parts = [
        f'<svg xmlns="{SVG_NS}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label={quoteattr(label)} focusable="false" class="sparkline"><title>{escape(label)}</title>'
    ]
    if known:
        lo, hi = min(known), max(known)
        span = hi - lo or 1.0
        n = len(values)
        step = (width - 2 * pad) / max(n - 1, 1)

        def xy(i: int, v: float) -> tuple[float, float]:
            y = height - pad - (v - lo) / span * (height - 2 * pad) if hi != lo else height / 2
            return pad + i * step, y

        segments: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(values):
            if v is None or not math.isfinite(v):
                if segments[-1]:
                    segments.append([])
                continue
            segments[-1].append(xy(i, v))
        for seg in segments:
            if len(seg) == 1:  # a value between two gaps: a dot, or it would vanish
                parts.append(f'<circle cx="{seg[0][0]:.1f}" cy="{seg[0][1]:.1f}" r="1" fill="{OKABE_ITO[0]}"/>')
            elif len(seg) >= 2:
                pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
                parts.append(f'<polyline points="{pts}" fill="none" stroke="{OKABE_ITO[0]}" stroke-width="1.5"/>')
        last_i = max(i for i, v in enumerate(values) if v is not None and math.isfinite(v))
        lv = values[last_i]
        assert lv is not None
        lx, ly = xy(last_i, lv)
        parts.append(f'<circle cx="{lx:.1f}" cy="{ly:.1f}" r="2.5" fill="{OKABE_ITO[1]}"/>')
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------------------------------------------
# Spine chart

Judgement = Literal["better", "similar", "worse", "not-tested"]
Polarity = Literal["higher-better", "lower-better", "no-judgement"]

# Colour and shape together, so the judgement never rests on colour alone.
JUDGEMENT_STYLE: dict[str, tuple[str, str, str]] = {
    # judgement: (fill, stroke, shape)
    "better": ("#0072B2", "#0b0c0c", "triangle-up"),
    "similar": ("#E69F00", "#0b0c0c", "diamond"),
    "worse": ("#D55E00", "#0b0c0c", "triangle-down"),
    "not-tested": ("#ffffff", "#0b0c0c", "circle"),
}
JUDGEMENT_TEXT = {
    "better": "better than England",
    "similar": "similar to England",
    "worse": "worse than England",
    "not-tested": "not tested",  # the same word as the page's verdicts (glance.VERDICT_WORDS)
}


@dataclass(frozen=True, slots=True)
class SpineRow:
    label: str
    area_value: float | None
    england_value: float | None
    p_min: float | None
    p25: float | None
    p75: float | None
    p_max: float | None
    judgement: Judgement = "not-tested"
    polarity: Polarity = "no-judgement"
    unit: nf.Unit = nf.PLAIN
    england_note: str | None = None  # said instead of England's value where it is no benchmark (a total)


def spine_position(row: SpineRow, value: float) -> float | None:
    """Where ``value`` sits on the spine, 0 (worst) … 0.5 (England) … 1 (best).

    The scale is symmetric around England so the centre line always means "England"; the farther extreme
    of the authorities' range reaches the edge. Lower-better indicators are mirrored so better is always
    to the right (no-judgement ones keep higher to the right).
    """
    centre = row.england_value
    ends = [v for v in (row.p_min, row.p_max, row.area_value) if v is not None]
    if centre is None:
        if not ends:
            return None
        centre = (min(ends) + max(ends)) / 2
    half = max((abs(v - centre) for v in ends), default=0.0) or 1.0
    offset = (value - centre) / half / 2
    if row.polarity == "lower-better":
        offset = -offset
    return min(1.0, max(0.0, 0.5 + offset))


def _marker(shape: str, x: float, y: float, r: float, fill: str, stroke: str) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
    if shape == "diamond":
        pts = [(x, y - r * 1.25), (x + r * 1.25, y), (x, y + r * 1.25), (x - r * 1.25, y)]
    elif shape == "triangle-up":
        pts = [(x, y - r * 1.3), (x + r * 1.2, y + r * 0.9), (x - r * 1.2, y + r * 0.9)]
    else:
        pts = [(x, y + r * 1.3), (x + r * 1.2, y - r * 0.9), (x - r * 1.2, y - r * 0.9)]
    d = "M" + "L".join(f"{px:.1f},{py:.1f}" for px, py in pts) + "Z"
    return f'<path d="{d}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    if line:
        lines.append(line)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
        if len(lines[1]) > width:
            lines[1] = lines[1][: width - 1].rstrip() + "\u2026"
    return lines


def spine_chart(
    rows: Sequence[SpineRow], *, title: str, area_name: str, chart_id: str | None = None, width: int = 720
) -> str:
    """A public-health style spine chart: each indicator against England and the range of English authorities.

    ``area_name`` heads the area's value column (e.g. "Thurrock").

    Per row: the grey bar is the range of lower-tier authorities (light: min–max, dark: 25th–75th percentile),
    the vertical line is England, the marker is the area, coloured *and* shaped by its judgement.
    """
    cid = chart_id or auto_id("spine", title, rows)
    shown = [nf.value(v, r.unit) for r in rows for v in (r.area_value, r.england_value)]
    # a note said instead of England's value ("not comparable (a total)") is drawn on up to two lines
    shown += [line for r in rows if r.england_note for line in _wrap(r.england_note, 14)]
    # the value columns fit the longest figure ("£2,488.9 million"): about 7.5 px a character at 13 px Arial
    # and the area's name above its column, in bold (about 8 px a character)
    widest = max(round(7.5 * max(map(len, shown), default=0)), round(8 * len(area_name)))
    label_w, value_w, gap = 250, max(80, widest + 12), 12
    spine_x = label_w + 2 * value_w + gap
    spine_w = width - spine_x - 10
    row_h, top = 40, 46
    legend_h = 58
    height = top + row_h * len(rows) + legend_h + 8

    desc_bits = []
    body: list[str] = []
    for i, row in enumerate(rows):
        y0 = top + i * row_h
        cy = y0 + row_h / 2
        band = "#f3f2f1" if i % 2 == 0 else "#ffffff"
        body.append(f'<rect x="0" y="{y0}" width="{width}" height="{row_h}" fill="{band}"/>')
        lines = _wrap(row.label, 36)
        for j, line in enumerate(lines):
            ly = cy + 4 + (j - (len(lines) - 1) / 2) * 15
            body.append(f'<text x="4" y="{ly:.1f}">{escape(line)}</text>')
        area_txt = nf.value(row.area_value, row.unit)
        eng_txt = row.england_note or nf.value(row.england_value, row.unit)
        body.append(f'<text x="{label_w + value_w - 6}" y="{cy + 4:.1f}" text-anchor="end">{escape(area_txt)}</text>')
        eng_lines = _wrap(row.england_note, 14) if row.england_note else [eng_txt]
        for j, line in enumerate(eng_lines):
            ey = cy + 4 + (j - (len(eng_lines) - 1) / 2) * 15
            body.append(f'<text x="{label_w + 2 * value_w - 6}" y="{ey:.1f}" text-anchor="end">{escape(line)}</text>')

        def px(v: float | None, row: SpineRow = row) -> float | None:
            pos = spine_position(row, v) if v is not None else None
            return None if pos is None else spine_x + pos * spine_w

        lo, hi = px(row.p_min), px(row.p_max)
        if lo is not None and hi is not None:
            a, b = sorted((lo, hi))
            body.append(f'<rect x="{a:.1f}" y="{cy - 8:.1f}" width="{b - a:.1f}" height="16" fill="#dcdcdc"/>')
        q1, q3 = px(row.p25), px(row.p75)
        if q1 is not None and q3 is not None:
            a, b = sorted((q1, q3))
            body.append(f'<rect x="{a:.1f}" y="{cy - 8:.1f}" width="{b - a:.1f}" height="16" fill="#8c9196"/>')
        ex = px(row.england_value)
        if ex is not None:
            body.append(
                f'<line x1="{ex:.1f}" x2="{ex:.1f}" y1="{y0 + 5}" y2="{y0 + row_h - 5}" '
                f'stroke="#0b0c0c" stroke-width="2"/>'
            )
        judgement = row.judgement if row.judgement in JUDGEMENT_STYLE else "not-tested"
        verdict = JUDGEMENT_TEXT[judgement]
        rng = ""
        if row.p_min is not None and row.p_max is not None:
            rng = f"; authorities range {nf.value(row.p_min, row.unit)} to {nf.value(row.p_max, row.unit)}"
        note = ", neither higher nor lower is better (higher is to the right)" if row.polarity == "no-judgement" else ""
        tip = f"{row.label}: {area_txt} (England {eng_txt}{rng}) \u2014 {verdict}{note}"
        mx = px(row.area_value)
        if mx is not None:
            fill, stroke, shape = JUDGEMENT_STYLE[judgement]
            pos = (mx - spine_x) / spine_w
            body.append(
                f'<g class="spine-mark" data-judgement="{judgement}" data-shape="{shape}" data-pos="{pos:.3f}">'
                f"<title>{escape(tip)}</title>"
            )
            body.append(_marker(shape, mx, cy, 6, fill, stroke) + "</g>")
        desc_bits.append(f"{row.label}: {area_txt}, {verdict} (England {eng_txt})")

    header = (
        f'<text x="4" y="30" font-weight="bold">Indicator</text>'
        f'<text x="{label_w + value_w - 6}" y="30" text-anchor="end" font-weight="bold">{escape(area_name)}</text>'
        f'<text x="{label_w + 2 * value_w - 6}" y="30" text-anchor="end" font-weight="bold">England</text>'
        f'<text x="{spine_x}" y="30">\u2190 Worse</text>'
        f'<text x="{spine_x + spine_w / 2:.1f}" y="30" text-anchor="middle">England</text>'
        f'<text x="{spine_x + spine_w}" y="30" text-anchor="end">Better \u2192</text>'
    )
    ly = top + row_h * len(rows) + 22
    legend = []
    lx = 4.0
    for key in ("better", "similar", "worse", "not-tested"):
        fill, stroke, shape = JUDGEMENT_STYLE[key]
        legend.append(_marker(shape, lx + 6, ly - 4, 5, fill, stroke))
        text = JUDGEMENT_TEXT[key][0].upper() + JUDGEMENT_TEXT[key][1:]
        legend.append(f'<text x="{lx + 16:.0f}" y="{ly:.0f}">{escape(text)}</text>')
        lx += 34 + len(text) * 7.2
    ly += 24
    legend.append(f'<rect x="4" y="{ly - 10}" width="24" height="12" fill="#dcdcdc"/>')
    legend.append(f'<rect x="10" y="{ly - 10}" width="12" height="12" fill="#8c9196"/>')
    legend.append(f'<text x="34" y="{ly:.0f}">Range of English authorities, middle half darker</text>')
    legend.append(f'<line x1="390" x2="390" y1="{ly - 12}" y2="{ly + 3}" stroke="#0b0c0c" stroke-width="2"/>')
    legend.append(f'<text x="398" y="{ly:.0f}">England</text>')

    desc = f"Spine chart of {len(rows)} indicators against England, better to the right. " + "; ".join(desc_bits)
    return (
        f'<svg xmlns="{SVG_NS}" id="{cid}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{cid}-title" aria-describedby="{cid}-desc" focusable="false" '
        f'font-family="{FONT}" font-size="13" fill="{TEXT}">'
        f'<title id="{cid}-title">{escape(title)}</title><desc id="{cid}-desc">{escape(desc)}</desc>'
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>'
        + header
        + "".join(body)
        + "".join(legend)
        + "</svg>"
    )


# --------------------------------------------------------------------------------------------------------------
# Cache


class ChartCache:
    """Rendered SVG per (release, key), least recently used dropped first.

    Releases are immutable, so a chart rendered once for a release is right for as long as it is served;
    the bound keeps memory flat when many releases or indicators are browsed.
    """

    def __init__(self, max_entries: int = 2048) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, release_id: str, key: str) -> str | None:
        with self._lock:
            svg = self._items.get((release_id, key))
            if svg is not None:
                self._items.move_to_end((release_id, key))
                self.hits += 1
            else:
                self.misses += 1
            return svg

    def put(self, release_id: str, key: str, svg: str) -> None:
        with self._lock:
            self._items[(release_id, key)] = svg
            self._items.move_to_end((release_id, key))
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def get_or_render(self, release_id: str, key: str, render: Callable[[], str]) -> str:
        """The cached SVG, or render it (outside the lock: rendering is slow, a rare double render is not)."""
        svg = self.get(release_id, key)
        if svg is None:
            svg = render()
            self.put(release_id, key, svg)
        return svg

    def drop_release(self, release_id: str) -> None:
        with self._lock:
            for k in [k for k in self._items if k[0] == release_id]:
                del self._items[k]

    def __len__(self) -> int:
        return len(self._items)


def warm_up() -> None:
    """Render a tiny chart so vl-convert's JavaScript engine starts before the first real request (~1–3 s)."""
    vlc.vegalite_to_svg(
        {"data": {"values": [{"a": 1}]}, "mark": "point", "encoding": {"x": {"field": "a", "type": "quantitative"}}},
        allowed_base_urls=[],
    )

"""Offline static world maps as standalone SVG: countries filled by event class, places as labelled dots.

Shapes are Natural Earth 1:110m countries (npm `world-atlas@2.0.2`, vendored under `sitrep/data/geo/`)."""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from xml.sax.saxutils import escape, quoteattr

LonLat = tuple[float, float]
Ring = tuple[LonLat, ...]
Polygon = tuple[Ring, ...]  # exterior ring first, then holes
BBox = tuple[float, float, float, float]  # lon0, lat0, lon1, lat1

GEO_DIR = Path(__file__).resolve().parent.parent / "data" / "geo"
# Fill colour and legend text of the classes `render_map` styles itself (CAMEO quad classes + a plain highlight).
CLASS_STYLES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "q1": ("#2b8cbe", "verbal cooperation"),
    "q2": ("#31a354", "material cooperation"),
    "q3": ("#fdae6b", "verbal conflict"),
    "q4": ("#de2d26", "material conflict"),
    "hl": ("#756bb1", "highlighted"),
})
# Features that carry no ISO numeric id in world-atlas. ISO 3166 and geonames count N. Cyprus and Somaliland
# as parts of Cyprus and Somalia, so events geocoded there carry those codes: their shapes join them.
_BY_NAME: Mapping[str, str] = MappingProxyType({"Kosovo": "XKX", "N. Cyprus": "CYP", "Somaliland": "SOM"})
WORLD: BBox = (-180.0, -58.0, 180.0, 84.0)  # whole-world view; leaves Antarctica out


def geo_path() -> Path:
    """The vendored TopoJSON (Natural Earth 110m countries), e.g. for a web app to serve as-is."""
    return GEO_DIR / "countries-110m.json"


@dataclass(frozen=True)
class Country:
    iso3: str
    name: str
    polygons: tuple[Polygon, ...]

    @property
    def main_bbox(self) -> BBox:
        """Bounding box of the largest polygon (metropolitan France, not French Guiana); one that crosses the
        antimeridian (Russia) is cut at 180 degrees east."""
        ring = max(self.polygons, key=lambda p: abs(_area(p[0])))[0]
        if any(abs(a[0] - b[0]) > 180 for a, b in zip(ring, ring[1:])):
            x0, y0, x1, y1 = _bbox((x + 360 if x < 0 else x, y) for x, y in ring)
            return x0, y0, min(x1, 180.0), y1
        return _bbox(ring)


@dataclass(frozen=True)
class MapPoint:
    lat: float
    lon: float
    label: str
    cls: str = ""
    href: str | None = None


def _area(ring: Ring) -> float:
    return 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:]))


def _bbox(points: Iterable[LonLat]) -> BBox:
    xs, ys = zip(*points)
    return min(xs), min(ys), max(xs), max(ys)


def _decode_arcs(topo: dict) -> list[list[LonLat]]:
    """Absolute lon/lat positions of every arc; quantized arcs are delta-encoded."""
    tf = topo.get("transform")
    (sx, sy), (tx, ty) = (tf["scale"], tf["translate"]) if tf else ((1.0, 1.0), (0.0, 0.0))
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0.0
        pts = []
        for p in arc:
            x, y = (x + p[0], y + p[1]) if tf else (p[0], p[1])
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def _stitch(indexes: list[int], arcs: list[list[LonLat]]) -> Ring:
    ring: list[LonLat] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]  # ~i: arc i, walked backwards
        ring.extend(arc[1:] if ring else arc)  # each arc starts where the last one ended
    return tuple(ring)


def _iso_numeric() -> dict[str, str]:
    rows = (GEO_DIR / "iso_numeric.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return {num: iso3 for num, iso3, _name in (r.split("\t") for r in rows if r.strip())}


class WorldShapes:
    """Country polygons in lon/lat keyed by ISO3, decoded once per path (`WorldShapes.load()`)."""

    def __init__(self, countries: Mapping[str, Country]) -> None:
        self.countries: Mapping[str, Country] = MappingProxyType(dict(countries))

    @classmethod
    def load(cls, path: Path | str | None = None) -> WorldShapes:
        return _load(str(path or geo_path()))

    @classmethod
    def from_topojson(cls, topo: dict, obj: str = "countries") -> WorldShapes:
        arcs, to_iso3 = _decode_arcs(topo), _iso_numeric()
        found: dict[str, tuple[str, list[Polygon]]] = {}
        for geom in topo["objects"][obj]["geometries"]:
            name = (geom.get("properties") or {}).get("name", "")
            iso3 = to_iso3.get(str(geom.get("id", ""))) or _BY_NAME.get(name)
            if geom.get("type") == "Polygon":
                parts = [geom["arcs"]]
            elif geom.get("type") == "MultiPolygon":
                parts = geom["arcs"]
            else:
                continue
            if not iso3:
                continue
            polys = [tuple(_stitch(r, arcs) for r in part) for part in parts]
            entry = found.setdefault(iso3, (name, []))
            if "id" in geom and entry[0] != name:  # the name of the ISO feature, not "N. Cyprus"
                entry = found[iso3] = (name, entry[1])
            entry[1].extend(p for p in polys if p and len(p[0]) >= 4)
        return cls({k: Country(k, n, tuple(ps)) for k, (n, ps) in found.items() if ps})

    def __len__(self) -> int:
        return len(self.countries)

    def __contains__(self, iso3: object) -> bool:
        return iso3 in self.countries


@lru_cache(maxsize=4)
def _load(path: str) -> WorldShapes:
    with open(path, encoding="utf-8") as fh:
        return WorldShapes.from_topojson(json.load(fh))


Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in projected units


def project(lon: float, lat: float) -> tuple[float, float]:
    """Natural Earth I projection (d3's polynomial) in degree-sized units; y grows southwards, as in SVG."""
    lam, phi = math.radians(lon), math.radians(lat)
    p2 = phi * phi
    p4 = p2 * p2
    x = lam * (0.8707 - 0.131979 * p2 + p4 * (-0.013791 + p4 * (0.003971 * p2 - 0.001529 * p4)))
    y = phi * (1.007226 + p2 * (0.015085 + p4 * (-0.044475 + 0.028874 * p2 - 0.005916 * p4)))
    return math.degrees(x), -math.degrees(y)


def _project_bbox(b: BBox) -> Rect:
    lon0, lat0, lon1, lat1 = b
    lats = [lat0 + (lat1 - lat0) * i / 8 for i in range(9)] + [min(max(0.0, lat0), lat1)]  # widest at the equator
    lons = [lon0 + (lon1 - lon0) * i / 8 for i in range(9)]
    edges = [(lon, lat) for lon in lons for lat in (lat0, lat1)] + [(lon, lat) for lon in (lon0, lon1) for lat in lats]
    return _bbox([project(lon, lat) for lon, lat in edges])


def _axis(lo: float, hi: float, size: float, w_lo: float, w_hi: float, clip: bool) -> tuple[float, float]:
    """Grow [lo, hi] to `size` around its middle, then slide it inside [w_lo, w_hi] (or cut it, if `clip`)."""
    if size >= w_hi - w_lo:
        mid = (w_lo + w_hi) / 2
        return (w_lo, w_hi) if clip else (mid - size / 2, mid + size / 2)
    a = min(max((lo + hi - size) / 2, w_lo), w_hi - size)
    return a, a + size


def _view(focus: BBox | None, width: int, height: int | None) -> Rect:
    world = _project_bbox(WORLD)
    if focus is None:
        x0, y0, x1, y1 = world
    else:
        lon0, lat0, lon1, lat1 = focus
        pad = max(15.0, 0.15 * max(lon1 - lon0, lat1 - lat0))
        x0, y0, x1, y1 = _project_bbox((max(lon0 - pad, WORLD[0]), max(lat0 - pad, WORLD[1]),
                                        min(lon1 + pad, WORLD[2]), min(lat1 + pad, WORLD[3])))
    w, h = x1 - x0, y1 - y0
    lo, hi = (width / height,) * 2 if height else (1.4, 2.2)  # sensible width/height ratios
    w, h = max(w, h * lo), max(h, w / hi)
    x0, x1 = _axis(x0, x1, w, world[0], world[2], clip=not height)
    y0, y1 = _axis(y0, y1, h, world[1], world[3], clip=not height)
    return x0, y0, x1, y1


def _ring_d(ring: Ring, view: Rect) -> str:
    """SVG path data for one ring; a ring that jumps across the antimeridian becomes one subpath per side."""
    pts = list(ring[:-1] if ring[0] == ring[-1] else ring)
    jumps = [i for i in range(len(pts)) if abs(pts[i][0] - pts[i - 1][0]) > 180]
    if jumps:  # start right after a jump, so that each side is one run
        pts = pts[jumps[0]:] + pts[:jumps[0]]
    xy = [project(lon, lat) for lon, lat in pts]
    bx0, by0, bx1, by1 = _bbox(xy)
    if bx1 < view[0] or bx0 > view[2] or by1 < view[1] or by0 > view[3]:
        return ""
    out: list[str] = []
    last = ""
    for i, (x, y) in enumerate(xy):
        pair = f"{x:.1f},{y:.1f}"
        if i == 0 or abs(pts[i][0] - pts[i - 1][0]) > 180:
            out.append(("Z" if i else "") + "M" + pair)
        elif pair != last:
            out.append(" " + pair)
        last = pair
    return "".join(out) + "Z"


_BAD_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SCHEME = re.compile(r"\s*([a-zA-Z][a-zA-Z0-9+.-]*):")


def _text(s: str) -> str:
    return escape(_BAD_XML.sub("", s))


def _attr(s: str) -> str:
    return quoteattr(_BAD_XML.sub("", s))


def _safe_href(href: str) -> bool:
    m = _SCHEME.match(href)
    return m is None or m.group(1).lower() in ("http", "https")


def _style(k: float) -> str:
    def px(v: float) -> str:
        return f"{v * k:.3g}px"
    rules = [".sea{fill:#f4f7fa}",
             f".c{{fill:#dcdcdc;stroke:#fff;stroke-width:{px(0.6)};stroke-linejoin:round}}",
             f".pt circle{{fill:#252525;stroke:#fff;stroke-width:{px(1)}}}",
             f"text{{font:{px(11)} sans-serif;fill:#222}}",
             f".pt text,.ttl{{paint-order:stroke;stroke:#fff;stroke-width:{px(3)};stroke-linejoin:round}}",
             f".ttl{{font-weight:bold;font-size:{px(14)}}}",
             f".lg rect.bg{{fill:#fff;fill-opacity:.85;stroke:#bbb;stroke-width:{px(0.5)}}}"]
    rules += [f".{c},.pt .{c}{{fill:{colour}}}" for c, (colour, _) in CLASS_STYLES.items()]
    return "".join(rules)


def render_map(countries: dict[str, str] | None = None, points: list[MapPoint] | None = None, *,
               width: int = 720, height: int | None = None, title: str | None = None, fit: bool = True,
               shapes: WorldShapes | None = None) -> str:
    """A standalone SVG map: `countries` (ISO3 -> css class, e.g. "q4") filled, the rest grey, `points` as
    labelled dots. With `fit`, zoom to the marked countries and points; else show the whole world.
    Unknown ISO3 codes and points off the globe are ignored."""
    shapes = shapes or WorldShapes.load()
    marked = {k.upper(): v for k, v in (countries or {}).items() if k.upper() in shapes.countries}
    pts = [p for p in points or [] if math.isfinite(p.lat + p.lon) and abs(p.lat) <= 90 and abs(p.lon) <= 180]
    boxes = [shapes.countries[k].main_bbox for k in marked] + [(p.lon, p.lat, p.lon, p.lat) for p in pts]
    focus = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
             max(b[3] for b in boxes)) if fit and boxes else None
    view = x0, y0, x1, y1 = _view(focus, width, height)
    k = (x1 - x0) / width  # user units per output pixel
    height = height or max(1, round(width * (y1 - y0) / (x1 - x0)))
    names = [f"{shapes.countries[c].name} ({CLASS_STYLES[v][1] if v in CLASS_STYLES else v})"
             for c, v in marked.items()]
    desc = "; ".join(filter(None, ["Countries: " + ", ".join(names) if names else "",
                                   "Places: " + ", ".join(p.label for p in pts) if pts else ""])) or "World map"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{width}" '
           f'height="{height}" viewBox="{x0:.1f} {y0:.1f} {x1 - x0:.1f} {y1 - y0:.1f}" role="img">',
           f"<title>{_text(title or 'World map')}</title><desc>{_text(desc)}</desc>",
           f"<style>{_style(k)}</style>",
           f'<rect class="sea" x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}"/>']
    # Grey countries first, marked ones on top so that their outlines stay whole.
    for c in sorted(shapes.countries.values(), key=lambda c: (c.iso3 in marked, c.iso3)):
        d = "".join(outer + "".join(_ring_d(hole, view) for hole in poly[1:])
                    for poly in c.polygons if (outer := _ring_d(poly[0], view)))
        if d:
            cls = f"c {marked[c.iso3]}" if c.iso3 in marked else "c"
            out.append(f'<path class={_attr(cls)} data-iso3="{c.iso3}" d="{d}"><title>{_text(c.name)}</title></path>')
    for p in pts:
        x, y = project(p.lon, p.lat)
        left = x > x1 - 90 * k  # label to the left of dots near the right edge
        cls = f" class={_attr(p.cls)}" if p.cls else ""
        anchor = ' text-anchor="end"' if left else ""
        g = (f'<g class="pt"><title>{_text(p.label)}</title><circle{cls} cx="{x:.2f}" cy="{y:.2f}" r="{4 * k:.3g}"/>'
             f'<text x="{x + (-7 if left else 7) * k:.2f}" y="{y + 4 * k:.2f}"{anchor}>{_text(p.label)}</text></g>')
        if p.href and _safe_href(p.href):
            g = f"<a href={_attr(p.href)} xlink:href={_attr(p.href)}>{g}</a>"
        out.append(g)
    if title:
        out.append(f'<text class="ttl" x="{x0 + 10 * k:.2f}" y="{y0 + 22 * k:.2f}">{_text(title)}</text>')
    used = [c for c in CLASS_STYLES if c in set(marked.values()) | {p.cls for p in pts}]
    if used:
        lx, ly = x0 + 10 * k, y1 - (10 + 18 * len(used) + 8) * k
        out.append(f'<g class="lg"><rect class="bg" x="{lx:.2f}" y="{ly:.2f}" width="{150 * k:.2f}" '
                   f'height="{(18 * len(used) + 8) * k:.2f}"/>')
        for i, c in enumerate(used):
            ry = ly + (6 + 18 * i) * k
            out.append(f'<rect class="{c}" x="{lx + 6 * k:.2f}" y="{ry:.2f}" width="{12 * k:.2f}" '
                       f'height="{12 * k:.2f}"/>'
                       f'<text x="{lx + 24 * k:.2f}" y="{ry + 10 * k:.2f}">{_text(CLASS_STYLES[c][1])}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)

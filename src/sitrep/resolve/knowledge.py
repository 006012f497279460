"""The actor dictionary: countries, capitals and seats, organisations, groups, institutions, roles and office
holders, loaded from `sitrep/data/actors/*.tsv` plus user files, with the indexes resolution needs.
"""
from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from ..resources import load_toml
from .tables import ACTOR_COLUMNS, PLACE_COLUMNS, TableError, all_rows, split_list

KINDS = {"country", "capital", "seat", "igo", "ngo", "group", "institution", "role", "person"}


@lru_cache(maxsize=200_000)
def fold(s: str) -> str:
    """A matching key: accents removed, curly quotes straightened, lower case, spaces collapsed."""
    if s.isascii():  # the common case, without the Unicode steps (same result)
        return " ".join(s.split()).lower()
    s = s.replace("’", "'").replace("‘", "'").replace("–", "-").replace("‐", "-")
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", s).strip().lower()


@dataclass(frozen=True)
class ActorEntry:
    id: str
    kind: str
    name: str
    aliases: tuple[str, ...]
    adjectives: tuple[str, ...]
    code: str | None
    country: str | None
    sector: str | None
    wikidata: str | None
    start: str | None
    end: str | None
    role: str | None

    def in_office(self, when: date | None) -> bool:
        if when is None:
            return self.end is None
        w = when.isoformat()
        return (self.start is None or self.start[: len(w)] <= w) and (self.end is None or w <= self.end + "-99")


@dataclass(frozen=True)
class PlaceEntry:
    place_id: str
    name: str
    aliases: tuple[str, ...]
    kind: str
    country: str | None
    lat: float | None
    lon: float | None
    geonameid: int | None
    population: int = 0
    timezone: str | None = None


def _actor(row: dict[str, str]) -> ActorEntry:
    kind = row["kind"].strip().lower()
    if kind not in KINDS:
        raise TableError(f"{row['_where']}: unknown kind {row['kind']!r} (one of {', '.join(sorted(KINDS))})")
    if not row["id"] or not row["name"]:
        raise TableError(f"{row['_where']}: id and name are required")
    return ActorEntry(row["id"], kind, row["name"], split_list(row["aliases"]), split_list(row["adjectives"]),
                      row["code"] or None, row["country"] or None, row["sector"] or None, row["wikidata"] or None,
                      row["start"] or None, row["end"] or None, row["role"] or None)


def _place(row: dict[str, str]) -> PlaceEntry:
    try:
        lat = float(row["lat"]) if row["lat"] else None
        lon = float(row["lon"]) if row["lon"] else None
        gid = int(row["geonameid"]) if row["geonameid"] else None
    except ValueError as exc:
        raise TableError(f"{row['_where']}: {exc}") from exc
    if not row["place_id"] or not row["name"]:
        raise TableError(f"{row['_where']}: place_id and name are required")
    return PlaceEntry(row["place_id"], row["name"], split_list(row["aliases"]), row["kind"] or "site",
                      row["country"] or None, lat, lon, gid)


def is_case_sensitive(alias: str) -> bool:
    """ALL-CAPS aliases (US, IS, UN) match only as written; others match in any case."""
    letters = [c for c in alias if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


class Knowledge:
    """Actor and place entries by id, with alias indexes. Read-only once built; one per worker process."""

    def __init__(self, actor_files: Iterable[str | os.PathLike[str]] = (),
                 place_files: Iterable[str | os.PathLike[str]] = ()) -> None:
        self.actors: dict[str, ActorEntry] = {}
        for row in all_rows("actors", ACTOR_COLUMNS, actor_files):
            e = _actor(row)
            self.actors[e.id] = e  # later files override earlier ones by id
        self.places: dict[str, PlaceEntry] = {}
        for row in all_rows("places", PLACE_COLUMNS, place_files):
            p = _place(row)
            self.places[p.place_id] = p
        self.by_country: dict[str, ActorEntry] = {e.country: e for e in self.actors.values()
                                                   if e.kind == "country" and e.country}
        self.sector_labels: dict[str, str] = load_toml("resolve.toml")["sector_labels"]
        self.country_place: dict[str, PlaceEntry] = {p.country: p for p in self.places.values()
                                                      if p.kind == "country" and p.country}

    def phrases(self) -> Iterable[tuple[str, str, str]]:
        """(surface form, 'actor'|'place'|'adj', id) for every alias the text matcher should find: entries in file
        order, each entry's names sorted (the same sequence in every process)."""
        for e in self.actors.values():
            for s in sorted({e.name, *e.aliases}):
                yield s, "actor", e.id
            for s in e.adjectives:
                yield s, "adj", e.id
                if e.kind == "country" and s[-1:] in "ni" and s[:1].isupper() and " " not in s:
                    yield s + "s", "adj", e.id  # "the Canadians", "Iraqis": the people of a country
        for p in self.places.values():
            if p.kind == "country":
                continue  # country names come from the actor file
            for s in sorted({p.name, *p.aliases}):
                yield s, "place", p.place_id

    def pick(self, ids: Iterable[str], when: date | None) -> ActorEntry | None:
        """The entry an alias means on `when`: an office holder in office then, else the latest period."""
        entries = [self.actors[i] for i in ids if i in self.actors]
        if not entries:
            return None
        persons = [e for e in entries if e.kind == "person"]
        if persons and len(persons) == len(entries):
            current = [e for e in persons if e.in_office(when)]
            if current:
                return current[0]
            w = when.isoformat() if when else "9999"
            before = [e for e in persons if (e.start or "") <= w]
            return max(before or persons, key=lambda e: e.start or "")
        order = ["person", "institution", "igo", "ngo", "group", "seat", "country", "capital", "role"]
        return min(entries, key=lambda e: order.index(e.kind))

    def country_name(self, iso3: str | None) -> str | None:
        e = self.by_country.get(iso3 or "")
        return e.name if e else None

    def composed_name(self, country: str | None, sector: str | None) -> str:
        label = self.sector_labels.get(sector or "", (sector or "actor").lower())
        cname = self.country_name(country)
        return f"{cname} ({label})" if cname else label.capitalize()

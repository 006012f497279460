"""Store queries for coded events: writing an article's events with its annotations, filtering and streaming them.

Mixed into `Store`; all SQL for the `events` table lives here.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa

from ..events.record import to_record
from ..model import Annotation

_COLUMNS = ("id", "article_id", "sentence_index", "start_char", "end_char", "trigger_start", "trigger_end", "event",
            "mode", "quad", "cameo", "intensity", "date", "date_precision", "date_source", "day", "negated",
            "modality", "confidence", "actor_codes", "actor_names", "recipient_codes", "recipient_names",
            "countries", "pipeline_version", "record")

_ARROW = {name: pa.string() for name in _COLUMNS}
_ARROW.update({"sentence_index": pa.int32(), "start_char": pa.int32(), "end_char": pa.int32(),
               "trigger_start": pa.int32(), "trigger_end": pa.int32(), "quad": pa.int8(), "intensity": pa.float64(),
               "day": pa.date32(), "negated": pa.bool_(), "confidence": pa.float64(),
               **{k: pa.list_(pa.string()) for k in ("actor_codes", "actor_names", "recipient_codes",
                                                      "recipient_names", "countries")}})


@dataclass(frozen=True)
class EventFilter:
    """The filters of `sitrep events` / `export events` / `/api/events`."""

    actor: str | None = None  # a name (substring) or a code or code prefix, case-insensitive
    recipient: str | None = None
    type: str | None = None  # PLOVER type
    country: str | None = None  # ISO3 of an actor or a recipient
    since: date | None = None  # on the event date
    until: date | None = None
    outlet: str | None = None
    min_confidence: float | None = None
    article: str | None = None
    include_negated: bool = True


def in_list(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """`column IN (?, ?, ...)` with the values bound, and the values: a filter DuckDB evaluates in the scan (or
    through the column's index), where a join against a table of the values would read every row of the large
    side, its large columns included. Empty values give FALSE."""
    vals = list(values)
    if not vals:
        return "FALSE", []
    return f"{column} IN ({', '.join('?' * len(vals))})", vals


def in_values(column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
    """`column IN (SELECT unnest(?))` with the (string) values bound as one list: a semi-join on a hash of the
    values. Where DuckDB does not answer an `in_list` through the column's index it checks the list row by row;
    at a million events this read fusion's links by event id in 0.05 s against 0.5 s (`FusionQueries`)."""
    return f"{column} IN (SELECT unnest(?::VARCHAR[]))", [list(dict.fromkeys(values))]


def _day(value: str | None) -> date | None:
    if not value:
        return None
    parts = value.split("-")
    try:
        return date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 1)
    except (ValueError, IndexError):
        return None


class EventQueries:
    con: Any

    def put_events(self, anns: Sequence[Annotation], version: str | None) -> int:
        """Write the events of these articles (inside the caller's transaction; `put_annotations` removes their
        old ones first). Returns the number written."""
        if not any(a.events for a in anns):
            return 0
        meta = {r[0]: r[1:] for r in self.article_rows([a.article_id for a in anns if a.events],
                                                       "id, source, outlet, published, text")}
        rows: list[list[Any]] = []
        seen: set[str] = set()
        for a in anns:
            if not a.events:
                continue
            source, outlet, published, text = meta[a.article_id]
            pub = published.isoformat() if published else None
            for ev in a.events:
                rec = to_record(ev, text=text, source=source, outlet=outlet, published=pub, version=version)
                if rec["id"] in seen:
                    continue
                seen.add(rec["id"])
                rows.append(_row(rec, ev.article_id))
        cols = list(zip(*rows))
        ev_tbl = pa.table([pa.array(c, type=_ARROW[name]) for name, c in zip(_COLUMNS, cols)],  # noqa: F841
                          names=list(_COLUMNS))
        self.con.execute(f"INSERT INTO events ({', '.join(_COLUMNS)}) SELECT {', '.join(_COLUMNS)} FROM ev_tbl")
        return len(rows)

    def article_rows(self, ids: Sequence[str], cols: str) -> list[tuple[Any, ...]]:
        """These articles' `cols`, one primary-key lookup each: a few articles out of many, without reading the
        texts of the others (a join, or a list of ids, would scan the table)."""
        out = []
        for aid in dict.fromkeys(ids):
            out += self.con.execute(f"SELECT {cols} FROM articles WHERE id = ?", [aid]).fetchall()
        return out

    def _event_where(self, f: EventFilter, fused: bool = False) -> tuple[str, list[Any]]:
        """WHERE clause over `events e JOIN articles r` (mentions) or `fused_events e` (fused)."""
        where, params = ["e.listed" if fused else "len(e.actor_codes) > 0"], []
        for value, codes, names in ((f.actor, "actor_codes", "actor_names"),
                                    (f.recipient, "recipient_codes", "recipient_names")):
            if value:
                where.append(f"(len(list_filter(e.{codes}, c -> starts_with(c, ?))) > 0 "
                             f"OR len(list_filter(e.{names}, n -> contains(n, ?))) > 0)")
                params += [value.lower(), value.lower()]
        if f.type:
            where.append("e.event = ?")
            params.append(f.type.upper())
        if f.country:
            where.append("list_contains(e.countries, ?)")
            params.append(f.country.upper())
        if f.since:
            where.append("e.day >= ?")
            params.append(f.since)
        if f.until:
            where.append("e.day <= ?")
            params.append(f.until)
        if f.outlet:
            where.append("list_contains(e.outlets, lower(?))" if fused else "lower(r.outlet) = lower(?)")
            params.append(f.outlet)
        if f.min_confidence is not None:
            where.append("e.confidence >= ?")
            params.append(f.min_confidence)
        if f.article:
            where.append("list_contains(e.article_ids, ?)" if fused else "e.article_id = ?")
            params.append(f.article)
        if not f.include_negated:
            where.append("NOT e.negated")
        return " AND ".join(where), params

    def events(self, f: EventFilter = EventFilter(), limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
        return list(self.iter_events(f, limit, offset))

    def iter_events(self, f: EventFilter = EventFilter(), limit: int | None = None, offset: int = 0,
                    batch: int = 1000) -> Iterator[dict[str, Any]]:
        """Event records matching `f`, by date then article and position; streams."""
        where, params = self._event_where(f)
        sql = (f"SELECT e.record FROM events e JOIN articles r ON r.id = e.article_id WHERE {where} "
               f"ORDER BY e.day NULLS LAST, e.article_id, e.start_char, e.trigger_start, e.id")
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        cur = self.con.execute(sql, params)
        while rows := cur.fetchmany(batch):
            for (rec,) in rows:
                yield json.loads(rec)

    def count_events(self, f: EventFilter = EventFilter()) -> int:
        where, params = self._event_where(f)
        return int(self.con.execute(f"SELECT count(*) FROM events e JOIN articles r ON r.id = e.article_id "
                                    f"WHERE {where}", params).fetchone()[0])

    def event(self, id_or_prefix: str) -> dict[str, Any] | None:
        rows = self.con.execute("SELECT record FROM events WHERE starts_with(id, ?) ORDER BY id LIMIT 2",
                                [id_or_prefix]).fetchall()
        if len(rows) != 1:
            return None
        return json.loads(rows[0][0])

    def event_ids(self, article_id: str) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT id FROM events WHERE article_id = ? ORDER BY start_char, id",
                                               [article_id]).fetchall()]

    def event_stats(self) -> dict[str, Any]:
        total = self.con.execute("SELECT count(*), count(DISTINCT article_id), count(*) FILTER (WHERE negated) "
                                 "FROM events").fetchone()
        by_type = dict(self.con.execute("SELECT event, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC, 1").fetchall())
        negated = total[2]
        versions = [r[0] for r in self.con.execute("SELECT DISTINCT pipeline_version FROM events ORDER BY 1").fetchall()]
        return {"events": total[0], "articles_with_events": total[1], "by_type": by_type, "negated": negated,
                "pipeline_versions": versions}


def _row(rec: dict[str, Any], article_id: str) -> list[Any]:
    ev = rec["evidence"][0]
    actors, recips = rec["actor"], rec["recipient"]
    countries = sorted({p["country"] for p in actors + recips if p.get("country")})
    return [rec["id"], article_id, ev["sentence_index"], ev["start"], ev["end"], ev["trigger"][0], ev["trigger"][1],
            rec["event"], rec["mode"], rec["quad"], rec["cameo"], rec["intensity"], rec["date"], rec["date_precision"],
            rec["date_source"], _day(rec["date"]), rec["negated"], rec["modality"], rec["confidence"],
            [p["code"].lower() for p in actors], [p["name"].lower() for p in actors],
            [p["code"].lower() for p in recips], [p["name"].lower() for p in recips], countries,
            rec["pipeline_version"], json.dumps(rec, ensure_ascii=False)]

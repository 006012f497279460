"""Store queries for the language layer: sentences, mentions, person identities and annotation markers.

Mixed into `Store`; all SQL for these tables lives here.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa

from ..model import Annotation, Mention

MENTION_FIELDS = ("kind", "text", "start_char", "end_char", "sentence_index", "name", "code", "country", "sector",
                  "wikidata", "actor_id", "actor_kind", "role", "place_id", "geonameid", "lat", "lon", "place_kind",
                  "precision", "value", "value_end", "anchor", "reason", "method", "label")
# One line per mention in `export mentions`: the field names (`start`, `end`, `sentence`).
MENTION_EXPORT_COLUMNS = ("article_id", "kind", "text", "start", "end", "sentence_index", "sentence", "name", "code",
                          "country", "sector", "wikidata", "actor_id", "place_id", "geonameid", "lat", "lon",
                          "place_kind", "precision", "value", "value_end", "anchor", "reason", "method")
_TYPES = {"start_char": pa.int32(), "end_char": pa.int32(), "sentence_index": pa.int32(), "geonameid": pa.int64(),
          "lat": pa.float64(), "lon": pa.float64()}


# The identity an entity is counted under: its resolution, else its lower-cased surface form.
_ENTITY_KEY = ("CASE kind WHEN 'actor' THEN coalesce(actor_id, 'unresolved:' || lower(text)) "
               "WHEN 'place' THEN coalesce(place_id, 'unresolved:' || lower(text)) "
               "ELSE coalesce(value, 'unresolved:' || lower(text)) END")


class LanguageQueries:
    con: Any
    put_events: Any  # from EventQueries
    _filters: Any  # from Store

    # -- what needs annotating ------------------------------------------------------------------
    def pending_annotation(self, model: str, knowledge: str, redo: bool = False) -> list[str]:
        """Ids of articles the language layer has not done (or, with `redo`, did with another model/knowledge)."""
        cond = "a.article_id IS NULL"
        if redo:
            cond += " OR a.model <> ? OR a.knowledge <> ?"
        sql = (f"SELECT r.id FROM articles r LEFT JOIN annotated a ON a.article_id = r.id "
               f"WHERE r.skip_reason IS NULL AND ({cond}) ORDER BY r.ingested_at, r.id")
        return [r[0] for r in self.con.execute(sql, [model, knowledge] if redo else []).fetchall()]

    def annotatable_ids(self, since: Any = None, until: Any = None) -> list[str]:
        """Every article the language layer reads (not skipped), optionally by publication date."""
        where, params = self._filters(since, until, None)
        return [r[0] for r in self.con.execute(f"SELECT a.id FROM articles a WHERE a.skip_reason IS NULL AND {where} "
                                               f"ORDER BY a.ingested_at, a.id", params).fetchall()]

    def texts_for(self, ids: Sequence[str]) -> list[tuple[str, str, Any]]:
        rows = self.con.execute("SELECT id, text, published FROM articles WHERE list_contains(?, id)", [list(ids)]).fetchall()
        order = {i: n for n, i in enumerate(ids)}
        return sorted(rows, key=lambda r: order[r[0]])

    # -- writing -------------------------------------------------------------------------------------
    def put_annotations(self, anns: Sequence[Annotation], knowledge: str, run_id: int | None,
                        version: str | None = None) -> None:
        """Replace what the layer stored for these articles, events included (one transaction is the caller's)."""
        ids = [a.article_id for a in anns]
        for table in ("sentences", "mentions", "annotated"):
            self.con.execute(f"DELETE FROM {table} WHERE list_contains(?, article_id)", [ids])
        sent_rows = {"article_id": [], "idx": [], "start_char": [], "end_char": []}
        cols: dict[str, list[Any]] = {"article_id": [], "idx": [], **{f: [] for f in MENTION_FIELDS}}
        for a in anns:
            for s in a.sentences:
                sent_rows["article_id"].append(a.article_id)
                sent_rows["idx"].append(s.index)
                sent_rows["start_char"].append(s.start)
                sent_rows["end_char"].append(s.end)
            for n, m in enumerate(a.mentions):
                cols["article_id"].append(a.article_id)
                cols["idx"].append(n)
                d = m.to_dict()
                d["start_char"], d["end_char"] = m.start, m.end
                for f in MENTION_FIELDS:
                    cols[f].append(d.get(f))
        if sent_rows["article_id"]:
            sent_tbl = pa.table(sent_rows)  # noqa: F841 - read by DuckDB's replacement scan below
            self.con.execute("INSERT INTO sentences SELECT * FROM sent_tbl")
        if cols["article_id"]:
            schema = pa.schema([(k, _TYPES.get(k, pa.int32() if k == "idx" else pa.string())) for k in cols])
            ment_tbl = pa.table(cols, schema=schema)  # noqa: F841
            self.con.execute(f"INSERT INTO mentions (article_id, idx, {', '.join(MENTION_FIELDS)}) "
                             f"SELECT article_id, idx, {', '.join(MENTION_FIELDS)} FROM ment_tbl")
        self.put_events(anns, version)
        for a in anns:
            self.con.execute("INSERT INTO annotated (article_id, model, knowledge, tokens, mentions, run_id) "
                             "VALUES (?, ?, ?, ?, ?, ?)", [a.article_id, a.model, knowledge, a.tokens, len(a.mentions), run_id])

    def person_identities(self, block: str) -> list[tuple[str, str, str | None]]:
        """Known identities sharing `block` (candidates for the same person under another spelling)."""
        return self.con.execute("SELECT id, name, country FROM person_identities WHERE block = ?", [block]).fetchall()

    def add_person_identity(self, pid: str, name: str, country: str | None, block: str) -> None:
        self.con.execute("INSERT INTO person_identities VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                         [pid, name, country, block])

    # -- reading ------------------------------------------------------------------------------------
    def mentions_of(self, article_id: str) -> list[Mention]:
        cur = self.con.execute(f"SELECT {', '.join(MENTION_FIELDS)} FROM mentions WHERE article_id = ? ORDER BY idx",
                               [article_id])
        out = []
        for row in cur.fetchall():
            d = dict(zip(MENTION_FIELDS, row))
            d["start"], d["end"] = d.pop("start_char"), d.pop("end_char")
            out.append(Mention(**d))
        return out

    def sentences_of(self, article_id: str) -> list[tuple[int, int, int]]:
        return self.con.execute("SELECT idx, start_char, end_char FROM sentences WHERE article_id = ? ORDER BY idx",
                                [article_id]).fetchall()

    def entities(self, kind: str | None = None, article_id: str | None = None, top: int = 20) -> list[dict[str, Any]]:
        """The most mentioned resolved entities (and unresolved surface forms), per kind."""
        where, params = ["TRUE"], []
        if kind:
            where.append("kind = ?")
            params.append(kind)
        if article_id:
            where.append("article_id = ?")
            params.append(article_id)
        key = _ENTITY_KEY
        sql = (f"SELECT kind, {key} AS entity, any_value(coalesce(name, value, text)) AS name, any_value(code) AS code, "
               f"any_value(country) AS country, any_value(sector) AS sector, any_value(place_kind) AS place_kind, "
               f"any_value(precision) AS precision, count(*) AS mentions, count(DISTINCT article_id) AS articles, "
               f"list(DISTINCT text ORDER BY text)[1:5] AS forms, bool_and(reason IS NOT NULL) AS unresolved "
               f"FROM mentions WHERE {' AND '.join(where)} GROUP BY kind, entity "
               f"ORDER BY mentions DESC, articles DESC, entity LIMIT ?")
        cur = self.con.execute(sql, params + [top])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def count_entities(self, kind: str | None = None) -> int:
        """How many distinct entities `entities` would list with no limit."""
        key = _ENTITY_KEY
        where, params = ("kind = ?", [kind]) if kind else ("TRUE", [])
        return int(self.con.execute(f"SELECT count(DISTINCT (kind, {key})) FROM mentions WHERE {where}",
                                    params).fetchone()[0])

    def mention_batches(self, batch: int = 5000) -> Iterator[Any]:
        """All mentions with their sentence text, as Arrow record batches (for export; streams)."""
        sql = ("SELECT m.article_id, m.kind, m.text, m.start_char AS start, m.end_char AS \"end\", m.sentence_index, "
               "substr(r.text, s.start_char + 1, s.end_char - s.start_char) AS sentence, m.name, m.code, m.country, "
               "m.sector, m.wikidata, m.actor_id, m.place_id, m.geonameid, m.lat, m.lon, m.place_kind, m.precision, "
               "m.value, m.value_end, m.anchor, m.reason, m.method "
               "FROM mentions m JOIN articles r ON r.id = m.article_id "
               "LEFT JOIN sentences s ON s.article_id = m.article_id AND s.idx = m.sentence_index "
               "ORDER BY m.article_id, m.idx")
        reader = self.con.execute(sql).fetch_record_batch(batch)
        yield from reader

    def language_stats(self) -> dict[str, Any]:
        row = self.con.execute("SELECT count(*), coalesce(sum(tokens), 0) FROM annotated").fetchone()
        kinds = dict(self.con.execute("SELECT kind, count(*) FROM mentions GROUP BY kind").fetchall())
        unresolved = dict(self.con.execute(
            "SELECT kind, count(*) FROM mentions WHERE reason IS NOT NULL GROUP BY kind").fetchall())
        return {"annotated_articles": row[0], "tokens": int(row[1]), "mentions": kinds, "unresolved": unresolved}

    def delete_language(self, article_id: str) -> None:
        for table in ("sentences", "mentions", "annotated", "events"):
            self.con.execute(f"DELETE FROM {table} WHERE article_id = ?", [article_id])

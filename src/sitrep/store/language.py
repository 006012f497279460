"""Store queries for the language layer: sentences, mentions, person identities and annotation markers.

Mixed into `Store`; all SQL for these tables lives here.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import pyarrow as pa

from ..model import Annotation, Mention
from .events import in_list, in_values

MENTION_FIELDS = ("kind", "text", "start_char", "end_char", "sentence_index", "name", "code", "country", "sector",
                  "wikidata", "actor_id", "actor_kind", "role", "place_id", "geonameid", "lat", "lon", "place_kind",
                  "precision", "value", "value_end", "anchor", "reason", "method", "label")
# One line per mention in `export mentions`: the field names (`start`, `end`, `sentence`).
MENTION_EXPORT_COLUMNS = ("article_id", "kind", "text", "start", "end", "sentence_index", "sentence", "name", "code",
                          "country", "sector", "wikidata", "actor_id", "place_id", "geonameid", "lat", "lon",
                          "place_kind", "precision", "value", "value_end", "anchor", "reason", "method")
_DERIVED = ("timeline_candidates", "timeline_vectors", "article_actors")  # per-article reading keys (schema version 5)
LEAD_SENTENCES = 5  # timeline_candidates holds this many first sentences for the publication day
_ATTR = {"start_char": "start", "end_char": "end"}  # Mention attributes under other column names
_TYPES = {"start_char": pa.int32(), "end_char": pa.int32(), "sentence_index": pa.int32(), "geonameid": pa.int64(),
          "lat": pa.float64(), "lon": pa.float64()}


# The identity an entity is counted under: its resolution, else its lower-cased surface form.
_ENTITY_KEY = ("CASE kind WHEN 'actor' THEN coalesce(actor_id, 'unresolved:' || lower(text)) "
               "WHEN 'place' THEN coalesce(place_id, 'unresolved:' || lower(text)) "
               "ELSE coalesce(value, 'unresolved:' || lower(text)) END")


def _lower(v: str | None) -> str | None:
    return v.lower() if v is not None else None


def _iso_day(value: str | None) -> date | None:
    """The day of a resolved day expression (`YYYY-MM-DD`), as the store's TRY_CAST(value AS DATE) reads it."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


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

    def text_lengths(self, ids: Sequence[str]) -> dict[str, int]:
        """Characters of text of each of these articles (the language layer hands out the longest first)."""
        where, params = in_values("id", ids)
        return dict(self.con.execute(f"SELECT id, length(text) FROM articles WHERE {where}", params).fetchall())

    # -- writing -------------------------------------------------------------------------------------
    def put_annotations(self, anns: Sequence[Annotation], knowledge: str, run_id: int | None,
                        version: str | None = None) -> None:
        """Replace what the layer stored for these articles, events included (one transaction is the caller's).
        Rows go in as Arrow tables; the articles' old rows go through a join with their ids, not a list
        parameter (a list parameter costs a pass over the list for every row of the table)."""
        # Only articles the layer wrote before have rows to replace (every such article has an `annotated` row,
        # or sentences kept from before version 3): finding them is one lookup, where a DELETE per table would
        # scan six tables for the new articles an ingest writes.
        where, params = in_list("article_id", [a.article_id for a in anns])
        had = [r[0] for r in self.con.execute(f"SELECT article_id FROM annotated WHERE {where} UNION SELECT "
                                              f"article_id FROM sentences WHERE {where}", params + params).fetchall()]
        if had:
            ids_tbl = pa.table({"article_id": pa.array(had, pa.string())})  # noqa: F841
            for table in ("sentences", "mentions", "annotated", "events", *_DERIVED):
                self.con.execute(f"DELETE FROM {table} WHERE article_id IN (SELECT article_id FROM ids_tbl)")
        sent_rows: dict[str, list[Any]] = {"article_id": [], "idx": [], "start_char": [], "end_char": []}
        cols: dict[str, list[Any]] = {"article_id": [], "idx": [], **{f: [] for f in MENTION_FIELDS}}
        fields = [(f, _ATTR.get(f, f)) for f in MENTION_FIELDS]
        for a in anns:
            for s in a.sentences:
                sent_rows["article_id"].append(a.article_id)
                sent_rows["idx"].append(s.index)
                sent_rows["start_char"].append(s.start)
                sent_rows["end_char"].append(s.end)
            for n, m in enumerate(a.mentions):
                cols["article_id"].append(a.article_id)
                cols["idx"].append(n)
                for f, attr in fields:
                    cols[f].append(getattr(m, attr))
        if sent_rows["article_id"]:
            sent_tbl = pa.table(sent_rows, schema=pa.schema([("article_id", pa.string()), ("idx", pa.int32()),  # noqa: F841
                                                            ("start_char", pa.int32()), ("end_char", pa.int32())]))
            self.con.execute("INSERT INTO sentences SELECT * FROM sent_tbl")
        if cols["article_id"]:
            schema = pa.schema([(k, _TYPES.get(k, pa.int32() if k == "idx" else pa.string())) for k in cols])
            ment_tbl = pa.table(cols, schema=schema)  # noqa: F841
            self.con.execute(f"INSERT INTO mentions (article_id, idx, {', '.join(MENTION_FIELDS)}) "
                             f"SELECT article_id, idx, {', '.join(MENTION_FIELDS)} FROM ment_tbl")
        self._put_reading_keys(anns)
        self.put_events(anns, version)
        if anns:
            ann_tbl = pa.table({"article_id": pa.array([a.article_id for a in anns], pa.string()),  # noqa: F841
                                "model": pa.array([a.model for a in anns], pa.string()),
                                "tokens": pa.array([a.tokens for a in anns], pa.int32()),
                                "mentions": pa.array([len(a.mentions) for a in anns], pa.int32())})
            self.con.execute("INSERT INTO annotated (article_id, model, knowledge, tokens, mentions, run_id) "
                             "SELECT article_id, model, ?, tokens, mentions, ? FROM ann_tbl", [knowledge, run_id])

    def _put_reading_keys(self, anns: Sequence[Annotation]) -> None:
        """What timelines and actor selections read instead of every mention and sentence (schema version 5): per
        article, its timeline candidates by day (the sentences whose day expressions resolve to the day and, for
        its publication day, its first sentences, with their text), and the keys of the actors it names."""
        cands: dict[str, list[Any]] = {"article_id": [], "day": [], "published": [], "sentences": [], "refers": [],
                                       "texts": []}
        names: dict[str, list[Any]] = {"article_id": [], "code": [], "name": [], "actor_id": []}
        meta = {r[0]: r[1:] for r in self.article_rows([a.article_id for a in anns], "id, published, text")}
        for a in anns:
            published, text = meta.get(a.article_id, (None, ""))
            spans = {s.index: (s.start, s.end) for s in a.sentences}
            by_day: dict[date, dict[int, bool]] = {}
            if published is not None:
                for i in sorted(spans):
                    if i < LEAD_SENTENCES:
                        by_day.setdefault(published, {})[i] = False
            seen: set[tuple[Any, ...]] = set()
            for m in a.mentions:
                if m.kind == "time" and m.precision == "day" and m.sentence_index in spans:
                    d = _iso_day(m.value)
                    if d is not None:
                        by_day.setdefault(d, {})[m.sentence_index] = True
                elif m.kind == "actor":
                    key = (_lower(m.code), _lower(m.name), _lower(m.actor_id))
                    if key not in seen:
                        seen.add(key)
                        names["article_id"].append(a.article_id)
                        for col, v in zip(("code", "name", "actor_id"), key):
                            names[col].append(v)
            for d, sents in sorted(by_day.items()):
                order = sorted(sents)
                cands["article_id"].append(a.article_id)
                cands["day"].append(d)
                cands["published"].append(published)
                cands["sentences"].append(order)
                cands["refers"].append([sents[i] for i in order])
                cands["texts"].append([text[spans[i][0]:spans[i][1]] for i in order])
        if cands["article_id"]:
            cand_tbl = pa.table(cands, schema=pa.schema([  # noqa: F841
                ("article_id", pa.string()), ("day", pa.date32()), ("published", pa.date32()),
                ("sentences", pa.list_(pa.int32())), ("refers", pa.list_(pa.bool_())),
                ("texts", pa.list_(pa.string()))]))
            self.con.execute("INSERT INTO timeline_candidates SELECT article_id, day, published, sentences, refers, "
                             "texts FROM cand_tbl")
        if names["article_id"]:
            name_tbl = pa.table(names, schema=pa.schema([(k, pa.string()) for k in names]))  # noqa: F841
            self.con.execute(
                "INSERT INTO actor_names SELECT (SELECT coalesce(max(key), 0) FROM actor_names) + row_number() OVER "
                "(ORDER BY code, name, actor_id), code, name, actor_id FROM (SELECT DISTINCT code, name, actor_id "
                "FROM name_tbl EXCEPT SELECT code, name, actor_id FROM actor_names)")
            self.con.execute(
                "INSERT INTO article_actors SELECT n.article_id, k.key FROM name_tbl n JOIN actor_names k "
                "ON k.code IS NOT DISTINCT FROM n.code AND k.name IS NOT DISTINCT FROM n.name "
                "AND k.actor_id IS NOT DISTINCT FROM n.actor_id")

    def person_identities(self, block: str) -> list[tuple[str, str, str | None]]:
        """Known identities sharing `block` (candidates for the same person under another spelling)."""
        return self.con.execute("SELECT id, name, country FROM person_identities WHERE block = ?", [block]).fetchall()

    def person_identities_in(self, blocks: Sequence[str]) -> dict[str, list[tuple[str, str, str | None]]]:
        """`person_identities` for many blocks in one query: block -> identities."""
        out: dict[str, list[tuple[str, str, str | None]]] = {b: [] for b in blocks}
        if not blocks:
            return out
        blk_tbl = pa.table({"block": pa.array(list(out), pa.string())})  # noqa: F841 - read by DuckDB below
        for pid, name, country, block in self.con.execute(
                "SELECT id, name, country, block FROM person_identities WHERE block IN (SELECT block FROM blk_tbl) "
                "ORDER BY rowid").fetchall():
            out[block].append((pid, name, country))
        return out

    def person_ids_known(self, ids: Sequence[str]) -> set[str]:
        """Which of these person identity ids are already stored."""
        if not ids:
            return set()
        pids_tbl = pa.table({"id": pa.array(list(ids), pa.string())})  # noqa: F841 - read by DuckDB below
        return {r[0] for r in self.con.execute(
            "SELECT id FROM person_identities WHERE id IN (SELECT id FROM pids_tbl)").fetchall()}

    def add_person_identities(self, rows: Sequence[tuple[str, str, str | None, str]]) -> None:
        """Insert (id, name, country, block) identities in one statement; ids already known are kept."""
        if not rows:
            return
        pid_tbl = pa.table({k: pa.array([r[n] for r in rows], pa.string())  # noqa: F841 - read by DuckDB below
                            for n, k in enumerate(("id", "name", "country", "block"))})
        self.con.execute("INSERT INTO person_identities SELECT id, name, country, block FROM pid_tbl "
                         "ON CONFLICT DO NOTHING")

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
        rows = self.con.execute("SELECT kind, count(*), count(reason) FROM mentions GROUP BY kind").fetchall()
        kinds = {k: n for k, n, _ in rows}
        unresolved = {k: u for k, _, u in rows if u}
        return {"annotated_articles": row[0], "tokens": int(row[1]), "mentions": kinds, "unresolved": unresolved}

    def delete_language(self, article_id: str) -> None:
        for table in ("sentences", "mentions", "annotated", "events", *_DERIVED):
            self.con.execute(f"DELETE FROM {table} WHERE article_id = ?", [article_id])

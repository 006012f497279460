"""Store queries for stories and the article vectors they are built from; also the sentence and date queries that
timelines read. Mixed into `Store`; all SQL for `article_vectors`, `story_members` and `stories` lives here."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from .events import in_list
from .schema import CLUSTERED_ROWS, TIMELINE_TABLES, rewrite_by_day


# The actor keys a selection's `actor` names: a code prefix, a part of a name, or an identity (three parameters).
_ACTOR_KEYS = "SELECT key FROM actor_names WHERE starts_with(code, ?) OR contains(name, ?) OR actor_id = ?"
DAY_CHUNK = 16  # days a query (`_by_day`: a scan a day, all in one UNION ALL)
# The timeline tables are rewritten in day order once the rows added since the last rewrite reach this share of the
# table (and at least 16,384 rows: smaller tables are read whole anyway): a day's rows then sit together (see
# schema.TIMELINE_TABLES).
CLUSTER_SHARE = 0.25
CLUSTER_MIN_ROWS = 16_384


def _by_day(table: str, columns: str, days: Sequence[date]) -> tuple[str, list[Any]]:
    """The rows of `table` on these days, one `day = ?` branch a day: an equality is checked against each block's
    day range before the block is read (an IN list is checked only after the rows are read)."""
    return " UNION ALL ".join(f"SELECT {columns} FROM {table} WHERE day = ?" for _ in days), list(days)


def _chunks_of(xs: list[Any], n: int) -> list[list[Any]]:
    return [xs[i:i + n] for i in range(0, len(xs), n)]


def _id_table(ids: Any) -> Any:
    """An Arrow table of article ids (`article_id`) from a list or a `timeline_selection`."""
    if isinstance(ids, pa.Table):
        return ids
    return pa.table({"article_id": pa.array(list(ids), pa.string())})


def _flat_lists(col: Any) -> list[Any]:
    """The values of an Arrow list column, end to end, as Python values."""
    return pa.concat_arrays([c.flatten() for c in col.chunks]).to_pylist() if col.num_chunks else []


_EPOCH = date(1970, 1, 1)


def _day_numbers(col: Any) -> np.ndarray:
    """An Arrow date32 column as days since 1970-01-01."""
    return np.asarray(col.cast(pa.int32()).to_numpy(zero_copy_only=False), dtype=np.int64)


def _list_lengths(col: Any) -> list[int]:
    return [n for c in col.chunks for n in c.value_lengths().to_pylist()]


@dataclass
class TimelineCandidates:
    """Candidate sentences of a timeline's days as columns, one entry a sentence, by day, article and sentence."""

    days: dict[date, tuple[int, int]]  # each day's slice of the columns
    article: np.ndarray  # article ids (objects)
    sentence: np.ndarray  # sentence indexes
    refers: np.ndarray  # the sentence names the day (else: one of its article's first five, published that day)
    text: list[str]
    row: np.ndarray  # the sentence's row in `matrix`, -1 when no vector is stored
    words: np.ndarray  # the stored length in words, -1 when none is stored
    matrix: np.ndarray  # stored vectors, float32

    @classmethod
    def from_arrow(cls, parts: list[tuple[Any, Any]]) -> "TimelineCandidates":
        """From (timeline_candidates rows, timeline_vectors rows) pairs, each of distinct days, the candidates
        ordered by day and article. A vectors row holds one vector and word count per sentence of its candidates
        row, in order; a candidates row whose vectors row is missing (or of another length) has none."""
        days: dict[date, tuple[int, int]] = {}
        cols: dict[str, list[Any]] = {k: [] for k in ("article", "sentence", "refers", "row", "words")}
        texts: list[str] = []
        blobs: list[bytes] = []
        base = at = 0  # matrix rows, sentences so far
        for cand, vec in parts:
            lens = np.asarray(_list_lengths(cand.column("sentences")), dtype=np.int64)
            cdays = _day_numbers(cand.column("day"))
            caids = cand.column("article_id").to_pylist()
            vlens = np.asarray(_list_lengths(vec.column("words")), dtype=np.int64)
            where = dict(zip(zip(vec.column("article_id").to_pylist(), _day_numbers(vec.column("day")).tolist()),
                             zip((np.cumsum(vlens) - vlens).tolist(), vlens.tolist())))
            found = [where.get(key, (-1, -1)) for key in zip(caids, cdays.tolist())]
            starts = np.asarray([st if n == k else -1 for (st, n), k in zip(found, lens.tolist())], dtype=np.int64)
            first = np.cumsum(lens) - lens
            within = np.arange(int(lens.sum()), dtype=np.int64) - np.repeat(first, lens)
            start = np.repeat(starts, lens)
            stored = start >= 0
            vwords = np.asarray(_flat_lists(vec.column("words")), dtype=np.int64)
            cols["row"].append(np.where(stored, start + within + base, -1))
            cols["words"].append(np.where(stored, vwords[np.where(stored, start + within, 0)] if len(vwords) else -1,
                                          -1))
            cols["article"].append(np.repeat(np.asarray(caids, dtype=object), lens))
            cols["sentence"].append(np.asarray(_flat_lists(cand.column("sentences")), dtype=np.int64))
            cols["refers"].append(np.asarray(_flat_lists(cand.column("refers")), dtype=bool))
            texts.extend(_flat_lists(cand.column("texts")))
            # the rows come by day: each day's sentences are one run
            uniq, row_at = np.unique(cdays, return_index=True)
            ends = np.append(row_at[1:], len(cdays))
            for d, r0, r1 in zip(uniq.tolist(), row_at.tolist(), ends.tolist()):
                days[_EPOCH + timedelta(days=d)] = (at + int(first[r0]), at + int(first[r1 - 1] + lens[r1 - 1]))
            at += int(lens.sum())
            base += int(vlens.sum())
            blobs.extend(vec.column("vectors").to_pylist())
        joined = {k: np.concatenate(v) if v else np.zeros(0, dtype=object if k == "article" else np.int64)
                  for k, v in cols.items()}
        matrix = (np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(base, -1).astype(np.float32) if base
                  else np.zeros((0, 0), dtype=np.float32))
        return cls(days, joined["article"], joined["sentence"], joined["refers"].astype(bool), texts, joined["row"],
                   joined["words"], matrix)


def _d(v: Any) -> date | None:
    return date.fromisoformat(v) if isinstance(v, str) else v


def _rows_and_matrix(tbl: Any) -> tuple[list[tuple[str, date | None, list[str], str | None]], Any]:
    n = tbl.num_rows
    if not n:
        return [], np.zeros((0, 0), dtype=np.float32)
    vec = tbl.column("vector").combine_chunks()
    mat = np.asarray(vec.flatten().to_numpy(zero_copy_only=False), dtype=np.float32).reshape(n, -1)
    rows = list(zip(tbl.column("article_id").to_pylist(), tbl.column("day").to_pylist(), tbl.column("keys").to_pylist(),
                    tbl.column("story_id").to_pylist()))
    return rows, mat


class StoryQueries:
    con: Any
    _tx: bool  # set by Store: an explicit transaction is open
    _has_fts: Any

    # -- building ------------------------------------------------------------------------------------
    def articles_without_vectors(self, limit: int) -> list[tuple[str, str | None, str, date | None]]:
        """Annotated articles with no vector yet (id, title, text, published), oldest first."""
        return self.con.execute(
            "SELECT a.id, a.title, a.text, a.published FROM articles a JOIN annotated n ON n.article_id = a.id "
            "LEFT JOIN article_vectors v ON v.article_id = a.id WHERE v.article_id IS NULL "
            "ORDER BY a.published NULLS LAST, a.id LIMIT ?", [limit]).fetchall()

    def article_keys(self, article_ids: Sequence[str]) -> dict[str, set[str]]:
        """The actors and places each of these articles names (ids), in one query."""
        out: dict[str, set[str]] = {a: set() for a in article_ids}
        cond, params = in_list("article_id", list(out))
        for aid, key in self.con.execute(
                f"SELECT DISTINCT article_id, coalesce(actor_id, place_id) FROM mentions WHERE {cond} "
                "AND kind IN ('actor', 'place') AND coalesce(actor_id, place_id) IS NOT NULL", params).fetchall():
            out[aid].add(key)
        return out

    def put_article_vectors(self, ids: Sequence[str], days: Sequence[date | None], vectors: Any,
                            keys: Sequence[list[str]]) -> None:
        """Store article vectors (a float32 matrix, one row an article), through Arrow: DuckDB's parameter
        binding costs a module lookup per list element."""
        flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).ravel())
        vec_tbl = pa.table({"article_id": pa.array(list(ids), pa.string()),  # noqa: F841
                            "day": pa.array(list(days), pa.date32()),
                            "vector": pa.FixedSizeListArray.from_arrays(flat, vectors.shape[1]).cast(
                                pa.list_(pa.float32())),
                            "keys": pa.array([list(k) for k in keys], pa.list_(pa.string()))})
        self.con.execute("INSERT OR REPLACE INTO article_vectors SELECT article_id, day, vector, keys FROM vec_tbl")

    def vector_days(self, article_ids: Sequence[str]) -> dict[str, date | None]:
        """The day stored with each of these articles' vectors."""
        cond, params = in_list("article_id", list(article_ids))
        return dict(self.con.execute(f"SELECT article_id, day FROM article_vectors WHERE {cond}", params).fetchall())

    def story_candidates(self, days: Sequence[date | None], window: int
                         ) -> tuple[list[tuple[str, date | None, list[str], str | None]], Any]:
        """Articles with vectors that could share a story with articles published on `days`: published within the
        window of one of them or undated (any, when one of them is undated); (id, day, keys, story) rows ordered by
        id, and their vectors as a float32 matrix. The articles themselves are among them."""
        known = [d for d in days if d is not None]
        if len(known) < len(days) or not known:
            where, params = "TRUE", []
        else:
            where, params = "(v.day IS NULL OR v.day BETWEEN ? AND ?)", [min(known) - timedelta(days=window),
                                                                        max(known) + timedelta(days=window)]
        tbl = self.con.execute(
            "SELECT v.article_id, v.vector, v.day, v.keys, m.story_id FROM article_vectors v "
            f"LEFT JOIN story_members m ON m.article_id = v.article_id WHERE {where} "
            "ORDER BY v.article_id", params).to_arrow_table()
        return _rows_and_matrix(tbl)

    def story_first_members(self, story_ids: Sequence[str]) -> dict[str, str]:
        """The first article id (in id order) of each of these stories, from which a story's id is made."""
        out: dict[str, str] = {}
        for chunk in _chunks_of(sorted(set(story_ids)), 512):
            cond, params = in_list("story_id", chunk)
            out.update(self.con.execute(f"SELECT story_id, min(article_id) FROM story_members WHERE {cond} "
                                        "GROUP BY story_id", params).fetchall())
        return out

    def set_stories(self, placed: Sequence[tuple[str, str, str]], moved: dict[str, str],
                    dropped: Sequence[str]) -> None:
        """Write one batch of story linking: `placed` (article, story, reason) rows; `moved` members of merged
        stories to the story they are now in (old id -> new id); `dropped` story records, to be described again."""
        if dropped:
            cond, params = in_list("id", sorted(set(dropped)))
            self.con.execute(f"DELETE FROM stories WHERE {cond}", params)
        if moved:
            moved_tbl = pa.table({"old": pa.array(list(moved), pa.string()),  # noqa: F841
                                  "new": pa.array(list(moved.values()), pa.string())})
            self.con.execute("UPDATE story_members SET story_id = t.new FROM moved_tbl t "
                             "WHERE story_members.story_id = t.old")
        if placed:
            placed_tbl = pa.table({"article_id": pa.array([p[0] for p in placed], pa.string()),  # noqa: F841
                                   "story_id": pa.array([p[1] for p in placed], pa.string()),
                                   "reason": pa.array([p[2] for p in placed], pa.string())})
            self.con.execute("INSERT OR REPLACE INTO story_members SELECT article_id, story_id, reason FROM placed_tbl")

    def broken_stories(self) -> list[str]:
        """Stories that lost an article (deleted since)."""
        return [r[0] for r in self.con.execute(
            "SELECT DISTINCT m.story_id FROM story_members m LEFT JOIN articles a ON a.id = m.article_id "
            "WHERE a.id IS NULL ORDER BY 1").fetchall()]

    def drop_stories(self, story_ids: Sequence[str]) -> list[str]:
        """Remove these stories; returns their articles that still exist, to be linked again."""
        ids = [r[0] for r in self.con.execute(
            "SELECT m.article_id FROM story_members m JOIN articles a ON a.id = m.article_id "
            "WHERE list_contains(?, m.story_id) ORDER BY a.published NULLS LAST, m.article_id",
            [list(story_ids)]).fetchall()]
        self.con.execute("DELETE FROM story_members WHERE list_contains(?, story_id)", [list(story_ids)])
        self.con.execute("DELETE FROM stories WHERE list_contains(?, id)", [list(story_ids)])
        self.con.execute("DELETE FROM article_vectors WHERE article_id NOT IN (SELECT id FROM articles)")
        return ids

    def story_material(self, story_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """What describing these stories needs, in four queries: per story its articles (id, title, start of text,
        published, outlet), their vectors (a matrix, rows in article order), actor and place mention counts, and
        its fused events (id, sources, mentions)."""
        ids = list(story_ids)
        out: dict[str, dict[str, Any]] = {sid: {"articles": [], "entities": [], "events": []} for sid in ids}
        cur = self.con.execute(
            "SELECT m.story_id, a.id, a.title, left(a.text, 300) AS text, a.published, a.outlet FROM story_members m "
            "JOIN articles a ON a.id = m.article_id JOIN article_vectors v ON v.article_id = a.id "
            "WHERE list_contains(?, m.story_id) ORDER BY m.story_id, a.id", [ids])
        names = [d[0] for d in cur.description][1:]
        for r in cur.fetchall():
            out[r[0]]["articles"].append(dict(zip(names, r[1:])))
        tbl = self.con.execute(
            "SELECT v.article_id, v.vector, v.day, v.keys, m.story_id FROM story_members m "
            "JOIN articles a ON a.id = m.article_id JOIN article_vectors v ON v.article_id = m.article_id "
            "WHERE list_contains(?, m.story_id) ORDER BY m.story_id, v.article_id", [ids]).to_arrow_table()
        rows, mat = _rows_and_matrix(tbl)
        for sid in ids:
            idx = [i for i, r in enumerate(rows) if r[3] == sid]
            out[sid]["vectors"] = mat[idx] if idx else np.zeros((0, 0), dtype=np.float32)
        cur = self.con.execute(
            "SELECT m.story_id, x.kind, x.code, x.name, count(*) AS n FROM mentions x "
            "JOIN story_members m ON m.article_id = x.article_id WHERE list_contains(?, m.story_id) "
            "AND x.kind IN ('actor', 'place') AND x.name IS NOT NULL "
            "AND (x.kind = 'place' OR x.country IS NOT NULL OR length(x.code) > 3) GROUP BY ALL "
            "ORDER BY m.story_id, n DESC, x.name", [ids])
        for sid, kind, code, name, n in cur.fetchall():
            out[sid]["entities"].append({"kind": kind, "code": code, "name": name, "n": n})
        cur = self.con.execute(
            "SELECT DISTINCT m.story_id, f.id, f.num_sources, f.num_mentions FROM (SELECT id, num_sources, "
            "num_mentions, unnest(article_ids) AS aid FROM fused_events WHERE listed) f "
            "JOIN story_members m ON m.article_id = f.aid WHERE list_contains(?, m.story_id) ORDER BY 1, 2", [ids])
        for sid, eid, srcs, ments in cur.fetchall():
            out[sid]["events"].append({"id": eid, "num_sources": srcs, "num_mentions": ments})
        return out

    def put_stories(self, recs: Sequence[dict[str, Any]]) -> None:
        if not recs:
            return
        story_tbl = pa.table({  # noqa: F841
            "id": pa.array([r["id"] for r in recs], pa.string()),
            "title": pa.array([r["title"] for r in recs], pa.string()),
            "first_day": pa.array([_d(r["first_day"]) for r in recs], pa.date32()),
            "last_day": pa.array([_d(r["last_day"]) for r in recs], pa.date32()),
            "num_articles": pa.array([r["num_articles"] for r in recs], pa.int32()),
            "num_events": pa.array([r["num_events"] for r in recs], pa.int32()),
            "actors": pa.array([[a["code"].lower() for a in r["actors"]] + [a["name"].lower() for a in r["actors"]]
                                for r in recs], pa.list_(pa.string())),
            "record": pa.array([json.dumps(r, ensure_ascii=False) for r in recs], pa.string())})
        self.con.execute("DELETE FROM stories WHERE id IN (SELECT id FROM story_tbl)")
        self.con.execute("INSERT INTO stories SELECT * FROM story_tbl")

    # -- reading -------------------------------------------------------------------------------------
    def _story_where(self, since: date | None, until: date | None, actor: str | None,
                     query: str | None) -> tuple[str, list[Any]]:
        where, params = ["TRUE"], []
        if since:
            where.append("coalesce(s.last_day, s.first_day) >= ?")
            params.append(since)
        if until:
            where.append("s.first_day <= ?")
            params.append(until)
        if actor:
            where.append("len(list_filter(s.actors, x -> starts_with(x, ?) OR contains(x, ?))) > 0")
            params += [actor.lower(), actor.lower()]
        if query:
            if not self._has_fts():
                where.append("FALSE")
            else:
                where.append("s.id IN (SELECT m.story_id FROM story_members m JOIN (SELECT id, "
                             "fts_main_articles.match_bm25(id, ?) AS score FROM articles) q ON q.id = m.article_id "
                             "WHERE q.score IS NOT NULL)")
                params.append(query)
        return " AND ".join(where), params

    def stories(self, *, since: date | None = None, until: date | None = None, actor: str | None = None,
                query: str | None = None, limit: int | None = 50, offset: int = 0
                ) -> tuple[list[dict[str, Any]], int]:
        """A page of story records (most articles first) and the total."""
        where, params = self._story_where(since, until, actor, query)
        total = self.con.execute(f"SELECT count(*) FROM stories s WHERE {where}", params).fetchone()[0]
        sql = f"SELECT s.record FROM stories s WHERE {where} ORDER BY s.num_articles DESC, s.last_day DESC NULLS LAST, s.id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params = [*params, limit, offset]
        return [json.loads(r[0]) for r in self.con.execute(sql, params).fetchall()], int(total)

    def story(self, id_or_prefix: str) -> dict[str, Any] | None:
        rows = self.con.execute("SELECT record FROM stories WHERE starts_with(id, ?) ORDER BY id LIMIT 2",
                                [id_or_prefix]).fetchall()
        return json.loads(rows[0][0]) if len(rows) == 1 else None

    def story_of(self, article_id: str) -> str | None:
        row = self.con.execute("SELECT story_id FROM story_members WHERE article_id = ?", [article_id]).fetchone()
        return row[0] if row else None

    # -- timelines -----------------------------------------------------------------------------------
    # A selection (the articles a timeline covers) travels as an Arrow table of article ids and is joined, never
    # bound as a list parameter: a list parameter costs a pass over the list for every row it is tested against.
    # The per-article keys of schema version 5 (timeline_candidates, timeline_vectors, actor_names/article_actors) stand in
    # for the mentions and sentences tables, which hold tens of rows per article.
    def timeline_selection(self, *, story: str | None = None, actor: str | None = None, query: str | None = None,
                           since: date | None = None, until: date | None = None, slack_days: int = 2) -> Any:
        """Articles a timeline or brief covers, as an Arrow table with one column `article_id`, sorted: a story's,
        those naming an actor (a code prefix, a part of a name, or an identity), those matching a full-text query
        (all of them when nothing is given), published within since/until (with a little slack after `until`)."""
        where, params = ["n.article_id IS NOT NULL"], []
        if story:
            where.append("a.id IN (SELECT article_id FROM story_members WHERE starts_with(story_id, ?))")
            params.append(story)
        if actor:
            where.append(f"a.id IN (SELECT aa.article_id FROM article_actors aa WHERE aa.key IN ({_ACTOR_KEYS}))")
            params += [actor.lower(), actor.lower(), actor.lower()]
        if query:
            if not self._has_fts():
                return _id_table([])
            where.append("a.id IN (SELECT id FROM (SELECT id, fts_main_articles.match_bm25(id, ?) AS score "
                         "FROM articles) q WHERE q.score IS NOT NULL)")
            params.append(query)
        if since:
            where.append("(a.published IS NULL OR a.published >= ?)")
            params.append(since)
        if until:
            where.append("(a.published IS NULL OR a.published <= ?)")
            params.append(until + timedelta(days=slack_days))
        return self.con.execute(
            "SELECT a.id AS article_id FROM articles a LEFT JOIN annotated n ON n.article_id = a.id "
            f"WHERE a.duplicate_of IS NULL AND {' AND '.join(where)} ORDER BY a.id", params).to_arrow_table()

    def timeline_index_tables(self) -> dict[str, Any]:
        """What `fuse.timeline_index.TimelineIndex` holds, as numpy arrays, with articles numbered in id order and
        days as proleptic ordinals (-1: none): articles (id, published day, eligible: annotated and not a
        duplicate), article_actors (article, key, by key), timeline_candidates (article, day, sentences referring
        to the day), and the listed fused events with their links (article, event)."""
        day = "coalesce(CAST({0} - DATE '0001-01-01' AS INTEGER) + 1, -1)"
        art = ("(SELECT id, CAST(row_number() OVER (ORDER BY id) - 1 AS INTEGER) AS i FROM articles)")
        out: dict[str, Any] = {}
        out["articles"] = self.con.execute(
            f"SELECT a.id, {day.format('a.published')} AS day, (a.duplicate_of IS NULL AND n.article_id IS NOT NULL) "
            "AS eligible FROM articles a LEFT JOIN annotated n ON n.article_id = a.id ORDER BY a.id").fetchnumpy()
        out["actors"] = self.con.execute(
            f"SELECT r.i AS article, aa.key FROM article_actors aa JOIN {art} r ON r.id = aa.article_id "
            "ORDER BY aa.key, r.i").fetchnumpy()
        out["candidates"] = self.con.execute(
            f"SELECT r.i AS article, {day.format('c.day')} AS day, CAST(len(list_filter(c.refers, x -> x)) AS INTEGER) "
            f"AS refers FROM timeline_candidates c JOIN {art} r ON r.id = c.article_id").fetchnumpy()
        out["events"] = self.con.execute(
            f"SELECT id, {day.format('day')} AS day, num_articles, num_sources, coalesce(length(date) = 10, FALSE) "
            "AS precise FROM fused_events WHERE listed ORDER BY id").fetchnumpy()
        out["links"] = self.con.execute(
            f"SELECT DISTINCT r.i AS article, e.i AS event FROM event_links l JOIN {art} r ON r.id = l.article_id "
            "JOIN (SELECT id, CAST(row_number() OVER (ORDER BY id) - 1 AS INTEGER) AS i FROM fused_events "
            "WHERE listed) e ON e.id = l.event_id").fetchnumpy()
        return out

    def selection_keys(self, actor: str) -> list[int]:
        """The actor keys a timeline's `actor` names (a code prefix, a part of a name, or an identity)."""
        return [r[0] for r in self.con.execute(_ACTOR_KEYS, [actor.lower(), actor.lower(), actor.lower()]).fetchall()]

    def selection_articles(self, *, story: str | None = None, actor: str | None = None, query: str | None = None,
                           since: date | None = None, until: date | None = None, slack_days: int = 2) -> list[str]:
        """`timeline_selection` as a list of ids."""
        return self.timeline_selection(story=story, actor=actor, query=query, since=since, until=until,
                                       slack_days=slack_days).column("article_id").to_pylist()

    def date_signals(self, article_ids: Any) -> list[tuple[date, int, int, int]]:
        """For each day: sentences that refer to it (resolved day expressions), articles referring to it, and
        articles published on it, over these articles (a list of ids or a `timeline_selection`)."""
        sel_tbl = _id_table(article_ids)  # noqa: F841
        rows = self.con.execute(
            "WITH refs AS (SELECT day, sum(n) AS s, count(*) AS a FROM (SELECT day, "
            "len(list_filter(refers, x -> x)) AS n FROM timeline_candidates "
            "WHERE article_id IN (SELECT article_id FROM sel_tbl)) WHERE n > 0 GROUP BY 1), "
            "pubs AS (SELECT published AS day, count(*) AS p FROM articles WHERE id IN (SELECT article_id FROM sel_tbl) "
            "AND published IS NOT NULL GROUP BY 1) "
            "SELECT coalesce(r.day, p.day), coalesce(r.s, 0), coalesce(r.a, 0), coalesce(p.p, 0) FROM refs r "
            "FULL JOIN pubs p ON p.day = r.day WHERE coalesce(r.day, p.day) IS NOT NULL ORDER BY 1").fetchall()
        return [(r[0], int(r[1]), int(r[2]), int(r[3])) for r in rows]

    def candidates_without_vectors(self, limit: int) -> list[tuple[str, date, list[int], list[str]]]:
        """Up to `limit` timeline_candidates rows with no vectors yet: (article id, day, sentence indexes, texts),
        by article. The missing keys are found on small columns, then the texts read for their range of ids."""
        todo = self.con.execute(
            "SELECT c.article_id, c.day FROM timeline_candidates c ANTI JOIN timeline_vectors v "
            "ON v.article_id = c.article_id AND v.day = c.day ORDER BY 1, 2 LIMIT ?", [limit]).fetchall()
        if not todo:
            return []
        want = set(todo)
        rows = self.con.execute(
            "SELECT article_id, day, sentences, texts FROM timeline_candidates WHERE article_id BETWEEN ? AND ? "
            "ORDER BY 1, 2", [todo[0][0], todo[-1][0]]).fetchall()
        return [(a, d, idx, texts) for a, d, idx, texts in rows if (a, d) in want]

    def put_timeline_vectors(self, rows: Sequence[tuple[str, date, list[int], Any]]) -> None:
        """Store (article id, day, word counts, float matrix one row a sentence), the matrix as float16 bytes."""
        if not rows:
            return
        tv_tbl = pa.table({  # noqa: F841
            "article_id": pa.array([r[0] for r in rows], pa.string()),
            "day": pa.array([r[1] for r in rows], pa.date32()),
            "words": pa.array([list(r[2]) for r in rows], pa.list_(pa.int32())),
            "vectors": pa.array([np.ascontiguousarray(r[3], dtype=np.float16).tobytes() for r in rows], pa.binary())})
        self.con.execute("INSERT INTO timeline_vectors SELECT article_id, day, words, vectors FROM tv_tbl")

    def cluster_timeline(self, share: float = CLUSTER_SHARE, min_rows: int = CLUSTER_MIN_ROWS) -> dict[str, Any]:
        """Rewrite `timeline_candidates` and `timeline_vectors` in day order (then article) when the rows added since
        the last rewrite are at least `share` of the table and `min_rows`; returns what was done. One transaction
        of its own (call it outside one), then a checkpoint; the tables' content is unchanged. The rewrite is
        linear in the tables and comes after the table has grown by `share`, so its cost per row added stays
        bounded as the store grows."""
        total = self.con.execute("SELECT count(*) FROM timeline_candidates").fetchone()[0]
        row = self.con.execute("SELECT value FROM meta WHERE key = 'timeline_clustered_rows'").fetchone()
        added = total - min(int(row[0]) if row else 0, total)
        if not total or added < max(min_rows, share * total):
            return {"clustered": False, "rows": total, "added": added}
        t0 = time.perf_counter()
        with self.transaction():
            for table in TIMELINE_TABLES:
                for sql in rewrite_by_day(table):
                    self.con.execute(sql)
            self.con.execute(CLUSTERED_ROWS)
        self.con.execute("CHECKPOINT")  # the renamed tables into the file, not left to the write-ahead log
        return {"clustered": True, "rows": total, "added": added, "seconds": round(time.perf_counter() - t0, 3)}

    def _beside(self, sql: str, params: list[Any], **tables: Any) -> Callable[[], Any]:
        """Start a query (its result as Arrow) on a cursor of its own in a thread, while this connection runs
        another (DuckDB lets go of Python's lock while it works); returns a function that waits for the result.
        Inside a transaction the query runs here and now instead: another cursor would not see its writes."""
        if self._tx:
            table = self.con.execute(sql, params).to_arrow_table()
            return lambda: table
        cur = self.con.cursor()
        for name, t in tables.items():
            cur.register(name, t)
        done: dict[str, Any] = {}

        def run() -> None:
            try:
                done["table"] = cur.execute(sql, params).to_arrow_table()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                done["error"] = exc
            finally:
                cur.close()

        thread = threading.Thread(target=run, name="sitrep-store-beside", daemon=True)
        thread.start()

        def result() -> Any:
            thread.join()
            if "error" in done:
                raise done["error"]
            return done["table"]
        return result

    def timeline_material(self, article_ids: Any, days: Sequence[date]) -> "TimelineCandidates":
        """What a timeline reads to summarise these days from these articles: their candidate sentences (those with
        an expression resolved to the day, and the first five of articles published that day), with their stored
        vectors and word counts, as columns (`TimelineCandidates`).

        Two scans per chunk of days, one of `timeline_candidates` and one of `timeline_vectors` (beside it, see
        `_beside`), each a branch a day, read as Arrow."""
        sel_tbl = _id_table(article_ids)  # noqa: F841
        parts = []
        for chunk in _chunks_of(list(days), DAY_CHUNK):
            vrows, vp = _by_day("timeline_vectors", "article_id, day, words, vectors", chunk)
            vectors = self._beside(f"SELECT * FROM ({vrows}) WHERE article_id IN (SELECT article_id FROM sel_tbl)",
                                   vp, sel_tbl=sel_tbl)
            crows, cp = _by_day("timeline_candidates", "day, article_id, sentences, refers, texts", chunk)
            cand = self.con.execute(f"SELECT * FROM ({crows}) WHERE article_id IN (SELECT article_id FROM sel_tbl) "
                                    "ORDER BY day, article_id", cp).to_arrow_table()
            parts.append((cand, vectors()))
        return TimelineCandidates.from_arrow(parts)

    def selection_events(self, article_ids: Any) -> Any:
        """The listed fused events one of these articles reports (through their links), as an Arrow table (id, day,
        num_articles, num_sources, precise: dated to the day): read once, then `fused_days` and `fused_on_days`
        work on it."""
        sel_tbl = _id_table(article_ids)  # noqa: F841
        return self.con.execute(
            "SELECT id, day, num_articles, num_sources, length(date) = 10 AS precise FROM fused_events "
            "WHERE listed AND id IN (SELECT DISTINCT event_id FROM event_links "
            "WHERE article_id IN (SELECT article_id FROM sel_tbl))").to_arrow_table()

    def fused_on_days(self, article_ids: Any, days: Sequence[date], events: Any = None) -> dict[date, list[str]]:
        """Listed fused events on each of these days reported by one of these articles, most sources first
        (`events`: their `selection_events`, when already read)."""
        ev_tbl = events if events is not None else self.selection_events(article_ids)  # noqa: F841
        day_tbl = pa.table({"day": pa.array(list(days), pa.date32())})  # noqa: F841
        out: dict[date, list[str]] = {d: [] for d in days}
        for day, eid in self.con.execute(
                "SELECT day, id FROM ev_tbl WHERE day IN (SELECT day FROM day_tbl) "
                "ORDER BY day, num_sources DESC, id").fetchall():
            out[day].append(eid)
        return out

    def fused_on_day(self, article_ids: Any, day: date) -> list[str]:
        return self.fused_on_days(article_ids, [day])[day]

    def fused_days(self, article_ids: Any, events: Any = None) -> list[tuple[date, int]]:
        """Days of fused events (day precision) over these articles, with the articles reporting them."""
        ev_tbl = events if events is not None else self.selection_events(article_ids)  # noqa: F841
        return [(r[0], int(r[1])) for r in self.con.execute(
            "SELECT day, sum(num_articles) FROM ev_tbl WHERE precise GROUP BY 1").fetchall()]

    def articles_by_ids(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        cur = self.con.execute("SELECT id, title, outlet, published, source, url FROM articles "
                               "WHERE list_contains(?, id) ORDER BY id", [list(ids)])
        names = [d[0] for d in cur.description]
        return [{k: (v.isoformat() if isinstance(v, date) else v) for k, v in zip(names, r)} for r in cur.fetchall()]

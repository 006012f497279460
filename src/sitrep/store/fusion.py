"""Store queries for event fusion: candidates for a new mention, the blocks fusion rebuilds, and reading fused
events with their evidence. Mixed into `Store`; all SQL for `fused_events` and `event_links` lives here."""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

import pyarrow as pa

from .events import EventFilter, in_list, in_values


_FUSED = ("id", "block", "event", "mode", "quad", "date", "day", "negated", "modality", "confidence", "actor_codes",
          "actor_names", "recipient_codes", "recipient_names", "countries", "outlets", "article_ids", "num_mentions",
          "num_articles", "num_sources", "first_reported", "has_conflicts", "listed", "record")
_FUSED_ARROW = {name: pa.string() for name in _FUSED}
_FUSED_ARROW.update({"quad": pa.int8(), "day": pa.date32(), "negated": pa.bool_(), "confidence": pa.float64(),
                     "num_mentions": pa.int32(), "num_articles": pa.int32(), "num_sources": pa.int32(),
                     "first_reported": pa.date32(), "has_conflicts": pa.bool_(), "listed": pa.bool_(),
                     **{k: pa.list_(pa.string()) for k in ("actor_codes", "actor_names", "recipient_codes",
                                                            "recipient_names", "countries", "outlets",
                                                            "article_ids")}})
_LINKS = ("mention_id", "event_id", "block", "article_id", "fingerprint", "type_group", "day_lo", "day_hi",
          "actor_roots", "identity", "reason")
_LINK_ARROW = {name: pa.string() for name in _LINKS}
_LINK_ARROW.update({"day_lo": pa.date32(), "day_hi": pa.date32(), "actor_roots": pa.list_(pa.string())})


class FusionQueries:
    con: Any
    _event_where: Any  # EventQueries provides it

    # -- what fusion has to do -----------------------------------------------------------------------
    def stale_fusion_blocks(self) -> list[str]:
        """Blocks holding a mention that is gone or changed since it was fused (a recode, a deleted article)."""
        return [r[0] for r in self.con.execute(
            "SELECT DISTINCT l.block FROM event_links l LEFT JOIN events e ON e.id = l.mention_id "
            "WHERE e.id IS NULL OR md5(e.record::VARCHAR) <> l.fingerprint ORDER BY 1").fetchall()]

    def unfused_articles(self) -> list[str]:
        """Articles with coded mentions not yet fused, oldest publication first."""
        return [a for a, _ in self.unfused_article_counts()]

    def unfused_article_counts(self) -> list[tuple[str, int]]:
        """(article, mentions not yet fused) for articles with coded mentions not yet fused, oldest publication
        first."""
        return [(r[0], int(r[1])) for r in self.con.execute(
            "SELECT e.article_id, count(*) FROM events e LEFT JOIN event_links l ON l.mention_id = e.id "
            "JOIN articles a ON a.id = e.article_id WHERE l.mention_id IS NULL "
            "GROUP BY e.article_id, a.published ORDER BY a.published NULLS LAST, e.article_id").fetchall()]

    def mentions_for_fusion(self, article_ids: Sequence[str]) -> list[tuple[dict[str, Any], str, str | None,
                                                                            date | None, str]]:
        """(record, article id, outlet, published, fingerprint) of the coded mentions of these articles."""
        where, params = in_list("e.article_id", list(dict.fromkeys(article_ids)))
        rows = self.con.execute(
            "SELECT e.record, e.article_id, a.outlet, a.published, md5(e.record::VARCHAR) FROM events e "
            f"JOIN articles a ON a.id = e.article_id WHERE {where} ORDER BY e.id", params).fetchall()
        return [(json.loads(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    def _links_with_records(self, column: str, values: Sequence[str], extra: str) -> list[tuple[Any, ...]]:
        """Links whose `column` is one of `values`, with their mention records: the links first (small columns),
        then the records by mention id, then the articles' outlet and date by article id, so the records of other
        mentions and the other articles are never read. Links and articles are found with `in_values`; joining
        the records with the articles cost five times the two lookups at a million events."""
        where, params = in_values(f"l.{column}", values)
        links = self.con.execute(f"SELECT l.mention_id, {extra} FROM event_links l WHERE {where}", params).fetchall()
        if not links:
            return []
        extra_of = {r[0]: r[1:] for r in links}
        w, p = in_list("e.id", list(extra_of))
        rows = self.con.execute(f"SELECT e.id, e.record, e.article_id FROM events e WHERE {w} ORDER BY e.id",
                                p).fetchall()
        w, p = in_values("id", sorted({r[2] for r in rows}))
        art = {a: (outlet, pub) for a, outlet, pub in self.con.execute(
            f"SELECT id, outlet, published FROM articles WHERE {w}", p).fetchall()}
        return [(json.loads(r[1]), r[2], *art[r[2]], *extra_of[r[0]]) for r in rows if r[2] in art]

    def block_members(self, blocks: Sequence[str]) -> list[tuple[dict[str, Any], str, str | None, date | None,
                                                                  str, str]]:
        """The mentions of these fusion blocks, as `mentions_for_fusion` gives them (the fingerprint is the one
        kept when they were fused: the blocks whose mentions changed are rebuilt before), plus the block."""
        if not blocks:
            return []
        return self._links_with_records("block", blocks, "l.fingerprint, l.block")

    def fusion_candidate_mentions(self, keys: Iterable[dict[str, Any]]) -> list[tuple[str, str, str]]:
        """(mention id, fused event id, block) of the fused mentions that may report the same event as one of these
        mention keys: what `fusion_candidate_blocks` finds, mention by mention."""
        return sorted(set(self._candidate_links(keys, None, "l.mention_id, l.event_id, l.block")))

    def blocks_last_report(self, blocks: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        """The latest member of each block in fusion's order (publication, article, trigger position, id): a block
        whose latest member comes before every new mention can take them without re-clustering."""
        if not blocks:
            return {}
        bl_tbl = pa.table({"block": pa.array(list(blocks), pa.string())})  # noqa: F841
        rows = self.con.execute(
            "SELECT l.block, max(struct_pack(p := coalesce(a.published, DATE '9999-12-31'), a := l.article_id, "
            "s := e.trigger_start, i := l.mention_id)) FROM event_links l JOIN events e ON e.id = l.mention_id "
            "JOIN articles a ON a.id = l.article_id WHERE l.block IN (SELECT block FROM bl_tbl) GROUP BY 1").fetchall()
        return {b: (k["p"], k["a"], k["s"], k["i"]) for b, k in rows}

    def event_members(self, event_ids: Sequence[str]) -> list[tuple[dict[str, Any], str, str | None, date | None,
                                                                    str, str, str, str]]:
        """The mentions of these fused events as `block_members` gives them, plus the event and the merge reason."""
        if not event_ids:
            return []
        return self._links_with_records("event_id", event_ids, "l.fingerprint, l.block, l.event_id, l.reason")

    def rename_fusion_blocks(self, renames: dict[str, str]) -> None:
        """Blocks merged into a larger one take its id (their events and links are otherwise unchanged)."""
        if not renames:
            return
        ren_tbl = pa.table({"old": pa.array(sorted(renames), pa.string()),  # noqa: F841
                            "new": pa.array([renames[k] for k in sorted(renames)], pa.string())})
        for table in ("fused_events", "event_links"):  # one statement a table: a statement a rename scanned it each time
            self.con.execute(f"UPDATE {table} SET block = r.new FROM ren_tbl r WHERE {table}.block = r.old")

    def drop_fused_events(self, event_ids: Sequence[str]) -> None:
        """Remove these fused events and their links (inside the caller's transaction)."""
        if event_ids:
            ids = list(dict.fromkeys(event_ids))
            for table, col in (("fused_events", "id"), ("event_links", "event_id")):
                where, params = in_list(col, ids)
                self.con.execute(f"DELETE FROM {table} WHERE {where}", params)

    def _candidate_links(self, keys: Iterable[dict[str, Any]], article_id: str | None, cols: str) -> list[Any]:
        ks = [k if k.get("article_id") else {**k, "article_id": article_id} for k in keys]
        if not ks:
            return []
        found: list[Any] = []
        fk_art = pa.table({  # noqa: F841
            "article_id": pa.array([k["article_id"] for k in ks], pa.string()),
            "type_group": pa.array([k["type_group"] for k in ks], pa.string())})
        found += self.con.execute(
            f"SELECT DISTINCT {cols} FROM event_links l JOIN (SELECT DISTINCT article_id, type_group FROM fk_art) k "
            "ON l.article_id = k.article_id AND l.type_group = k.type_group").fetchall()
        idk = [k for k in ks if k.get("identity")]
        if idk:
            fk_ident = pa.table({"identity": pa.array([k["identity"] for k in idk], pa.string()),  # noqa: F841
                                 "type_group": pa.array([k["type_group"] for k in idk], pa.string())})
            found += self.con.execute(
                f"SELECT DISTINCT {cols} FROM event_links l JOIN (SELECT DISTINCT identity, type_group FROM fk_ident) k "
                "ON l.identity = k.identity AND l.type_group = k.type_group").fetchall()
        rooted = [(k, root) for k in ks for root in k["actor_roots"]]
        if rooted:
            fk_root = pa.table({  # noqa: F841
                "type_group": pa.array([k["type_group"] for k, _ in rooted], pa.string()),
                "root": pa.array([root for _, root in rooted], pa.string()),
                "day_lo": pa.array([k["day_lo"] for k, _ in rooted], pa.date32()),
                "day_hi": pa.array([k["day_hi"] for k, _ in rooted], pa.date32())})
            found += self.con.execute(
                "WITH k AS (SELECT DISTINCT type_group, root, day_lo, day_hi FROM fk_root), "
                "l AS (SELECT mention_id, event_id, block, type_group, unnest(actor_roots) AS root, day_lo, day_hi "
                "FROM event_links WHERE len(actor_roots) > 0) "
                f"SELECT DISTINCT {cols} FROM l JOIN k ON l.type_group = k.type_group AND l.root = k.root "
                "WHERE l.day_lo IS NULL OR k.day_lo IS NULL OR (l.day_lo <= k.day_hi AND l.day_hi >= k.day_lo)"
            ).fetchall()
        return found

    def fusion_candidate_blocks(self, keys: Iterable[dict[str, Any]], article_id: str | None = None) -> set[str]:
        """Blocks holding a fused mention that may report the same event as one of these mention keys (a superset:
        fusion applies the exact rules). Same type group, and: the same article, the same once-only identity, or
        a shared actor root with overlapping date windows (or no date). Each key names its article (`article_id`,
        else the argument), so one call serves a batch of articles: three joins against Arrow tables of the
        keys, on equal keys, rather than a pass over every link for every key."""
        return {r[0] for r in self._candidate_links(keys, article_id, "l.block")}

    def drop_fusion_blocks(self, blocks: Sequence[str]) -> None:
        if blocks:
            where, params = in_list("block", list(dict.fromkeys(blocks)))
            self.con.execute(f"DELETE FROM fused_events WHERE {where}", params)
            self.con.execute(f"DELETE FROM event_links WHERE {where}", params)

    def drop_all_fusion(self) -> None:
        self.con.execute("DELETE FROM fused_events")
        self.con.execute("DELETE FROM event_links")

    def put_fused(self, events: Sequence[tuple[str, dict[str, Any]]], links: Sequence[dict[str, Any]]) -> None:
        """Write fused events (block, record) and the links of their mentions (inside the caller's transaction).
        Rows go in as Arrow tables: DuckDB's executemany costs a module lookup per parameter."""
        if events:
            rows = [_fused_row(block, rec) for block, rec in events]
            fused_tbl = pa.table([pa.array(col, type=_FUSED_ARROW[name]) for name, col in zip(_FUSED, zip(*rows))],  # noqa: F841
                                 names=list(_FUSED))
            self.con.execute(f"INSERT INTO fused_events ({', '.join(_FUSED)}) SELECT {', '.join(_FUSED)} FROM fused_tbl")
        if links:
            link_tbl = pa.table([pa.array([k[c] for k in links], type=_LINK_ARROW[c]) for c in _LINKS],  # noqa: F841
                                names=list(_LINKS))
            self.con.execute(f"INSERT INTO event_links ({', '.join(_LINKS)}) SELECT {', '.join(_LINKS)} FROM link_tbl")

    # -- reading fused events ------------------------------------------------------------------------
    def iter_fused(self, f: EventFilter = EventFilter(), limit: int | None = None, offset: int = 0,
                   order: str = "date", batch: int = 1000) -> Iterator[dict[str, Any]]:
        """Fused event records matching `f`: by date, newest first with `order="latest"`, or by number of sources
        with `order="reported"`. A page (`limit`) is chosen before its stories are looked up, so the story join
        reads the page's rows, not every matching event."""
        where, params = self._event_where(f, fused=True)
        by = {"reported": "num_sources DESC, num_mentions DESC, day NULLS LAST, id",
              "latest": "day DESC NULLS LAST, first_reported DESC NULLS LAST, id"}.get(
            order, "day NULLS LAST, first_reported NULLS LAST, id")
        if limit is not None:
            sql = (f"SELECT p.record, s.story_id FROM (SELECT e.id, e.record, e.article_ids[1] AS first_article, "
                   f"e.num_sources, e.num_mentions, e.day, e.first_reported FROM fused_events e WHERE {where} "
                   f"ORDER BY {by} LIMIT ? OFFSET ?) p LEFT JOIN story_members s ON s.article_id = p.first_article "
                   f"ORDER BY {', '.join('p.' + c for c in by.split(', '))}")
            params += [limit, offset]
        else:
            sql = (f"SELECT e.record, s.story_id FROM fused_events e LEFT JOIN story_members s "
                   f"ON s.article_id = e.article_ids[1] WHERE {where} ORDER BY {', '.join('e.' + c for c in by.split(', '))}")
        cur = self.con.execute(sql, params)
        while rows := cur.fetchmany(batch):
            for rec, story in rows:
                yield _with_story(rec, story)

    def count_fused(self, f: EventFilter = EventFilter()) -> int:
        where, params = self._event_where(f, fused=True)
        return int(self.con.execute(f"SELECT count(*) FROM fused_events e WHERE {where}", params).fetchone()[0])

    def fused_event(self, id_or_prefix: str) -> dict[str, Any] | None:
        """A fused event by its id or a unique prefix, or by the id (or a unique prefix) of one of its mentions.
        Ids are found first (small columns, a whole id through the primary key: ids all have 16 digits, so a whole
        id is never the prefix of another), then the one record is read."""
        ids = [r[0] for r in self.con.execute("SELECT id FROM fused_events WHERE id = ?", [id_or_prefix]).fetchall()]
        if not ids:
            ids = [r[0] for r in self.con.execute(
                "SELECT id FROM fused_events WHERE starts_with(id, ?) ORDER BY id LIMIT 2", [id_or_prefix]).fetchall()]
        if not ids:
            ids = [r[0] for r in self.con.execute(
                "SELECT event_id FROM event_links WHERE mention_id = ?", [id_or_prefix]).fetchall()]
        if not ids:
            ids = [r[0] for r in self.con.execute(
                "SELECT event_id FROM event_links WHERE starts_with(mention_id, ?) ORDER BY mention_id LIMIT 2",
                [id_or_prefix]).fetchall()]
        if len(ids) != 1:
            return None
        rows = self.con.execute(
            "SELECT p.record, s.story_id FROM (SELECT record, article_ids[1] AS first_article FROM fused_events "
            "WHERE id = ?) p LEFT JOIN story_members s ON s.article_id = p.first_article", [ids[0]]).fetchall()
        return _with_story(*rows[0]) if rows else None

    def fused_for_articles(self, article_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Listed fused events reported by any of these articles (through their links, not a list parameter)."""
        ff_tbl = pa.table({"article_id": pa.array(list(article_ids), pa.string())})  # noqa: F841
        rows = self.con.execute(
            "SELECT p.record, s.story_id FROM (SELECT e.id, e.day, e.record, e.article_ids[1] AS first_article "
            "FROM fused_events e WHERE e.listed AND e.id IN (SELECT event_id FROM event_links "
            "WHERE article_id IN (SELECT article_id FROM ff_tbl))) p LEFT JOIN story_members s "
            "ON s.article_id = p.first_article ORDER BY p.day NULLS LAST, p.id").fetchall()
        return [_with_story(*r) for r in rows]

    def fusion_stats(self) -> dict[str, Any]:
        row = self.con.execute(
            "SELECT count(*) FILTER (WHERE listed), count(*) FILTER (WHERE listed AND num_articles > 1), "
            "count(*) FILTER (WHERE listed AND has_conflicts), coalesce(max(num_articles), 0) FROM fused_events"
        ).fetchone()
        return {"events": row[0], "multi_article": row[1], "with_conflicts": row[2], "max_articles": row[3]}


def _with_story(rec: str, story: str | None) -> dict[str, Any]:
    out = json.loads(rec)
    out["story_id"] = story
    return out


def _date(v: str | None) -> date | None:
    return date.fromisoformat(v) if v else None


def _fused_row(block: str, rec: dict[str, Any]) -> list[Any]:
    from .events import _day
    actors, recips = rec["actor"], rec["recipient"]
    countries = sorted({p["country"] for p in actors + recips if p.get("country")})
    outlets = sorted({(e.get("outlet") or "").lower() for e in rec["evidence"] if e.get("outlet")})
    articles = list(dict.fromkeys(e["doc_id"] for e in rec["evidence"]))
    listed = bool(rec.pop("listed", True))
    return [rec["id"], block, rec["event"], rec["mode"], rec["quad"], rec["date"], _day(rec["date"]), rec["negated"],
            rec["modality"], rec["confidence"], [p["code"].lower() for p in actors],
            [p["name"].lower() for p in actors], [p["code"].lower() for p in recips],
            [p["name"].lower() for p in recips], countries, outlets, articles, rec["num_mentions"],
            rec["num_articles"], rec["num_sources"], _date(rec["first_reported"]), bool(rec["conflicts"]), listed,
            json.dumps(rec, ensure_ascii=False)]

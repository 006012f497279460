"""Store queries for event fusion: candidates for a new mention, the blocks fusion rebuilds, and reading fused
events with their evidence. Mixed into `Store`; all SQL for `fused_events` and `event_links` lives here."""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

import pyarrow as pa

from .events import EventFilter


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
        return [r[0] for r in self.con.execute(
            "SELECT e.article_id FROM events e LEFT JOIN event_links l ON l.mention_id = e.id "
            "JOIN articles a ON a.id = e.article_id WHERE l.mention_id IS NULL "
            "GROUP BY e.article_id, a.published ORDER BY a.published NULLS LAST, e.article_id").fetchall()]

    def _mention_rows(self, where: str, params: list[Any]) -> list[tuple[dict[str, Any], str, str | None,
                                                                        date | None, str]]:
        rows = self.con.execute(
            "SELECT e.record, e.article_id, a.outlet, a.published, md5(e.record::VARCHAR) FROM events e "
            f"JOIN articles a ON a.id = e.article_id WHERE {where} ORDER BY e.id", params).fetchall()
        return [(json.loads(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    def mentions_for_fusion(self, article_ids: Sequence[str]) -> list[tuple[dict[str, Any], str, str | None,
                                                                            date | None, str]]:
        """(record, article id, outlet, published, fingerprint) of the coded mentions of these articles."""
        return self._mention_rows("list_contains(?, e.article_id)", [list(article_ids)])

    def block_members(self, blocks: Sequence[str]) -> list[tuple[dict[str, Any], str, str | None, date | None,
                                                                  str, str]]:
        """The mentions of these fusion blocks, as `mentions_for_fusion` gives them, plus the block."""
        rows = self.con.execute(
            "SELECT e.record, e.article_id, a.outlet, a.published, md5(e.record::VARCHAR), l.block FROM event_links l "
            "JOIN events e ON e.id = l.mention_id JOIN articles a ON a.id = e.article_id "
            "WHERE list_contains(?, l.block) ORDER BY e.id", [list(blocks)]).fetchall()
        return [(json.loads(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]

    def fusion_candidate_blocks(self, keys: Iterable[dict[str, Any]], article_id: str) -> set[str]:
        """Blocks holding a fused mention that may report the same event as one of these mention keys (a superset:
        fusion applies the exact rules). Same type group, and: the same article, the same once-only identity, or
        a shared actor with overlapping date windows (or no date). One query for all the keys."""
        ks = list(keys)
        if not ks:
            return set()
        keys_tbl = pa.table({  # noqa: F841
            "type_group": pa.array([k["type_group"] for k in ks], pa.string()),
            "identity": pa.array([k["identity"] for k in ks], pa.string()),
            "actor_roots": pa.array([list(k["actor_roots"]) for k in ks], pa.list_(pa.string())),
            "day_lo": pa.array([k["day_lo"] for k in ks], pa.date32()),
            "day_hi": pa.array([k["day_hi"] for k in ks], pa.date32())})
        rows = self.con.execute(
            "SELECT DISTINCT l.block FROM keys_tbl k JOIN event_links l ON l.type_group = k.type_group "
            "WHERE l.article_id = ? OR (l.identity IS NOT NULL AND l.identity = k.identity) "
            "OR (list_has_any(l.actor_roots, k.actor_roots) AND (l.day_lo IS NULL OR k.day_lo IS NULL "
            "OR (l.day_lo <= k.day_hi AND l.day_hi >= k.day_lo)))", [article_id]).fetchall()
        return {r[0] for r in rows}

    def drop_fusion_blocks(self, blocks: Sequence[str]) -> None:
        if blocks:
            self.con.execute("DELETE FROM fused_events WHERE list_contains(?, block)", [list(blocks)])
            self.con.execute("DELETE FROM event_links WHERE list_contains(?, block)", [list(blocks)])

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
        with `order="reported"`."""
        where, params = self._event_where(f, fused=True)
        by = {"reported": "e.num_sources DESC, e.num_mentions DESC, e.day NULLS LAST, e.id",
              "latest": "e.day DESC NULLS LAST, e.first_reported DESC NULLS LAST, e.id"}.get(
            order, "e.day NULLS LAST, e.first_reported NULLS LAST, e.id")
        sql = (f"SELECT e.record, s.story_id FROM fused_events e LEFT JOIN story_members s "
               f"ON s.article_id = e.article_ids[1] WHERE {where} ORDER BY {by}")
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        cur = self.con.execute(sql, params)
        while rows := cur.fetchmany(batch):
            for rec, story in rows:
                yield _with_story(rec, story)

    def count_fused(self, f: EventFilter = EventFilter()) -> int:
        where, params = self._event_where(f, fused=True)
        return int(self.con.execute(f"SELECT count(*) FROM fused_events e WHERE {where}", params).fetchone()[0])

    def fused_event(self, id_or_prefix: str) -> dict[str, Any] | None:
        """A fused event by its id or a unique prefix, or by the id of one of its mentions."""
        rows = self.con.execute(
            "SELECT e.record, s.story_id FROM fused_events e LEFT JOIN story_members s "
            "ON s.article_id = e.article_ids[1] WHERE starts_with(e.id, ?) ORDER BY e.id LIMIT 2",
            [id_or_prefix]).fetchall()
        if not rows:
            rows = self.con.execute(
                "SELECT e.record, s.story_id FROM event_links l JOIN fused_events e ON e.id = l.event_id "
                "LEFT JOIN story_members s ON s.article_id = e.article_ids[1] "
                "WHERE starts_with(l.mention_id, ?) ORDER BY l.mention_id LIMIT 2", [id_or_prefix]).fetchall()
        if len(rows) != 1:
            return None
        return _with_story(*rows[0])

    def fused_for_articles(self, article_ids: Sequence[str]) -> list[dict[str, Any]]:
        rows = self.con.execute(
            "SELECT e.record, s.story_id FROM fused_events e LEFT JOIN story_members s "
            "ON s.article_id = e.article_ids[1] WHERE e.listed AND list_has_any(e.article_ids, ?) "
            "ORDER BY e.day NULLS LAST, e.id", [list(article_ids)]).fetchall()
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

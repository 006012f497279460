"""The DuckDB store: connection, migrations and every query sitrep runs. The only SQL in the project.

All values travel as bound parameters; identifiers never come from user input.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from ..model import Article, Reject
from .events import EventQueries, in_list
from .fusion import FusionQueries
from .language import LanguageQueries
from .schema import MIGRATIONS
from .stories import StoryQueries

DEFAULT_DB = "sitrep.duckdb"
INDEX_SCAN_MAX = 50_000

ARTICLE_EXPORT_COLUMNS = (
    "id", "source", "locator", "fmt", "url", "title", "author", "outlet", "published", "date_source",
    "date_note", "language", "language_score", "skip_reason", "duplicate_of", "similarity", "text",
    "raw_text", "removed",
)
ARTICLE_LIST_COLUMNS = ("id", "published", "outlet", "title", "language", "duplicate_of", "source", "n_chars")


class StoreError(Exception):
    """A problem with the store that the user can act on (missing file, locked, newer schema)."""


class NotFound(StoreError):
    pass


class Ambiguous(StoreError):
    pass


def default_db_path() -> str:
    return os.environ.get("SITREP_DB") or DEFAULT_DB


def _fts_extension() -> str:
    import duckdb_extension_fts

    base = resources.files(duckdb_extension_fts)
    found = sorted(Path(str(base)).rglob("fts.duckdb_extension"))
    if not found:
        raise StoreError("the full-text search extension file is missing from duckdb-extension-fts")
    return str(found[0])


class Store(LanguageQueries, EventQueries, FusionQueries, StoryQueries):
    """One open DuckDB database. Use as a context manager; writers hold the file exclusively."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, read_only: bool = False,
                 lock_timeout: float = 0.0, share: "Store | None" = None) -> None:
        """Open the database at `path`, waiting up to `lock_timeout` seconds while another process holds it. With
        `share` (an open read-only store of the same file), a cursor of its connection instead: no file is
        opened, and the database's cache is shared (the API server's warm connection, `store.pool`)."""
        self.path = str(path or default_db_path())
        self.read_only = read_only
        self._tx = False  # an explicit transaction is open (begin .. commit / rollback)
        self._fts_marked = False  # the open transaction has flagged the full-text index stale
        if share is not None:
            if not (read_only and share.read_only):
                raise StoreError("only read-only stores share a connection")
            self.con = share.con.cursor()
            self._loaded = share._loaded  # extensions load once per database, not per cursor
            self.con.execute(f"SET index_scan_max_count = {INDEX_SCAN_MAX}")
            return
        if read_only and not Path(self.path).exists():
            raise StoreError(f"no sitrep database at {self.path} (run `sitrep ingest` first, or pass --db)")
        self.con = self._connect(read_only, lock_timeout)
        self._loaded: dict[str, bool] = {"fts": False}
        # Look up a few thousand rows of a large table through its index (ids IN a list of bound values) rather
        # than scanning it: DuckDB's default switches to a scan above 2,048 rows or 0.1% of the table.
        self.con.execute(f"SET index_scan_max_count = {INDEX_SCAN_MAX}")
        if not read_only:
            self.load_fts()  # a writer may rebuild the index
        if read_only:
            self._check_version()
        else:
            self.migrate()

    def _connect(self, read_only: bool, lock_timeout: float) -> duckdb.DuckDBPyConnection:
        """The connection, retried while another process holds the file. A writer that finds the file held by a
        sitrep server's warm connection (`store.pool`) says it is waiting, and waits at least
        `pool.SERVER_LETS_GO` seconds for the server to let go."""
        from . import pool

        deadline = time.monotonic() + lock_timeout
        waiting = None
        try:
            while True:
                try:
                    return duckdb.connect(self.path, read_only=read_only, config={
                        "autoload_known_extensions": False, "autoinstall_known_extensions": False})
                except duckdb.IOException as exc:
                    if "lock" not in str(exc).lower():
                        raise StoreError(f"cannot open database {self.path}: {exc}") from exc
                    if waiting is None and not read_only and pool.served(self.path):
                        waiting = pool.want_write(self.path)
                        deadline = max(deadline, time.monotonic() + pool.SERVER_LETS_GO)
                    if time.monotonic() >= deadline:
                        raise StoreError(f"the database {self.path} is in use by another sitrep process") from exc
                    time.sleep(0.1 if waiting else 0.2)
        finally:
            if waiting is not None:
                waiting.unlink(missing_ok=True)

    # -- lifecycle --------------------------------------------------------------------------
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.begin()
        try:
            yield
        except BaseException:
            self.rollback()
            raise
        self.commit()

    def begin(self) -> None:
        self.con.execute("BEGIN TRANSACTION")
        self._tx, self._fts_marked = True, False

    def commit(self) -> None:
        self.con.execute("COMMIT")
        self._tx, self._fts_marked = False, False

    def rollback(self) -> None:
        """Roll back the open transaction; nothing when none is open (a failure between a commit and the next
        begin keeps its own error)."""
        if self._tx:
            self.con.execute("ROLLBACK")
        self._tx, self._fts_marked = False, False

    # -- schema -----------------------------------------------------------------------------
    def schema_version(self) -> int:
        exists = self.con.execute(  # duckdb_tables(): information_schema costs twice as much, on every open
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations'"
        ).fetchone()[0]
        if not exists:
            return 0
        return self.con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]

    def _check_version(self) -> None:
        have, latest = self.schema_version(), MIGRATIONS[-1][0]
        if have > latest:
            raise StoreError(f"{self.path} has schema version {have}, newer than this sitrep ({latest}); upgrade sitrep")
        if have < latest:
            raise StoreError(f"{self.path} has schema version {have}; open it once for writing (e.g. `sitrep ingest`) to upgrade")

    def migrate(self) -> list[int]:
        """Apply pending migrations in order, each in its own transaction. Returns the versions applied."""
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
            " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
        )
        have = self.schema_version()
        if have > MIGRATIONS[-1][0]:
            raise StoreError(f"{self.path} has schema version {have}, newer than this sitrep; upgrade sitrep")
        applied = []
        for version, name, statements in MIGRATIONS:
            if version <= have:
                continue
            with self.transaction():
                for sql in statements:
                    self.con.execute(sql)
                self.con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
            applied.append(version)
        if applied:
            # Write the new schema into the file now: DuckDB 1.5.5 cannot replay an ALTER TABLE ... ADD COLUMN from
            # the write-ahead log ("GetDefaultDatabase with no default database set"), so a store killed before its
            # first checkpoint would not open again (tests/test_crash.py)
            self.con.execute("CHECKPOINT")
        return applied

    # -- runs -------------------------------------------------------------------------------
    def start_run(self, command: str) -> int:
        # max()+1 rather than a sequence: a sequence's value was seen to restart after a kill -9 and WAL replay
        row = self.con.execute("INSERT INTO runs (id, command) SELECT coalesce(max(id), 0) + 1, ? FROM runs"
                               " RETURNING id", [command]).fetchone()
        return int(row[0])

    def finish_run(self, run_id: int, summary: dict[str, Any]) -> None:
        self.con.execute("UPDATE runs SET finished_at = current_timestamp, summary = ? WHERE id = ?",
                         [json.dumps(summary), run_id])

    # -- ingest -----------------------------------------------------------------------------
    def url_known(self, url: str) -> bool:
        row = self.con.execute("SELECT 1 FROM items WHERE url = ? OR source = ? LIMIT 1", [url, url]).fetchone()
        if row:
            return True
        return self.con.execute("SELECT 1 FROM articles WHERE url = ? LIMIT 1", [url]).fetchone() is not None

    def article_origins(self, ids: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        """id -> (source, locator, content_hash): which item made each stored article (`sitrep load`)."""
        rows = self.con.execute("SELECT id, source, locator, content_hash FROM articles WHERE list_contains(?, id)",
                                [list(ids)]).fetchall()
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def items_seen(self, keys: Sequence[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
        """Which of these (source, locator, raw hash) items are stored: one query for a batch of items."""
        if not keys:
            return set()
        where, params = in_list("raw_hash", sorted({k[2] for k in keys}))
        want = set(keys)
        return {r for r in self.con.execute(f"SELECT source, locator, raw_hash FROM items WHERE {where}",
                                            params).fetchall() if r in want}

    def dedup_lookups(self, hashes: Sequence[str], ids: Sequence[str], bands: Sequence[tuple[int, int]]
                      ) -> tuple[dict[str, str], set[str], dict[tuple[int, int], list[tuple[str, bytes, str | None]]]]:
        """What deduplicating a batch of new articles needs, in three queries: the first stored article (by id)
        with each content hash, which of these ids are taken, and the stored articles in each LSH bucket (id,
        signature, duplicate_of)."""
        by_hash: dict[str, str] = {}
        if hashes:
            where, params = in_list("content_hash", sorted(set(hashes)))
            by_hash = dict(self.con.execute(f"SELECT content_hash, min(id) FROM articles WHERE {where} GROUP BY 1",
                                            params).fetchall())
        taken: set[str] = set()
        if ids:
            where, params = in_list("id", sorted(set(ids)))
            taken = {r[0] for r in self.con.execute(f"SELECT id FROM articles WHERE {where}", params).fetchall()}
        buckets: dict[tuple[int, int], list[tuple[str, bytes, str | None]]] = {}
        if bands:
            uniq = sorted(set(bands))
            for band, bucket, aid, sig, dup in self.con.execute(
                    "WITH q AS (SELECT unnest(?::SMALLINT[]) AS band, unnest(?::BIGINT[]) AS bucket)"
                    " SELECT l.band, l.bucket, a.id, m.signature, a.duplicate_of FROM lsh_bands l"
                    " JOIN q ON l.band = q.band AND l.bucket = q.bucket JOIN articles a ON a.id = l.article_id"
                    " JOIN minhash m ON m.article_id = a.id ORDER BY a.id",
                    [[b for b, _ in uniq], [h for _, h in uniq]]).fetchall():
                buckets.setdefault((band, bucket), []).append((aid, sig, dup))
        return by_hash, taken, buckets

    def insert_articles(self, arts: Sequence[Article], run_id: int | None,
                        signatures: Sequence[tuple[bytes, Sequence[tuple[int, int]]]] | None = None,
                        items: Sequence[tuple[str, str | None]] | None = None) -> None:
        """Bulk-load articles known to be new (inside the caller's transaction): the articles, their input items
        (kind 'article'; each article's (raw hash, url) from `items`, else its content hash and url) and, when
        given, their near-duplicate signatures and bands. Rows go in as Arrow tables, not one statement per row."""
        if not arts:
            return
        import pyarrow as pa

        art_tbl = pa.table({  # noqa: F841 - read by DuckDB's replacement scan below
            "id": pa.array([a.id for a in arts], pa.string()),
            "source": pa.array([a.source for a in arts], pa.string()),
            "locator": pa.array([a.locator for a in arts], pa.string()),
            "fmt": pa.array([a.fmt for a in arts], pa.string()),
            "url": pa.array([a.url for a in arts], pa.string()),
            "title": pa.array([a.title for a in arts], pa.string()),
            "author": pa.array([a.author for a in arts], pa.string()),
            "outlet": pa.array([a.outlet for a in arts], pa.string()),
            "published": pa.array([a.published for a in arts], pa.date32()),
            "date_source": pa.array([a.date_source for a in arts], pa.string()),
            "date_note": pa.array([a.date_note for a in arts], pa.string()),
            "language": pa.array([a.language for a in arts], pa.string()),
            "language_score": pa.array([a.language_score for a in arts], pa.float64()),
            "skip_reason": pa.array([a.skip_reason for a in arts], pa.string()),
            "text": pa.array([a.text for a in arts], pa.string()),
            "raw_text": pa.array([a.raw_text for a in arts], pa.string()),
            "removed": pa.array([json.dumps([s.to_dict() for s in a.removed]) for a in arts], pa.string()),
            "content_hash": pa.array([a.content_hash for a in arts], pa.string()),
            "duplicate_of": pa.array([a.duplicate_of for a in arts], pa.string()),
            "similarity": pa.array([a.similarity for a in arts], pa.float64()),
            "n_chars": pa.array([len(a.text) for a in arts], pa.int32()),
            "raw_chars": pa.array([len(a.raw_text) for a in arts], pa.int32()),
            "run_id": pa.array([run_id] * len(arts), pa.int32())})
        cols = ("id, source, locator, fmt, url, title, author, outlet, published, date_source, date_note, language, "
                "language_score, skip_reason, text, raw_text, removed, content_hash, duplicate_of, similarity, "
                "n_chars, raw_chars, run_id")
        self.con.execute(f"INSERT INTO articles ({cols}) SELECT {cols} FROM art_tbl")
        if items is None:
            items = [(a.content_hash, a.url) for a in arts]
        self.add_items([(a.source, a.locator, rh, a.id, "article", url) for a, (rh, url) in zip(arts, items)], run_id)
        if signatures:
            sig_tbl = pa.table({"article_id": pa.array([a.id for a in arts], pa.string()),  # noqa: F841
                                "signature": pa.array([s for s, _ in signatures], pa.binary())})
            self.con.execute("INSERT INTO minhash (article_id, signature) SELECT article_id, signature FROM sig_tbl")
            band_tbl = pa.table({  # noqa: F841
                "band": pa.array([b for _, bands in signatures for b, _ in bands], pa.int16()),
                "bucket": pa.array([h for _, bands in signatures for _, h in bands], pa.int64()),
                "article_id": pa.array([a.id for a, (_, bands) in zip(arts, signatures) for _ in bands],
                                       pa.string())})
            self.con.execute("INSERT INTO lsh_bands SELECT band, bucket, article_id FROM band_tbl")
        self.mark_fts_dirty()

    def add_items(self, rows: Sequence[tuple[str, str, str, str, str, str | None]], run_id: int | None) -> None:
        """Record input items: (source, locator, raw hash, article id, kind, url) rows, as one Arrow insert (an item
        already recorded is left as it is)."""
        if not rows:
            return
        import pyarrow as pa

        item_tbl = pa.table({name: pa.array([r[i] for r in rows], pa.string())  # noqa: F841
                             for i, name in enumerate(("source", "locator", "raw_hash", "article_id", "kind", "url"))})
        self.con.execute("INSERT INTO items (source, locator, raw_hash, article_id, kind, url, run_id) "
                         "SELECT source, locator, raw_hash, article_id, kind, url, ? FROM item_tbl "
                         "ON CONFLICT DO NOTHING", [run_id])

    def put_reject(self, r: Reject, run_id: int | None) -> None:
        self.con.execute(
            "INSERT INTO rejects (source, locator, reason, detail, run_id) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (source, locator) DO UPDATE SET reason = excluded.reason, detail = excluded.detail,"
            " run_id = excluded.run_id, rejected_at = now()",
            [r.source, r.locator, r.reason, r.detail[:2000], run_id],
        )

    def clear_reject(self, source: str, locator: str) -> None:
        self.con.execute("DELETE FROM rejects WHERE source = ? AND locator = ?", [source, locator])

    def clear_rejects_under(self, source: str) -> None:
        """Forget the rejects of a source before it is read again (what still fails is recorded anew)."""
        self.con.execute("DELETE FROM rejects WHERE source = ?", [source])

    # -- near-duplicate index -------------------------------------------------------------
    def index_bytes(self) -> dict[str, int]:
        """Logical bytes the near-duplicate index holds (signatures plus band rows)."""
        sig, ids = self.con.execute("SELECT coalesce(sum(octet_length(signature)), 0), count(*) FROM minhash").fetchone()
        rows, idb = self.con.execute("SELECT count(*), coalesce(sum(length(article_id)), 0) FROM lsh_bands").fetchone()
        total = int(sig) + int(rows) * (2 + 8) + int(idb)
        return {"articles": int(ids), "bytes": total, "bytes_per_article": round(total / ids) if ids else 0}

    # -- full-text search -----------------------------------------------------------------
    # The FTS index does not follow inserts; a flag written in the same transaction as the articles says
    # it is stale, so a run killed before the rebuild is caught up by the next one.
    def mark_fts_dirty(self) -> None:
        """Flag the full-text index as stale, in the caller's transaction (once per explicit transaction)."""
        if self._fts_marked:
            return
        self.con.execute("INSERT INTO meta VALUES ('fts_dirty', '1') ON CONFLICT (key) DO UPDATE SET value = '1'")
        self._fts_marked = self._tx

    def fts_dirty(self) -> bool:
        row = self.con.execute("SELECT value FROM meta WHERE key = 'fts_dirty'").fetchone()
        return bool(row and row[0] == "1")

    def rebuild_fts(self) -> None:
        n = self.con.execute("SELECT count(*) FROM articles").fetchone()[0]
        if n:
            self.con.execute("PRAGMA create_fts_index('articles', 'id', 'title', 'text', overwrite=1)")
        elif self._has_fts():
            self.con.execute("PRAGMA drop_fts_index('articles')")
        self.con.execute("INSERT INTO meta VALUES ('fts_dirty', '0') ON CONFLICT (key) DO UPDATE SET value = '0'")

    def load_fts(self) -> None:
        """Load the full-text search extension into this connection. Readers load it on their first full-text
        query (`_has_fts`), not when they open: checking the extension's signature takes about 60 ms, more than
        most queries, and the API opens the store for every request."""
        if not self._loaded["fts"]:
            self.con.execute(f"LOAD '{_fts_extension()}'")  # a path we computed, not user input
            self._loaded["fts"] = True

    def _has_fts(self) -> bool:
        """Whether the full-text index exists (loading the extension that queries it when it does)."""
        found = bool(self.con.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'fts_main_articles'").fetchone()[0])
        if found:
            self.load_fts()
        return found

    # -- reading ----------------------------------------------------------------------------
    @staticmethod
    def _filters(since: date | None, until: date | None, outlet: str | None) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if since:
            clauses.append("a.published >= ?")
            params.append(since)
        if until:
            clauses.append("a.published <= ?")
            params.append(until)
        if outlet:
            clauses.append("a.outlet ILIKE ?")
            params.append(f"%{outlet}%")
        return (" AND ".join(clauses) or "TRUE"), params

    def articles(self, *, since: date | None = None, until: date | None = None, outlet: str | None = None,
                 query: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """A page of articles (newest first, or best match first with `query`) and the total count."""
        where, params = self._filters(since, until, outlet)
        cols = ", ".join(f"a.{c}" for c in ARTICLE_LIST_COLUMNS)
        if query:
            if not self._has_fts():
                return [], 0
            base = (f"FROM (SELECT *, fts_main_articles.match_bm25(id, ?) AS score FROM articles) a"
                    f" WHERE a.score IS NOT NULL AND {where}")
            params = [query, *params]
            order = "a.score DESC, a.id"
            cols += ", a.score"
        else:
            base = f"FROM articles a WHERE {where}"
            order = "a.published DESC NULLS LAST, a.id"
        total = self.con.execute(f"SELECT count(*) {base}", params).fetchone()[0]
        cur = self.con.execute(f"SELECT {cols} {base} ORDER BY {order} LIMIT ? OFFSET ?", [*params, limit, offset])
        return _dicts(cur), int(total)

    def resolve_id(self, id_or_prefix: str) -> str:
        rows = self.con.execute("SELECT id FROM articles WHERE id = ? UNION ALL "
                                "(SELECT id FROM articles WHERE starts_with(id, ?) ORDER BY id LIMIT 6)",
                                [id_or_prefix, id_or_prefix]).fetchall()
        ids = list(dict.fromkeys(r[0] for r in rows))
        if rows and rows[0][0] == id_or_prefix:
            return id_or_prefix
        if not ids:
            raise NotFound(f"no article with id or prefix {id_or_prefix!r}")
        if len(ids) > 1:
            raise Ambiguous(f"{id_or_prefix!r} matches several articles: {', '.join(ids[:5])}")
        return ids[0]

    def article(self, id_or_prefix: str) -> dict[str, Any]:
        aid = self.resolve_id(id_or_prefix)
        cur = self.con.execute(f"SELECT {', '.join(ARTICLE_EXPORT_COLUMNS)}, content_hash, run_id, ingested_at"
                               " FROM articles WHERE id = ?", [aid])
        row = _dicts(cur)[0]
        row["removed"] = json.loads(row["removed"])
        row["items"] = _dicts(self.con.execute(
            "SELECT source, locator, kind FROM items WHERE article_id = ? ORDER BY kind, source, locator", [aid]))
        row["near_duplicates"] = [r[0] for r in self.con.execute(
            "SELECT id FROM articles WHERE duplicate_of = ? ORDER BY id", [aid]).fetchall()]
        return row

    def iter_articles(self, batch: int = 500) -> Iterator[dict[str, Any]]:
        cur = self.con.execute(f"SELECT {', '.join(ARTICLE_EXPORT_COLUMNS)} FROM articles ORDER BY id")
        names = [d[0] for d in cur.description]
        while rows := cur.fetchmany(batch):
            for r in rows:
                d = dict(zip(names, r))
                d["removed"] = json.loads(d["removed"])
                yield d

    def article_batches(self, batch: int = 2000) -> Iterator[Any]:
        """Arrow record batches of the export columns, for Parquet."""
        cur = self.con.execute(f"SELECT {', '.join(ARTICLE_EXPORT_COLUMNS)} FROM articles ORDER BY id")
        yield from cur.fetch_record_batch(batch)

    def rejects(self, limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        total = self.con.execute("SELECT count(*) FROM rejects").fetchone()[0]
        cur = self.con.execute("SELECT source, locator, reason, detail, rejected_at FROM rejects ORDER BY source, locator"
                               " LIMIT ? OFFSET ?", [limit, offset])
        return _dicts(cur), int(total)

    def stats(self) -> dict[str, Any]:
        q = self.con.execute
        out: dict[str, Any] = {}
        # one pass over the articles' small columns for the counts, one (grouping sets) for the breakdowns
        (out["articles"], out["near_duplicates"], out["dated"], lo, hi, out["skipped_by_later_layers"],
         out["removed_boilerplate_chars"]) = q(
            "SELECT count(*), count(*) FILTER (WHERE duplicate_of IS NOT NULL), count(published), min(published), "
            "max(published), count(skip_reason), coalesce(sum(raw_chars - n_chars), 0) FROM articles").fetchone()
        out["exact_duplicates"] = q("SELECT count(*) FROM items WHERE kind = 'duplicate'").fetchone()[0]
        out["rejects"] = q("SELECT count(*) FROM rejects").fetchone()[0]
        out["published_range"] = [lo.isoformat() if lo else None, hi.isoformat() if hi else None]
        groups: dict[str, list[tuple[Any, int]]] = {"languages": [], "outlets": [], "formats": [], "date_sources": []}
        for g, key, n in q(
                "SELECT CASE WHEN GROUPING(language) = 0 THEN 'languages' WHEN GROUPING(outlet) = 0 THEN 'outlets' "
                "WHEN GROUPING(fmt) = 0 THEN 'formats' ELSE 'date_sources' END, "
                "coalesce(CASE WHEN GROUPING(language) = 0 THEN coalesce(language, '?') "
                "WHEN GROUPING(outlet) = 0 THEN coalesce(outlet, '(unknown)') WHEN GROUPING(fmt) = 0 THEN fmt "
                "ELSE coalesce(date_source, 'none') END, ''), count(*) FROM articles "
                "GROUP BY GROUPING SETS ((language), (outlet), (fmt), (date_source))").fetchall():
            groups[g].append((key, n))
        for g, rows in groups.items():
            rows.sort(key=lambda kv: (-kv[1], kv[0]))
            out[g] = dict(rows[:20] if g == "outlets" else rows)
        out["reject_reasons"] = dict(q("SELECT reason, count(*) FROM rejects GROUP BY 1 ORDER BY 2 DESC, 1").fetchall())
        out["near_duplicate_index"] = self.index_bytes()
        out["language"] = self.language_stats()
        out["events"] = self.event_stats()
        out["fused_events"] = self.fusion_stats()
        out["stories"] = self.con.execute("SELECT count(*) FROM stories").fetchone()[0]
        out["schema_version"] = self.schema_version()
        out["runs"] = q("SELECT count(*) FROM runs").fetchone()[0]
        order = ("articles", "near_duplicates", "exact_duplicates", "rejects", "dated", "published_range", "languages",
                 "skipped_by_later_layers", "outlets", "formats", "date_sources", "reject_reasons",
                 "removed_boilerplate_chars")
        return {**{k: out[k] for k in order}, **{k: v for k, v in out.items() if k not in order}}

    # -- retraction ---------------------------------------------------------------------------
    def delete_articles(self, ids: Iterable[str]) -> list[str]:
        """Remove articles and everything derived from them; near-duplicates of a removed canonical article
        are re-linked to the earliest remaining one. Returns the ids removed."""
        done = []
        with self.transaction():
            for aid in ids:
                if not self.con.execute("SELECT 1 FROM articles WHERE id = ?", [aid]).fetchone():
                    continue
                followers = [r[0] for r in self.con.execute(
                    "SELECT id FROM articles WHERE duplicate_of = ? ORDER BY ingested_at, id", [aid]).fetchall()]
                if followers:
                    head, rest = followers[0], followers[1:]
                    self.con.execute("UPDATE articles SET duplicate_of = NULL, similarity = NULL WHERE id = ?", [head])
                    if rest:
                        self.con.execute("UPDATE articles SET duplicate_of = ? WHERE list_contains(?, id)", [head, rest])
                for table, col in (("lsh_bands", "article_id"), ("minhash", "article_id"), ("items", "article_id")):
                    self.con.execute(f"DELETE FROM {table} WHERE {col} = ?", [aid])
                self.delete_language(aid)
                self.con.execute("DELETE FROM articles WHERE id = ?", [aid])
                done.append(aid)
        if done:
            self.rebuild_fts()
        return done


def _dicts(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        d = dict(zip(names, row))
        for k, v in d.items():
            if isinstance(v, date):
                d[k] = v.isoformat()
        out.append(d)
    return out

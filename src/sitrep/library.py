"""The Python facade: what notebooks, the CLI and the later HTTP API call. A thin layer over the store and
the ingest pipeline.

    from sitrep import Sitrep
    with Sitrep("news.duckdb") as s:
        report = s.ingest(["reports/", "feed.rss"])
        page, total = s.articles(query="missile")
"""
from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Iterator
from datetime import date
from typing import IO, Any, BinaryIO

from .cache import ResultCache
from .events.record import EVENT_FLAT_COLUMNS, GDELT_COLUMNS, flat_event, flat_schema, gdelt_row
from .fuse import refresh
from .ingest.clean import render_with_removed
from .ingest.pipeline import IngestReport, Ingestor, Progress
from .ingest.sources import IngestConfig
from .model import Mention, RemovedSpan
from .nlp.layer import LanguageConfig, LanguageLayer, LanguageReport
from .nlp.layer import Progress as LanguageProgress
from .store import EventFilter, Store
from .store.db import ARTICLE_EXPORT_COLUMNS
from .store.language import MENTION_EXPORT_COLUMNS

EXPORT_FORMATS = ("jsonl", "csv", "parquet")
EVENT_EXPORT_FORMATS = (*EXPORT_FORMATS, "gdelt")
STORY_COLUMNS = ("id", "title", "first_day", "last_day", "num_articles", "num_events", "actors", "places",
                 "outlets", "top_events", "articles")


class Sitrep:
    """One sitrep database. Opened for writing unless `read_only`. A `cache` (a `ResultCache` the caller owns and
    shares between the `Sitrep`s it opens, as the API server does) keeps statistics and timelines while the store's
    files are unchanged."""

    def __init__(self, db: str | os.PathLike[str] | None = None, *, read_only: bool = False,
                 lock_timeout: float = 0.0, cache: ResultCache | None = None) -> None:
        self.store = Store(db, read_only=read_only, lock_timeout=lock_timeout)
        self._embedder: Any = None  # loaded on first use (timelines)
        self._cache = cache

    @classmethod
    def over(cls, store: Store, *, cache: ResultCache | None = None) -> "Sitrep":
        """A `Sitrep` over a store opened elsewhere (such as a cursor of the API server's warm connection,
        `store.pool.ReadPool`); closing it closes that store."""
        self = cls.__new__(cls)
        self.store, self._embedder, self._cache = store, None, cache
        return self

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Sitrep":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ----------------------------------------------------------------------------
    def ingest(self, inputs: list[str], *, config: IngestConfig | None = None, progress: Progress | None = None,
               stdin: BinaryIO | None = None, batch_size: int = 50, language: LanguageConfig | None = LanguageConfig(),
               language_progress: LanguageProgress | None = None) -> IngestReport:
        """Read files, folders, '-' (stdin) and URLs into the store and run the language layer over every article
        not yet annotated (`language=None` skips it); see `IngestReport`."""
        return Ingestor(self.store, config, progress=progress, stdin=stdin, batch_size=batch_size, language=language,
                        language_progress=language_progress).run(inputs)

    def load(self, location: str, *, runs: list[str] | None = None, partial: bool = False, batch_size: int = 50,
             progress: Progress | None = None, language_progress: LanguageProgress | None = None) -> IngestReport:
        """Merge the Parquet partitions `sitrep process` wrote under `location` into the store, as an ingest of
        the same inputs would have stored them (idempotent); see `sitrep.distributed.load`."""
        from .distributed.load import load

        return load(self.store, location, runs=runs, partial=partial, batch_size=batch_size, progress=progress,
                    language_progress=language_progress)

    def annotate(self, language: LanguageConfig | None = None) -> LanguageReport:
        """Run the language layer over the articles not yet annotated (all of them with `redo`)."""
        cfg = language or LanguageConfig()
        report = LanguageLayer(self.store, cfg).run()
        self.refresh(events=cfg.events)
        return report

    def recode(self, language: LanguageConfig | None = None, *, since: date | None = None,
               until: date | None = None) -> LanguageReport:
        """Re-run the language layer and the event coder over stored articles (published within since/until when
        given), after lexicons, dictionaries or the model changed. Event ids stay the same where the event does."""
        ids = self.store.annotatable_ids(since, until)
        cfg = language or LanguageConfig()
        report = LanguageLayer(self.store, cfg).run(ids=ids)
        self.refresh(events=cfg.events)
        return report

    def refresh(self, *, events: bool = True, stories: bool = True, refuse: bool = False) -> dict[str, Any]:
        """Bring fused events and stories up to date (ingest does this itself); `refuse` fuses every coded
        mention again, after the fusion rules changed."""
        return refresh(self.store, events=events, stories=stories, refuse=refuse)

    def delete(self, ids: list[str]) -> list[str]:
        """Retract articles (ids or unique prefixes) and everything derived from them."""
        done = self.store.delete_articles([self.store.resolve_id(i) for i in ids])
        if done:
            self.refresh()
        return done

    # -- reading ----------------------------------------------------------------------------
    def articles(self, *, since: date | None = None, until: date | None = None, outlet: str | None = None,
                 query: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        return self.store.articles(since=since, until=until, outlet=outlet, query=query, limit=limit, offset=offset)

    def article(self, id_or_prefix: str) -> dict[str, Any]:
        return self.store.article(id_or_prefix)

    def article_with_removed(self, id_or_prefix: str, mark: tuple[str, str] = ("[-", "-]")) -> str:
        """The clean text with the removed boilerplate put back in place, between `mark` brackets."""
        a = self.article(id_or_prefix)
        spans = [RemovedSpan(**s) for s in a["removed"]]
        return render_with_removed(a["text"], a["raw_text"], spans, mark)

    def mentions(self, id_or_prefix: str, kind: str | None = None) -> list[Mention]:
        """An article's actor, place and time mentions, in text order."""
        aid = self.store.resolve_id(id_or_prefix)
        return [m for m in self.store.mentions_of(aid) if kind is None or m.kind == kind]

    def sentences(self, id_or_prefix: str) -> list[dict[str, Any]]:
        a = self.article(id_or_prefix)
        return [{"index": i, "start": s, "end": e, "text": a["text"][s:e]} for i, s, e in self.store.sentences_of(a["id"])]

    def entities(self, kind: str | None = None, article: str | None = None, top: int = 20) -> list[dict[str, Any]]:
        """The most mentioned actors, places and times (optionally of one kind, in one article)."""
        aid = self.store.resolve_id(article) if article else None
        return self.store.entities(kind, aid, top)

    def annotated_text(self, id_or_prefix: str, kinds: tuple[str, ...] = ("actor", "place", "time")) -> str:
        """The clean text with each mention marked [[text|kind: resolution]]."""
        a = self.article(id_or_prefix)
        text = a["text"]
        out, pos = [], 0
        for m in self.store.mentions_of(a["id"]):
            if m.kind not in kinds or m.start < pos:
                continue
            out.append(text[pos:m.start])
            out.append(f"[[{text[m.start:m.end]}|{m.kind}: {describe(m)}]]")
            pos = m.end
        out.append(text[pos:])
        return "".join(out)

    def stats(self) -> dict[str, Any]:
        return self._cached(("stats",), self.store.stats)

    def _cached(self, key: tuple[Any, ...], compute: Any) -> Any:
        return self._cache.get(self.store.path, key, compute) if self._cache is not None else compute()

    def rejects(self, limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        return self.store.rejects(limit, offset)

    # -- events -------------------------------------------------------------------------------
    def events(self, f: EventFilter = EventFilter(), limit: int = 50, offset: int = 0, *, mentions: bool = False,
               order: str = "date") -> tuple[list[dict[str, Any]], int]:
        """Fused events (one per real-world event, with all its evidence) matching the filter, one page, and the
        total; `mentions=True` gives the coded mentions of single articles instead."""
        if mentions:
            return self.store.events(f, limit, offset), self.store.count_events(f)
        return list(self.store.iter_fused(f, limit, offset, order=order)), self.store.count_fused(f)

    def event(self, id_or_prefix: str) -> dict[str, Any]:
        """A fused event by id or unique prefix (or by the id of one of its mentions); else a coded mention."""
        rec = self.store.fused_event(id_or_prefix) or self.store.event(id_or_prefix)
        if rec is None:
            from .store import StoreError

            raise StoreError(f"no event with id (or unique prefix) {id_or_prefix!r}")
        return rec

    # -- stories and timelines ----------------------------------------------------------------
    def stories(self, *, since: date | None = None, until: date | None = None, actor: str | None = None,
                query: str | None = None, limit: int | None = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Stories (most articles first) overlapping since/until, naming an actor, or holding an article that
        matches a full-text query; one page and the total."""
        return self.store.stories(since=since, until=until, actor=actor, query=query, limit=limit, offset=offset)

    def story(self, id_or_prefix: str) -> dict[str, Any]:
        rec = self.store.story(id_or_prefix)
        if rec is None:
            from .store import StoreError

            raise StoreError(f"no story with id (or unique prefix) {id_or_prefix!r}")
        return rec

    def export_stories(self, fmt: str, out: IO[str] | str | None = None) -> int:
        """Write every story as JSONL (full records), CSV or Parquet (lists as JSON strings)."""
        cols = STORY_COLUMNS

        def rows() -> Any:
            for rec in self.store.stories(limit=None)[0]:
                yield {c: rec.get(c) for c in cols}

        def batches() -> Any:
            import pyarrow as pa
            flat = [{c: (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v) for c, v in r.items()}
                    for r in rows()]
            yield pa.RecordBatch.from_pylist(flat, schema=pa.schema([(c, pa.int64() if c.startswith("num_")
                                                                     else pa.string()) for c in cols]))
        return self._export(fmt, out, rows, batches, cols)

    def timeline(self, *, story: str | None = None, actor: str | None = None, query: str | None = None,
                 since: date | None = None, until: date | None = None, max_dates: int = 10,
                 per_date: int = 2) -> list[dict[str, Any]]:
        """The dates that matter most for a story, an actor or a query (or the whole store), each with up to
        `per_date` sentences citing their articles: `[{"date", "summary", "events", "sources", ...}]`."""
        from .fuse.timeline import build_timeline
        if story:
            story = self.story(story)["id"]
        return self._cached(("timeline", story, actor, query, since, until, max_dates, per_date),
                            lambda: build_timeline(self.store, self._embed, story=story, actor=actor, query=query,
                                                   since=since, until=until, max_dates=max_dates, per_date=per_date,
                                                   index=self._timeline_index()))

    def _timeline_index(self) -> Any:
        """The timeline index of this store, kept by the cache (a process that serves many requests builds it once
        per state of the store); None without a cache, where one timeline reads the store directly."""
        if self._cache is None:
            return None
        from .fuse.timeline_index import TimelineIndex
        return self._cache.index(self.store.path, "timeline", lambda: TimelineIndex.load(self.store))

    def brief(self, *, story: str | None = None, actor: str | None = None, query: str | None = None,
              since: date | None = None, until: date | None = None, max_dates: int = 8) -> dict[str, Any]:
        """A situation report as data; `sitrep.report.brief.render_markdown` / `render_html` print it."""
        from .report.brief import build_brief
        return build_brief(self, story=story, actor=actor, query=query, since=since, until=until, max_dates=max_dates)

    def _embed(self, texts: list[str]) -> Any:
        if self._embedder is None:
            self._embedder = _shared_embedder()
        return self._embedder.embed(texts)

    def _iter_events(self, f: EventFilter, mentions: bool) -> Iterator[dict[str, Any]]:
        return self.store.iter_events(f) if mentions else self.store.iter_fused(f)

    def export_events(self, fmt: str, out: IO[str] | str | None = None, f: EventFilter = EventFilter(), *,
                      mentions: bool = False) -> int:
        """Write fused events (or, with `mentions`, the coded mentions) as JSONL (full records), CSV or Parquet
        (flat rows) or GDELT 2.0 TSV. Returns the count."""
        if fmt not in EVENT_EXPORT_FORMATS:
            raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(EVENT_EXPORT_FORMATS)}")
        if fmt == "jsonl":
            return self._export("jsonl", out, lambda: self._iter_events(f, mentions), None, ())
        if fmt == "gdelt":
            return self._gdelt(out, f, mentions)

        def flat() -> Any:
            return (flat_event(r) for r in self._iter_events(f, mentions))

        def batches() -> Any:
            import pyarrow as pa

            rows: list[dict[str, Any]] = []
            for r in flat():
                rows.append(r)
                if len(rows) == 2000:
                    yield pa.RecordBatch.from_pylist(rows, schema=flat_schema())
                    rows = []
            if rows:
                yield pa.RecordBatch.from_pylist(rows, schema=flat_schema())
        return self._export(fmt, out, flat, batches, EVENT_FLAT_COLUMNS)

    def _gdelt(self, out: IO[str] | str | None, f: EventFilter, mentions: bool) -> int:
        def write(fh: IO[str]) -> int:
            w = csv.writer(fh, delimiter="\t", lineterminator="\n")
            w.writerow(GDELT_COLUMNS)
            n = 0
            for rec in self._iter_events(f, mentions):
                w.writerow(["" if v is None else str(v).replace("\t", " ") for v in gdelt_row(rec)])
                n += 1
            return n
        if isinstance(out, (str, os.PathLike)):
            with open(out, "w", encoding="utf-8", newline="") as fh:
                return write(fh)
        return write(out or io.StringIO())

    # -- export -------------------------------------------------------------------------------
    def export_articles(self, fmt: str, out: IO[str] | str | None = None) -> int:
        """Write every article as JSONL or CSV (to a text stream or path) or Parquet (to a path).

        Returns the number of articles written. In CSV, lists and objects are JSON strings.
        """
        return self._export(fmt, out, self.store.iter_articles, self.store.article_batches, ARTICLE_EXPORT_COLUMNS)

    def export_mentions(self, fmt: str, out: IO[str] | str | None = None) -> int:
        """Write every actor, place and time mention (resolved or not, with `reason`) as JSONL, CSV or Parquet."""
        rows = lambda: (r for b in self.store.mention_batches() for r in b.to_pylist())  # noqa: E731
        return self._export(fmt, out, rows, self.store.mention_batches, MENTION_EXPORT_COLUMNS)

    def _export(self, fmt: str, out: IO[str] | str | None, rows: Any, batches: Any, columns: tuple[str, ...]) -> int:
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
        if fmt == "parquet":
            if not isinstance(out, (str, os.PathLike)):
                raise ValueError("Parquet export needs an output file (-o FILE)")
            return _parquet(str(out), batches(), columns)
        if isinstance(out, (str, os.PathLike)):
            with open(out, "w", encoding="utf-8", newline="") as fh:
                return _text_export(fmt, fh, rows(), columns)
        return _text_export(fmt, out or io.StringIO(), rows(), columns)


_EMBEDDER: Any = None


def _shared_embedder() -> Any:
    """wordllama's model, loaded once a process and shared by every `Sitrep` (it is read-only): the API opens a
    `Sitrep` per request, and loading the model takes seconds."""
    global _EMBEDDER
    if _EMBEDDER is None:
        from .fuse.stories import Embedder
        _EMBEDDER = Embedder()
    return _EMBEDDER


def code(items: Iterable[dict[str, Any]], language: LanguageConfig | None = None) -> Iterator[dict[str, Any]]:
    """Code events in items `{"id", "text", "date"?, "outlet"?}` without a database (what `sitrep code` does):
    yields event records (event.schema.json) in input order. A bad item raises `BadItem`.

        from sitrep import code
        for event in code([{"id": "a", "text": "Iran fired missiles at two bases.", "date": "2020-01-08"}]):
            print(event["event"], event["actor"][0]["code"])
    """
    from .events.batch import BadItem, code_items, parse_item

    parsed = (parse_item(json.dumps(i, default=str)) for i in items)
    for ident, result in code_items(parsed, language or LanguageConfig(workers=1)):
        if isinstance(result, str):
            raise BadItem(f"item {ident}: {result}")
        yield from result


def describe(m: Mention) -> str:
    """A mention's resolution in a few words, for people."""
    if m.reason and not (m.code or m.place_id or m.value):
        return f"unresolved ({m.reason})"
    if m.kind == "actor":
        return f"{m.code or '?'} {m.name or ''}".strip()
    if m.kind == "place":
        return f"{m.name} ({m.place_kind}, {m.country or '-'})"
    return f"{m.value} ({m.precision})" + (f" to {m.value_end}" if m.value_end else "")


def _jsonable(v: Any) -> Any:
    return v.isoformat() if isinstance(v, date) else v


def _text_export(fmt: str, fh: IO[str], rows: Any, columns: tuple[str, ...]) -> int:
    n = 0
    writer = None
    for row in rows:
        row = {k: _jsonable(v) for k, v in row.items()}
        if fmt == "jsonl":
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            if writer is None:
                writer = csv.DictWriter(fh, fieldnames=list(row))
                writer.writeheader()
            writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                             for k, v in row.items()})
        n += 1
    if writer is None and fmt == "csv":
        csv.writer(fh).writerow(columns)
    return n


def _parquet(path: str, batches: Any, columns: tuple[str, ...]) -> int:
    import pyarrow.parquet as pq

    n = 0
    writer = None
    try:
        for batch in batches:
            if writer is None:
                writer = pq.ParquetWriter(path, batch.schema)
            writer.write_batch(batch)
            n += batch.num_rows
    finally:
        if writer is not None:
            writer.close()
    if writer is None:  # no rows: still write a file with the schema
        import pyarrow as pa

        pq.write_table(pa.table({c: pa.array([], pa.string()) for c in columns}), path)
    return n


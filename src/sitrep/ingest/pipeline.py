"""The ingest run: read inputs, build articles, detect duplicates, and write everything to the store.

Each input item ends as an article, a duplicate link or a reject. Work is committed in small
transactions, and items already in the store are recognised, so a killed run resumes to the same state.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from ..fuse import refresh
from ..fuse.stories import preload_embedder
from ..model import Article, Document, Reject
from ..nlp.layer import LanguageConfig, LanguageLayer, LanguageReport
from ..nlp.layer import Progress as LanguageProgress
from ..store import Store
from .article import build_article
from .clean import Cleaner
from .dedup import NearDupIndex
from .fetch import Fetcher
from .readers import Item, ReadContext, Skipped, read_input
from .sources import IngestConfig, expand

Progress = Callable[[dict[str, int]], None]
MinHashed = tuple[bytes, list[tuple[int, int]]]  # NearDupIndex.signature: (signature, [(band, bucket)])


@dataclass
class Built:
    """An item whose article (or reject) was built elsewhere, e.g. by `sitrep process`: stored as ingest stores
    what it builds itself (`raw_hash` recognises it on later runs; `minhash` spares computing the signature)."""

    source: str
    locator: str
    raw_hash: str
    result: Article | Reject
    url: str | None = None  # the document's URL, recorded with the item when the article has none
    minhash: MinHashed | None = None


@dataclass
class IngestReport:
    """What an ingest run did, for people (`summary_line`) and machines (`to_dict`)."""

    run_id: int | None = None
    items: int = 0
    new: int = 0
    near_duplicates: int = 0
    duplicates: int = 0
    unchanged: int = 0
    rejected: int = 0
    seconds: float = 0.0
    rejects: list[dict[str, str]] = field(default_factory=list)
    new_ids: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    language: dict[str, Any] | None = None  # what the language layer did (None when it did not run)

    MAX_LISTED = 100

    @property
    def exit_code(self) -> int:
        return 3 if self.rejected else 0

    def counts(self) -> dict[str, int]:
        return {"items": self.items, "new": self.new, "near_duplicates": self.near_duplicates,
                "duplicates": self.duplicates, "unchanged": self.unchanged, "rejected": self.rejected}

    def to_dict(self) -> dict[str, Any]:
        return {**self.counts(), "run_id": self.run_id, "seconds": round(self.seconds, 3),
                "articles_per_second": round(self.new / self.seconds, 2) if self.seconds else None,
                "rejects": self.rejects, "new_ids": self.new_ids[: self.MAX_LISTED],
                "near_duplicate_index": self.index, "language": self.language, "exit_code": self.exit_code}

    def summary_line(self) -> str:
        if self.items and self.items == self.unchanged and not (self.language or {}).get("articles"):
            return f"nothing new: all {self.items} item(s) were already in the store"
        parts = [f"{self.new} new article(s)"]
        if self.near_duplicates:
            parts.append(f"{self.near_duplicates} of them near-duplicates")
        parts.append(f"{self.duplicates} exact duplicate(s)")
        parts.append(f"{self.unchanged} already present")
        parts.append(f"{self.rejected} rejected")
        line = f"{', '.join(parts)} ({self.items} item(s) in {self.seconds:.1f}s)"
        if self.language and self.language.get("articles"):
            lang = self.language
            line += (f"; language layer: {lang['articles']} article(s), {lang['mentions']} mention(s), "
                     f"{lang.get('events', 0)} event(s), {lang['workers']} worker(s), {lang['seconds']:.1f}s")
            if lang.get("fusion"):
                line += f"; fusion: {lang['fusion']['mentions']} mention(s) in {lang['fusion']['seconds']:.1f}s"
            if lang.get("stories"):
                line += f"; stories: {lang['stories']['articles']} article(s) in {lang['stories']['seconds']:.1f}s"
            if lang.get("failed"):
                line += f", {len(lang['failed'])} failed"
        return line


def raw_hash(doc: Document) -> str:
    """Identity of an item as read: unchanged input gives the same hash on every run."""
    h = hashlib.sha256()
    for part in (doc.fmt, doc.doc_id, doc.url, doc.title, doc.outlet, doc.date_text, doc.text):
        h.update((part or "").encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


@dataclass
class _Pending:
    """The articles and duplicate items a batch has stored so far, written in bulk at its end (a few Arrow inserts
    instead of five statements an article). Until then the batch's later articles are checked against these as
    well as against the store."""

    articles: list[Article] = field(default_factory=list)
    signatures: list[tuple[bytes, Any]] = field(default_factory=list)
    article_items: list[tuple[str, str | None]] = field(default_factory=list)  # (raw hash, url), one per article
    dup_items: list[tuple[str, str, str, str, str, str | None]] = field(default_factory=list)
    by_hash: dict[str, str] = field(default_factory=dict)  # content hash -> first article id
    ids: set[str] = field(default_factory=set)
    buckets: dict[tuple[int, int], list[int]] = field(default_factory=dict)  # LSH (band, bucket) -> article index

    def candidates(self, bands: Any) -> list[tuple[str, bytes, str | None]]:
        """Pending articles sharing an LSH bucket: (id, signature, duplicate_of), as `Store.dedup_lookups` gives
        the stored ones."""
        hits = sorted({i for b in bands for i in self.buckets.get((b[0], b[1]), ())})
        return [(self.articles[i].id, self.signatures[i][0], self.articles[i].duplicate_of) for i in hits]

    def add_article(self, a: Article, signature: bytes, bands: Any, raw_hash: str, url: str | None) -> None:
        for b in bands:
            self.buckets.setdefault((b[0], b[1]), []).append(len(self.articles))
        self.articles.append(a)
        self.signatures.append((signature, bands))
        self.article_items.append((raw_hash, url))
        if a.content_hash not in self.by_hash or a.id < self.by_hash[a.content_hash]:
            self.by_hash[a.content_hash] = a.id
        self.ids.add(a.id)

    def add_duplicate(self, a: Article, raw_hash: str, same: str, url: str | None) -> None:
        self.dup_items.append((a.source, a.locator, raw_hash, same, "duplicate", url))


class Ingestor:
    """Runs ingest against one open store."""

    def __init__(self, store: Store, config: IngestConfig | None = None, *, cleaner: Cleaner | None = None,
                 neardup: NearDupIndex | None = None, batch_size: int = 50, progress: Progress | None = None,
                 stdin: BinaryIO | None = None, fetcher: Fetcher | None = None,
                 language: LanguageConfig | None = None, language_progress: LanguageProgress | None = None) -> None:
        self.store = store
        self.config = config or IngestConfig()
        self.cleaner = cleaner or Cleaner()
        self.neardup = neardup or NearDupIndex()
        self.batch_size = batch_size
        self.progress = progress
        self.ctx = ReadContext(self.config, store.url_known, fetcher, stdin)
        self.language = language
        self.language_progress = language_progress

    def run(self, args: list[str], command: str = "ingest") -> IngestReport:
        return self.run_items(self._read(args), command + " " + " ".join(args))

    def _read(self, args: list[str]) -> Iterator[Item | Reject]:
        """Every item of the inputs, in order (a source's old rejects are forgotten as it is read again)."""
        for inp in expand(args, self.config):
            if isinstance(inp, Reject):
                yield inp
                continue
            self.store.clear_rejects_under(inp.source)
            yield from read_input(inp, self.ctx)

    def run_items(self, items: Iterable[Item | Built], command: str,
                  annotate: Callable[[LanguageLayer, int], LanguageReport] | None = None) -> IngestReport:
        """Store `items` in order (documents, rejects, or articles already built elsewhere), committing every
        `batch_size` items; then the language layer (`annotate` replaces `LanguageLayer.run`, for annotations made
        elsewhere), fusion and stories, as after any ingest."""
        store = self.store
        report = IngestReport()
        t0 = time.perf_counter()
        report.run_id = store.start_run(command)
        # the language layer starts while items are read: its workers load their models and annotate the
        # articles each commit makes visible, between this loop's transactions
        layer = LanguageLayer(store, self.language, self.language_progress) if self.language is not None else None
        session = layer.session(report.run_id) if layer is not None and annotate is None else None
        try:
            store.begin()
            batch: list[Item | Built] = []
            # the language layer's workers start as soon as a transaction holds an item not stored yet, so they
            # load their models while that transaction is built
            new = session.start if session is not None else None
            # the stories' embedder loads in a thread once a new article is stored, while the layer runs
            embedder: Future[Any] | None = None
            try:
                for item in items:
                    batch.append(item)
                    if len(batch) >= self.batch_size:
                        self._batch(batch, report, new)
                        batch = []
                        store.commit()
                        if embedder is None and layer is not None and report.new:
                            embedder = preload_embedder()
                        if session is not None:
                            session.feed()
                        store.begin()
                self._batch(batch, report, new)
                store.commit()
            except BaseException:
                store.rollback()
                raise
            if store.fts_dirty():
                store.rebuild_fts()
            report.index = store.index_bytes()
            if layer is not None:
                # every article not yet done: this run's and any a killed run left
                lang = annotate(layer, report.run_id) if annotate is not None else session.finish()  # type: ignore[union-attr]
                report.language = lang.to_dict()
                # then fused events and stories, for this run's articles and any a killed run left unfused
                report.language.update(refresh(store, events=self.language.events,  # type: ignore[union-attr]
                                               embedder=embedder))
        finally:
            if session is not None:
                session.close()
        report.seconds = time.perf_counter() - t0
        store.finish_run(report.run_id, {k: v for k, v in report.to_dict().items() if k not in ("rejects", "new_ids")})
        return report

    def _batch(self, items: list[Item | Built], report: IngestReport, new: Callable[[], None] | None = None) -> None:
        """Store one transaction's items, in order: first every item is checked against the stored items and its
        article built; then the stored articles its articles may duplicate are looked up for the whole batch (three
        queries); then each article is stored or linked as a duplicate, in order, and the batch written in bulk.
        `new` is called once the batch is known to hold an item not stored before, before any is built."""
        if not items:
            return
        keys = [None if isinstance(it, (Reject, Skipped)) else
                (it.source, it.locator, it.raw_hash if isinstance(it, Built) else raw_hash(it)) for it in items]
        stored = self.store.items_seen([k for k in keys if k is not None])
        if new is not None and any(k is not None and k not in stored for k in keys):
            new()
        here: set[tuple[str, str, str]] = set()  # items of this batch going on to be stored
        todo: list[tuple[Article, str, str | None, Any]] = []
        for item, key in zip(items, keys):
            report.items += 1
            if isinstance(item, Reject):
                self._reject(item, report)
                continue
            if isinstance(item, Skipped):
                report.unchanged += 1
                continue
            assert key is not None
            if key in stored or key in here:
                report.unchanged += 1
                continue
            if isinstance(item, Built):
                built, minhash = item.result, item.minhash
            else:
                try:
                    built = build_article(item, self.cleaner)
                except Exception as exc:  # one bad document never sinks the batch  # noqa: BLE001
                    built = Reject(item.source, item.locator, "internal-error", f"{type(exc).__name__}: {exc}"[:500])
                minhash = None
            if isinstance(built, Reject):
                self._reject(built, report)
                continue
            here.add(key)
            todo.append((built, key[2], item.url, minhash or self.neardup.signature(built.text)))
        lookups = self.store.dedup_lookups([a.content_hash for a, *_ in todo], [a.id for a, *_ in todo],
                                           [b for *_, (_, bands) in todo for b in bands])
        pending = _Pending()
        for a, rh, url, minhash in todo:
            self._store_article(a, rh, url, report, minhash, lookups, pending)
        self.store.insert_articles(pending.articles, report.run_id, signatures=pending.signatures,
                                   items=pending.article_items)
        self.store.add_items(pending.dup_items, report.run_id)
        if self.progress:
            self.progress(report.counts())

    def _reject(self, r: Reject, report: IngestReport) -> None:
        report.rejected += 1
        if len(report.rejects) < report.MAX_LISTED:
            report.rejects.append(r.to_dict())
        self.store.put_reject(r, report.run_id)

    def _store_article(self, a: Article, rh: str, url: str | None, report: IngestReport, minhash: MinHashed,
                       lookups: tuple[dict[str, str], set[str], dict[tuple[int, int], list[Any]]], p: _Pending) -> None:
        """Store one new article of the batch, or link it to the article it duplicates (`lookups`: what the store
        holds, from `Store.dedup_lookups`; `p`: what this batch stored before it)."""
        by_hash, taken_ids, buckets = lookups
        same = min((x for x in (by_hash.get(a.content_hash), p.by_hash.get(a.content_hash)) if x is not None),
                   default=None)
        if same is not None:
            p.add_duplicate(a, rh, same, a.url or url)
            report.duplicates += 1
            return
        if a.id in taken_ids or a.id in p.ids:
            self._reject(Reject(a.source, a.locator, "id-conflict",
                                f"id {a.id!r} is already used by an article with different content"), report)
            return
        signature, bands = minhash
        stored = {c[0]: c for b in bands for c in buckets.get((b[0], b[1]), ())}
        best: tuple[float, str] | None = None
        for cid, csig, cdup in sorted([*stored.values(), *p.candidates(bands)], key=lambda c: c[0]):
            sim = self.neardup.similarity(signature, csig)
            if sim >= self.neardup.threshold and (best is None or sim > best[0]):
                best = (sim, cdup or cid)
        if best is not None:
            a.similarity, a.duplicate_of = round(best[0], 4), best[1]
            report.near_duplicates += 1
        p.add_article(a, signature, bands, rh, a.url or url)
        report.new += 1
        if len(report.new_ids) < report.MAX_LISTED:
            report.new_ids.append(a.id)

"""Running the language layer over the articles a store has not annotated yet: in this process or in worker
processes (each loads the model and the knowledge once), with one writer, the store, in this process.

Each batch's sentences, mentions and "annotated" marker are written in one transaction, so a killed run
resumes with the articles that were not finished.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Any

from rapidfuzz import fuzz

from .. import __version__
from ..events.lexicon import Lexicon
from ..events.record import pipeline_version
from ..model import Annotation
from ..resolve.knowledge import fold
from ..resolve.tables import config_dir, package_tables
from .models import DEFAULT_MODEL

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class LanguageConfig:
    model: str = DEFAULT_MODEL
    workers: int | None = None  # None: one process for small jobs, else one per core
    actor_files: tuple[str, ...] = ()
    place_files: tuple[str, ...] = ()
    batch_size: int = 16  # articles per task and per write transaction
    redo: bool = False  # re-annotate articles done with another model or other knowledge files
    events: bool = True  # code events (PLOVER/CAMEO) from the same parse
    lexicon_files: tuple[str, ...] = ()  # extra event lexicons (TSV), after the shipped and user ones
    parse: str = "events"  # "events": parse only the sentences the coder can use; "all": every sentence


@dataclass
class LanguageReport:
    articles: int = 0
    tokens: int = 0
    mentions: int = 0
    events: int = 0
    workers: int = 1
    retried: int = 0  # batches sent again after a worker process died
    seconds: float = 0.0
    model: str = ""
    failed: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"articles": self.articles, "tokens": self.tokens, "mentions": self.mentions, "events": self.events,
                "workers": self.workers, "retried": self.retried,
                "seconds": round(self.seconds, 3), "model": self.model, "failed": self.failed,
                "tokens_per_second": round(self.tokens / self.seconds) if self.seconds else None}


def knowledge_hash(cfg: LanguageConfig) -> str:
    """Identity of the knowledge files in use (package, user folder, --actors/--places, event lexicons)."""
    h = hashlib.sha256()
    if cfg.events:
        for name in ("events/ontology.toml", "events/cues.toml", "events/irregular.tsv"):
            h.update(resources.files("sitrep.data").joinpath(name).read_bytes())
        h.update(Lexicon.load(cfg.lexicon_files).digest.encode())
    for folder in ("actors", "places"):
        for name, text in package_tables(folder):
            h.update(name.encode())
            h.update(text.encode())
        user = config_dir() / folder
        if user.is_dir():
            for p in sorted(user.glob("*.tsv")):
                h.update(p.read_bytes())
    for p in (*cfg.actor_files, *cfg.place_files):
        with open(p, "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()[:16]


# -- worker side: one Annotator per process -----------------------------------------------------------
_ANNOTATOR: Any = None


def make_annotator(cfg: LanguageConfig, nlp: Any = None) -> Any:
    """The annotator a config asks for, with the event coder when events are on."""
    from ..events.coder import EventCoder
    from .annotate import Annotator

    coder = EventCoder(Lexicon.load(cfg.lexicon_files)) if cfg.events else None
    return Annotator(cfg.model, actor_files=cfg.actor_files, place_files=cfg.place_files, nlp=nlp, coder=coder,
                     parse=cfg.parse)


def _init_worker(cfg: LanguageConfig) -> None:
    global _ANNOTATOR  # per-process cache of the loaded model, set once by the pool initializer
    _ANNOTATOR = make_annotator(cfg)


def _started() -> int:
    return os.getpid()


def _annotate_batch(batch: list[tuple[str, str, date | None]]) -> list[Annotation | tuple[str, str]]:
    return list(annotate_items(_ANNOTATOR, batch))


def annotate_items(annotator: Any, batch: list[tuple[str, str, date | None]]) -> Iterator[Annotation | tuple[str, str]]:
    """Annotate a batch; an article that fails yields (id, error) instead of sinking the batch."""
    done: set[str] = set()
    try:
        for ann in annotator.annotate_many(batch):
            done.add(ann.article_id)
            yield ann
        return
    except Exception:  # noqa: BLE001 - retry the rest one by one to isolate the bad article
        pass
    for aid, text, published in batch:
        if aid in done:
            continue
        try:
            yield annotator.annotate(text, published, aid)
        except Exception as exc:  # noqa: BLE001
            yield (aid, f"{type(exc).__name__}: {exc}"[:500])


def pooled(pool: ProcessPoolExecutor, fn: Callable[[Any], Any], tasks: Iterator[Any], workers: int,
           ordered: bool = False) -> Iterator[Any]:
    """Run `fn` over `tasks` in the pool with at most two tasks per worker in flight (bounded memory), yielding
    results as they finish, or in task order with `ordered`."""
    inflight: list[Future[Any]] = []
    exhausted = False
    while True:
        while not exhausted and len(inflight) < 2 * workers:
            t = next(tasks, None)
            if t is None:
                exhausted = True
                break
            inflight.append(pool.submit(fn, t))
        if not inflight:
            return
        if ordered:
            yield inflight.pop(0).result()
            continue
        done, _ = wait(inflight, return_when=FIRST_COMPLETED)
        for f in [f for f in inflight if f in done]:
            inflight.remove(f)
            yield f.result()


class Session:
    """One run of the language layer. Fed while ingest reads: once `START_POOL_AT` articles wait (or workers were
    asked for), worker processes start, so models load while the rest is read, and full batches of committed
    articles go to them between ingest's transactions; `finish` hands over the rest and writes everything.

    A worker that dies (killed, out of memory, a crash in native code) costs a retry of the batches in flight, in
    a new pool, not the run; a batch that kills its worker `MAX_TRIES` times is split into single articles, and an
    article that still kills it is recorded as failed with the reason."""

    START_POOL_AT = 64
    MAX_TRIES = 3
    MAX_BATCH_CHARS = 100_000
    MIN_TAIL_BATCH = 4

    def __init__(self, layer: "LanguageLayer", run_id: int | None, annotator: Any = None,
                 ids: list[str] | None = None) -> None:
        cfg = layer.config
        self.layer, self.store, self.cfg, self.run_id = layer, layer.store, cfg, run_id
        self.t0 = time.perf_counter()
        self.knowledge = knowledge_hash(cfg)
        self.model_id = ""
        if cfg.redo:
            from .models import check_model, model_version_from_meta

            self.model_id = annotator.model if annotator is not None else model_version_from_meta(check_model(cfg.model))
        self.fixed = ids
        self.annotator = annotator
        self.report = LanguageReport()
        self.pool: ProcessPoolExecutor | None = None
        self.workers = 0
        self.inflight: dict[Future[Any], list[str]] = {}
        self.tries: dict[tuple[str, ...], int] = {}
        self.queued: set[str] = set()  # handed to a worker or written in this run
        self.retried = 0

    # -- what is waiting ----------------------------------------------------------------------------------
    def _waiting(self) -> list[str]:
        ids = self.fixed if self.fixed is not None else self.store.pending_annotation(
            self.model_id, self.knowledge, redo=self.cfg.redo)
        return [i for i in ids if i not in self.queued]

    def start(self) -> None:
        """New articles are on their way: start the worker processes now when the caller asked for more than one, so
        they load their models while the articles are read and built (with the default, `workers=None`, `feed`
        starts them once `START_POOL_AT` articles wait)."""
        if self.pool is None and self.cfg.workers is not None and self.cfg.workers > 1:
            self._start(self.cfg.workers)

    def feed(self) -> None:
        """Between two ingest transactions: start workers when enough articles wait, hand them full batches, and
        write the batches they finished. Never waits for a worker."""
        if self.cfg.workers == 1:
            return  # one process: the layer runs after reading, in this process
        waiting = self._waiting()
        if self.pool is None:
            if not waiting or (len(waiting) < self.START_POOL_AT and self.cfg.workers is None):
                return
            self._start(self.cfg.workers or os.cpu_count() or 1)
        self._submit(waiting, full_only=True)
        self._collect(block=False)

    def finish(self) -> LanguageReport:
        cfg, report = self.cfg, self.report
        waiting = self._waiting()
        if self.pool is None:
            n = len(waiting)
            if not n:
                return report
            workers = cfg.workers or (1 if n < self.START_POOL_AT else (os.cpu_count() or 1))
            workers = max(1, min(workers, (n + cfg.batch_size - 1) // cfg.batch_size))
            if workers == 1:
                self._in_process(waiting)
                report.seconds = time.perf_counter() - self.t0
                return report
            self._start(workers)
        waiting = self.longest_first(waiting)
        try:
            while waiting or self.inflight:
                self._submit(waiting, full_only=False)
                waiting = [i for i in waiting if i not in self.queued]
                self._collect(block=True)
        finally:
            self._stop()
        report.seconds = time.perf_counter() - self.t0
        return report

    def longest_first(self, ids: list[str]) -> list[str]:
        """The articles to hand out last, longest text first (ties in their order), so that the workers end on
        short ones and finish together: one long page left for the end would keep one worker busy alone."""
        lengths = self.store.text_lengths(ids) if len(ids) > 1 else {}
        return sorted(ids, key=lambda i: -lengths.get(i, 0))

    # -- one process ----------------------------------------------------------------------------------------
    def _in_process(self, ids: list[str]) -> None:
        self.report.workers = 1
        annotator = self.annotator or make_annotator(self.cfg)
        size = self.cfg.batch_size
        batches = (ids[i:i + size] for i in range(0, len(ids), size))
        results = (list(annotate_items(annotator, self.store.texts_for(b))) for b in batches)
        self.layer.write_results(results, self.knowledge, self.run_id, self.report, len(ids))

    # -- worker processes ----------------------------------------------------------------------------------
    def _start(self, workers: int) -> None:
        self.workers = workers
        self.report.workers = workers
        ctx = multiprocessing.get_context("spawn")
        self.pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(self.cfg,))
        # the pool spawns a process per task submitted while none is idle: one empty task each starts every worker
        # now, so all of them load their model while this process goes on reading
        for _ in range(workers):
            self.pool.submit(_started)

    def _stop(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def close(self) -> None:
        """Stop the workers (after `finish`, or when the caller failed while feeding)."""
        self.inflight.clear()
        self._stop()

    def _submit(self, waiting: list[str], full_only: bool) -> None:
        size = self.cfg.batch_size
        if not full_only:  # the last batches: smaller, so that the workers finish together
            size = min(size, max(self.MIN_TAIL_BATCH, -(-len(waiting) // (2 * self.workers))))
        pos = 0
        while len(self.inflight) < 2 * self.workers and pos < len(waiting):
            batch = waiting[pos:pos + size]
            if full_only and len(batch) < size:
                break
            pos += len(batch)
            self._send(batch)

    def _send(self, batch: list[str]) -> None:
        """Submit a batch, cut where it holds more than `MAX_BATCH_CHARS` of text: a very long page goes alone,
        and the articles after it are not held up behind it."""
        texts = self.store.texts_for(batch)
        part: list[tuple[str, str, Any]] = []
        size = 0
        for t in texts:
            if part and size + len(t[1]) > self.MAX_BATCH_CHARS:
                self._submit_texts(part)
                part, size = [], 0
            part.append(t)
            size += len(t[1])
        if part:
            self._submit_texts(part)
        self.queued.update(batch)

    def _submit_texts(self, texts: list[tuple[str, str, Any]]) -> None:
        assert self.pool is not None
        try:
            future = self.pool.submit(_annotate_batch, texts)
        except BrokenProcessPool:  # a worker died while nothing was in flight: the batches in flight are lost too
            self._recover([])
            assert self.pool is not None
            future = self.pool.submit(_annotate_batch, texts)
        self.inflight[future] = [t[0] for t in texts]

    def _collect(self, block: bool) -> None:
        if not self.inflight:
            return
        if block:
            wait(list(self.inflight), return_when=FIRST_COMPLETED)
        lost: list[list[str]] = []
        for f in [f for f in self.inflight if f.done()]:
            batch = self.inflight.pop(f)
            try:
                result = f.result()
            except BrokenProcessPool:
                lost.append(batch)
                continue
            self.layer.write_results([result], self.knowledge, self.run_id, self.report, len(self.queued))
        if lost:
            self._recover(lost)

    def _recover(self, lost: list[list[str]]) -> None:
        """A worker died: every batch in flight is lost with the pool. Start a new pool and send them again."""
        lost += list(self.inflight.values())
        self.inflight.clear()
        assert self.pool is not None
        self.pool.shutdown(wait=True, cancel_futures=True)
        self._start(self.workers)
        for batch in lost:
            key = tuple(batch)
            self.tries[key] = self.tries.get(key, 1) + 1
            self.retried += 1
            self.report.retried = self.retried
            if self.tries[key] <= self.MAX_TRIES:
                self._send(batch)
            elif len(batch) > 1:
                for one in batch:
                    self._send([one])
            else:
                self.report.failed.append({"article_id": batch[0], "error": f"the worker process died on this "
                                           f"article {self.MAX_TRIES} times (killed, out of memory or crashed)"})


def surname_block(name: str) -> str:
    """A consonant skeleton of the surname: Soleimani, Suleimani and Soleymani share 'slmn'."""
    parts = fold(name).split()
    last = re.sub(r"[^a-z]", "", parts[-1] if parts else "")
    last = re.sub(r"^(al|el)(?=[a-z]{3})", "", last)
    skel = re.sub(r"[aeiouyhw]", "", last[1:])
    skel = re.sub(r"(.)\1+", r"\1", (last[:1] + skel))
    return skel[:5] or last


class LanguageLayer:
    def __init__(self, store: Any, config: LanguageConfig | None = None, progress: Progress | None = None) -> None:
        self.store = store
        self.config = config or LanguageConfig()
        self.progress = progress

    def run(self, run_id: int | None = None, annotator: Any = None, ids: list[str] | None = None) -> LanguageReport:
        """Annotate (and code) the articles not done yet, or exactly `ids` (`sitrep recode`)."""
        return self.session(run_id, annotator, ids).finish()

    def session(self, run_id: int | None = None, annotator: Any = None, ids: list[str] | None = None) -> "Session":
        """A run that ingest can feed while it reads (`Session.feed` between its transactions), then `finish`."""
        return Session(self, run_id, annotator, ids)

    def write_results(self, results: Iterable[list[Any]], knowledge: str, run_id: int | None,
                   report: LanguageReport, total: int) -> None:
        for result in results:
            anns = [r for r in result if isinstance(r, Annotation)]
            for r in result:
                if not isinstance(r, Annotation):
                    report.failed.append({"article_id": r[0], "error": r[1]})
            self.store.begin()
            try:
                self._link_people(anns)
                version = pipeline_version(__version__, anns[0].model, knowledge) if anns else None
                self.store.put_annotations(anns, knowledge, run_id, version)
                self.store.commit()
            except BaseException:
                self.store.rollback()
                raise
            for a in anns:
                report.articles += 1
                report.tokens += a.tokens
                report.mentions += len(a.mentions)
                report.events += len(a.events)
                report.model = a.model
            if self.progress:
                self.progress(report.articles, total)

    def _link_people(self, anns: list[Annotation]) -> None:
        """Give people the dictionary does not know one identity across articles (spelling variants included).
        One query for the batch's surname blocks and one insert of the new identities; articles are linked in
        order, each seeing the identities the ones before it added."""
        people = [m for a in anns for m in a.mentions
                  if m.kind == "actor" and (m.actor_id or "").startswith("person:")]
        if not people:
            return
        known = self.store.person_identities_in(sorted({surname_block(m.name or m.text) for m in people}))
        stored = self.store.person_ids_known(sorted({m.actor_id or "" for m in people}))
        added: list[tuple[str, str, str | None, str]] = []
        for ann in anns:
            local: dict[str, str] = {}
            for m in ann.mentions:
                if m.kind != "actor" or not (m.actor_id or "").startswith("person:"):
                    continue
                key = m.actor_id or ""
                if key in local:
                    m.actor_id = local[key]
                    continue
                name = m.name or m.text
                block = surname_block(name)
                best = None
                for pid, pname, pcountry in known[block]:
                    if m.country and pcountry and m.country != pcountry:
                        continue
                    score = fuzz.token_sort_ratio(fold(name), fold(pname))
                    if pid == key:
                        score = 101
                    if score >= 85 and (best is None or score > best[0]):
                        best = (score, pid, pname)
                if best is None:
                    if key not in stored:  # as the insert below will: a stored id keeps its first name and block
                        stored.add(key)
                        known[block].append((key, name, m.country))
                        added.append((key, name, m.country, block))
                    local[key] = key
                else:
                    local[key] = best[1]
                    m.actor_id = best[1]
                    m.name = best[2]
        self.store.add_person_identities(added)

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


@dataclass
class LanguageReport:
    articles: int = 0
    tokens: int = 0
    mentions: int = 0
    events: int = 0
    workers: int = 1
    seconds: float = 0.0
    model: str = ""
    failed: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"articles": self.articles, "tokens": self.tokens, "mentions": self.mentions, "events": self.events,
                "workers": self.workers,
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
    return Annotator(cfg.model, actor_files=cfg.actor_files, place_files=cfg.place_files, nlp=nlp, coder=coder)


def _init_worker(cfg: LanguageConfig) -> None:
    global _ANNOTATOR  # per-process cache of the loaded model, set once by the pool initializer
    _ANNOTATOR = make_annotator(cfg)


def _annotate_batch(batch: list[tuple[str, str, date | None]]) -> list[Annotation | tuple[str, str]]:
    return list(annotate_items(_ANNOTATOR, batch))


def annotate_items(annotator: Any, batch: list[tuple[str, str, date | None]]) -> Iterator[Annotation | tuple[str, str]]:
    """Annotate a batch; an article that fails yields (id, error) instead of sinking the batch."""
    try:
        yield from annotator.annotate_many(batch)
        return
    except Exception:  # noqa: BLE001 - retry one by one to isolate the bad article
        pass
    for aid, text, published in batch:
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
        cfg = self.config
        t0 = time.perf_counter()
        knowledge = knowledge_hash(cfg)
        from .models import check_model, model_version_from_meta

        report = LanguageReport()
        model_id = None
        if cfg.redo:
            model_id = annotator.model if annotator is not None else model_version_from_meta(check_model(cfg.model))
        if ids is None:
            ids = self.store.pending_annotation(model_id or "", knowledge, redo=cfg.redo)
        if not ids:
            return report
        workers = cfg.workers or (1 if len(ids) < 64 else (os.cpu_count() or 1))
        workers = max(1, min(workers, (len(ids) + cfg.batch_size - 1) // cfg.batch_size))
        report.workers = workers
        batches = (ids[i:i + cfg.batch_size] for i in range(0, len(ids), cfg.batch_size))
        if workers == 1:
            if annotator is None:
                annotator = make_annotator(cfg)
            results: Iterable[list[Any]] = (list(annotate_items(annotator, self.store.texts_for(b))) for b in batches)
            self.write_results(results, knowledge, run_id, report, len(ids))
        else:
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                     initargs=(cfg,)) as pool:
                self.write_results(self._pooled(pool, batches, workers), knowledge, run_id, report, len(ids))
        report.seconds = time.perf_counter() - t0
        return report

    def _pooled(self, pool: ProcessPoolExecutor, batches: Iterator[list[str]], workers: int) -> Iterator[list[Any]]:
        return pooled(pool, _annotate_batch, (self.store.texts_for(b) for b in batches), workers)

    def write_results(self, results: Iterable[list[Any]], knowledge: str, run_id: int | None,
                   report: LanguageReport, total: int) -> None:
        for result in results:
            anns = [r for r in result if isinstance(r, Annotation)]
            for r in result:
                if not isinstance(r, Annotation):
                    report.failed.append({"article_id": r[0], "error": r[1]})
            self.store.begin()
            try:
                for a in anns:
                    self._link_people(a)
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

    def _link_people(self, ann: Annotation) -> None:
        """Give people the dictionary does not know one identity across articles (spelling variants included)."""
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
            for pid, pname, pcountry in self.store.person_identities(block):
                if m.country and pcountry and m.country != pcountry:
                    continue
                score = fuzz.token_sort_ratio(fold(name), fold(pname))
                if pid == key:
                    score = 101
                if score >= 85 and (best is None or score > best[0]):
                    best = (score, pid, pname)
            if best is None:
                self.store.add_person_identity(key, name, m.country, block)
                local[key] = key
            else:
                local[key] = best[1]
                m.actor_id = best[1]
                m.name = best[2]

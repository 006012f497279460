"""`sitrep load`: merge the partitions of `sitrep process` runs into a store, idempotently, with the code of a local
ingest: the Ingestor stores the articles (exact and near-duplicates, items, rejects) in input order, the language
layer's `write_results` stores the annotations (linking people across articles) in the order ingest would, then
fusion and stories run as after any ingest."""
from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from itertools import groupby
from typing import Any

from ..ingest.dedup import NearDupIndex
from ..ingest.pipeline import Built, IngestReport, Ingestor, Progress
from ..model import Annotation, Reject
from ..nlp.layer import LanguageConfig, LanguageLayer, LanguageReport, annotate_items, knowledge_hash, make_annotator
from ..nlp.layer import Progress as LanguageProgress
from .partitions import Layout, annotation_from_rows, built_from_article, reject_from_row, seq_label, split_seq

ArticleKey = tuple[str, str, str, str]  # id, source, locator, content_hash
Where = tuple[str, str, int]  # run, part, seq


class LoadError(Exception):
    """A problem with the partitions the user can act on (one line)."""


@dataclass
class LoadReport(IngestReport):
    runs: list[str] = field(default_factory=list)
    skipped_runs: list[dict[str, str]] = field(default_factory=list)
    annotations_from_partitions: int = 0
    annotated_here: int = 0  # articles the partitions had no annotation for (or a failed one), annotated by load

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "runs": self.runs, "skipped_runs": self.skipped_runs,
                "annotations_from_partitions": self.annotations_from_partitions, "annotated_here": self.annotated_here}

    def summary_line(self) -> str:
        line = f"loaded run(s) {', '.join(self.runs) or '(none)'}: " + super().summary_line()
        if self.skipped_runs:
            line += "; skipped: " + ", ".join(f"{r['run']} ({r['reason']})" for r in self.skipped_runs)
        return line


class _Parts:
    """A few partition files at a time, decoded and grouped by seq (loading goes through them in order)."""

    def __init__(self, layout: Layout, tables: tuple[str, ...], keep: int = 8) -> None:
        self.layout, self.tables, self.keep = layout, tables, keep
        self.cache: OrderedDict[tuple[str, str], dict[str, dict[int, list[dict[str, Any]]]]] = OrderedDict()

    def get(self, run: str, part: str) -> dict[str, dict[int, list[dict[str, Any]]]]:
        key = (run, part)
        if key in self.cache:
            self.cache.move_to_end(key)
            return self.cache[key]
        out: dict[str, dict[int, list[dict[str, Any]]]] = {}
        for t in self.tables:
            by_seq: dict[int, list[dict[str, Any]]] = {}
            if self.layout.exists(t, run, part):
                for r in self.layout.read(t, run, part).to_pylist():
                    by_seq.setdefault(r["seq"], []).append(r)
            out[t] = by_seq
        self.cache[key] = out
        if len(self.cache) > self.keep:
            self.cache.popitem(last=False)
        return out


def _language(manifest: dict[str, Any]) -> LanguageConfig | None:
    lang = manifest.get("language")
    if lang is None:
        return None
    known = {f.name for f in fields(LanguageConfig)}  # a setting another sitrep version wrote is left out
    return LanguageConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in lang.items() if k in known})


class Loader:
    """Loads the runs of one `sitrep process` output folder into an open store."""

    def __init__(self, store: Any, location: str, *, runs: list[str] | None = None, partial: bool = False,
                 batch_size: int = 50, progress: Progress | None = None,
                 language_progress: LanguageProgress | None = None) -> None:
        try:
            self.layout = Layout(location)
        except ValueError as exc:
            raise LoadError(str(exc)) from exc
        self.store, self.location = store, location
        self.batch_size, self.progress, self.language_progress = batch_size, progress, language_progress
        found = self.layout.runs()
        if not found:
            raise LoadError(f"no `sitrep process` output in {location} (no _runs/ manifests)")
        unknown = [r for r in runs or () if r not in found]
        if unknown:
            raise LoadError(f"no run {unknown[0]!r} in {location}; runs there: {', '.join(found)}")
        self.runs: list[str] = []
        self.skipped: list[dict[str, str]] = []
        self.manifests: dict[str, dict[str, Any]] = {}
        for r in found:
            if runs and r not in runs:
                continue
            m = self.layout.manifest(r) or {}
            if not m.get("finished") and not partial:
                self.skipped.append({"run": r, "reason": "not finished: resume it with the same `sitrep process` "
                                                          "command, or load its finished batches with --partial"})
                continue
            self.runs.append(r)
            self.manifests[r] = m
        self.language = None
        for r in self.runs:  # the language settings of the latest run that had the layer on
            self.language = _language(self.manifests[r]) or self.language
        self.where: dict[ArticleKey, Where] = {}
        self._annotator: Any = None
        self._local_knowledge: str | None = None

    # -- articles and rejects, in input order ------------------------------------------------------------------
    def _index(self, run: str) -> list[tuple[int, str]]:
        """(seq, part) of every committed item of a run, in input order; an item committed twice counts once."""
        cols = self.layout.batches(run).to_pydict()
        seen: dict[int, str] = {}
        for part, seqs in sorted(zip(cols["part"], cols["seqs"])):
            for s in seqs:
                seen.setdefault(s, part)
        return sorted(seen.items())

    def items(self) -> Iterator[Built | Reject]:
        parts = _Parts(self.layout, ("articles", "rejects"))
        for run in self.runs:
            m = self.manifests[run]
            units = m.get("units") or []
            same_minhash = m.get("neardup") == asdict(NearDupIndex())
            prev = -1
            for seq, part in self._index(run):
                k, _ = split_seq(seq)
                while prev < k:  # as ingest does before reading an input: forget its old rejects
                    prev += 1
                    if prev < len(units) and units[prev]["kind"] != "reject":
                        self.store.clear_rejects_under(units[prev]["source"])
                got = parts.get(run, part)
                if seq not in got["articles"] and seq not in got["rejects"]:
                    raise LoadError(f"{part} of run {run} in {self.location} lists item {seq_label(seq)} but its "
                                    f"article or reject file lacks it: the partitions were changed or damaged")
                if seq in got["articles"]:
                    row = got["articles"][seq][0]
                    built = built_from_article(row)
                    if not same_minhash:
                        built.minhash = None
                    a = built.result
                    self.where.setdefault((a.id, a.source, a.locator, a.content_hash), (run, part, seq))
                    yield built
                else:
                    yield reject_from_row(got["rejects"][seq][0])
            if m.get("finished"):
                for u in units[prev + 1:]:
                    if u["kind"] != "reject":
                        self.store.clear_rejects_under(u["source"])

    # -- annotations, in the order ingest writes them ----------------------------------------------------------
    def annotate(self, layer: LanguageLayer, run_id: int | None) -> LanguageReport:
        """What `LanguageLayer.run` does after an ingest, with the annotations the partitions hold: the pending
        articles, in the layer's order, written by `write_results`. An article without one (or whose annotation
        failed) is annotated here, in its place, by the same annotator code."""
        t0 = time.perf_counter()
        report = LanguageReport()
        ids = self.store.pending_annotation("", "")
        if not ids:
            return report
        cfg = layer.config

        def batches(group: Iterator[tuple[str, Any]]) -> Iterator[list[Any]]:
            batch: list[Any] = []
            for _, res in group:
                batch.append(res)
                if len(batch) >= cfg.batch_size:
                    yield batch
                    batch = []
            if batch:
                yield batch

        # consecutive articles annotated with the same knowledge are written together, in batches as the layer does
        for knowledge, group in groupby(self._results(ids, cfg), key=lambda t: t[0]):
            layer.write_results(batches(group), knowledge, run_id, report, len(ids))
        report.seconds = time.perf_counter() - t0
        return report

    def _results(self, ids: list[str], cfg: LanguageConfig) -> Iterator[tuple[str, Annotation | tuple[str, str]]]:
        parts = _Parts(self.layout, ("annotated", "sentences", "mentions", "events"))
        for i in range(0, len(ids), cfg.batch_size):
            chunk = ids[i:i + cfg.batch_size]
            keys = self.store.article_origins(chunk)
            found: dict[str, tuple[str, Annotation]] = {}
            for aid in chunk:
                where = self.where.get((aid, *keys[aid]))
                if where is None:
                    continue
                run, part, seq = where
                got = parts.get(run, part)
                rows = got["annotated"].get(seq)
                if not rows:
                    continue
                res = annotation_from_rows(rows[0], got["sentences"].get(seq, []), got["mentions"].get(seq, []),
                                           got["events"].get(seq, []))
                if isinstance(res, Annotation):
                    found[aid] = (self.manifests[run]["knowledge"], res)
            missing = [aid for aid in chunk if aid not in found]
            here: dict[str, Annotation | tuple[str, str]] = {}
            if missing:
                annotator, knowledge = self._local(cfg)
                texts = self.store.texts_for(missing)
                for (aid, _, _), res in zip(texts, list(annotate_items(annotator, texts))[-len(texts):]):
                    here[aid] = res
            for aid in chunk:
                if aid in found:
                    self._counts["partitions"] += 1
                    yield found[aid]
                else:
                    self._counts["here"] += 1
                    yield (self._local_knowledge or "", here[aid])

    _counts: dict[str, int]

    def _local(self, cfg: LanguageConfig) -> tuple[Any, str]:
        if self._annotator is None:
            self._annotator = make_annotator(cfg)
            self._local_knowledge = knowledge_hash(cfg)
        return self._annotator, self._local_knowledge or ""

    def run(self, ingestor_factory: Callable[..., Ingestor] = Ingestor) -> LoadReport:
        self._counts = {"partitions": 0, "here": 0}
        ing = ingestor_factory(self.store, batch_size=self.batch_size, progress=self.progress,
                               language=self.language, language_progress=self.language_progress)
        report = ing.run_items(self.items(), f"load {self.location}" + "".join(f" --run {r}" for r in self.runs),
                               annotate=self.annotate)
        out = LoadReport(**vars(report), runs=self.runs, skipped_runs=self.skipped,
                         annotations_from_partitions=self._counts["partitions"], annotated_here=self._counts["here"])
        return out


def load(store: Any, location: str, **kw: Any) -> LoadReport:
    """Merge the finished runs under `location` (or `runs=[...]`) into `store`; see `Loader`."""
    return Loader(store, location, **kw).run()

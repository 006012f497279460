"""The stateless batch coder behind `sitrep code`: JSON items in, event records out, no database.

Each item is `{"id", "text", "date"?, "title"?, "outlet"?}`; the text is taken as given, so evidence offsets
point into it. Bad items are reported, never fatal; with several workers each process loads the model once.
"""
from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from .. import __version__
from ..model import Annotation
from ..nlp import layer
from ..nlp.layer import LanguageConfig, annotate_items, knowledge_hash, make_annotator, pooled
from ..nlp.models import check_model, model_version_from_meta
from .record import pipeline_version, to_record


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    date: date | None
    outlet: str | None


class BadItem(ValueError):
    """An input line that cannot be coded, with the reason."""


def parse_item(line: str) -> Item:
    """One JSONL line as an item; raises BadItem with a clear reason."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadItem(f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(obj, dict):
        raise BadItem("not a JSON object")
    ident = obj.get("id")
    if not isinstance(ident, (str, int)) or isinstance(ident, bool) or str(ident) == "":
        raise BadItem("needs an \"id\" (string or integer)")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BadItem(f"item {ident}: needs a non-empty \"text\" string")
    when = None
    if obj.get("date") not in (None, ""):
        try:
            when = date.fromisoformat(str(obj["date"])[:10])
        except ValueError:
            raise BadItem(f"item {ident}: \"date\" {obj['date']!r} is not YYYY-MM-DD") from None
    outlet = obj.get("outlet")
    return Item(str(ident), text, when, outlet if isinstance(outlet, str) and outlet else None)


def _records(ann: Annotation, item: Item, version: str) -> list[dict[str, Any]]:
    pub = item.date.isoformat() if item.date else None
    return [to_record(ev, text=item.text, source=item.id, outlet=item.outlet, published=pub, version=version)
            for ev in ann.events if ev.actor]  # actor-less mentions only serve fusion in a store


def _code_batch(task: tuple[str, list[Item]]) -> list[tuple[str, list[dict[str, Any]] | str]]:
    """Worker side: (id, records) per item, or (id, error) for an item that failed."""
    version, batch = task
    return _code_with(layer._ANNOTATOR, batch, version)


def _code_with(annotator: Any, batch: list[Item], version: str) -> list[tuple[str, list[dict[str, Any]] | str]]:
    by_id = {i.id: i for i in batch}
    out: list[tuple[str, list[dict[str, Any]] | str]] = []
    for r in annotate_items(annotator, [(i.id, i.text, i.date) for i in batch]):
        if isinstance(r, Annotation):
            out.append((r.article_id, _records(r, by_id[r.article_id], version)))
        else:
            out.append((r[0], r[1]))
    return out


def code_items(items: Iterable[Item], cfg: LanguageConfig | None = None, batch_size: int = 16,
               annotator: Any = None) -> Iterator[tuple[str, list[dict[str, Any]] | str]]:
    """(id, event records) per item in input order, or (id, error message) for an item that failed.

    Items with the same id in one batch are coded separately (ids need not be unique)."""
    cfg = cfg or LanguageConfig()
    version = pipeline_version(__version__, model_version_from_meta(check_model(cfg.model)), knowledge_hash(cfg))
    batches = _batches(items, batch_size)
    workers = cfg.workers or 1
    if workers == 1:
        annotator = annotator or make_annotator(cfg)
        for b in batches:
            yield from _code_with(annotator, b, version)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=layer._init_worker, initargs=(cfg,)) as pool:
        for result in pooled(pool, _code_batch, ((version, b) for b in batches), workers, ordered=True):
            yield from result


def _batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    batch: list[Item] = []
    ids: set[str] = set()
    for it in items:
        if it.id in ids or len(batch) >= size:  # one id per batch, so results map back unambiguously
            yield batch
            batch, ids = [], set()
        batch.append(it)
        ids.add(it.id)
    if batch:
        yield batch

"""Coarse part-of-speech from the tagger's fine tags, as the pipeline's attribute ruler sets it, without its
Matcher: the ruler's POS rules only, evaluated as array masks over a whole batch of docs, later rules winning as
in the ruler. MORPH and LEMMA, which nothing in sitrep reads, are left unset. Several times cheaper than the ruler."""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import numpy
from spacy.attrs import DEP, IS_SPACE, LOWER, POS, TAG
from spacy.parts_of_speech import IDS as POS_IDS

COLUMNS = {"TAG": 0, "LOWER": 1, "DEP": 2, "IS_SPACE": 3}
READ = [TAG, LOWER, DEP, IS_SPACE]


class TagPos:
    """A pipeline step equivalent, for `pos_`, to the attribute ruler it is built from (checked token for token
    by tests/test_language.py)."""

    def __init__(self, ruler: Any) -> None:
        strings = ruler.vocab.strings
        # (per-token conditions [(column, kind, value)], index of the token set, POS id), in the ruler's order
        self.rules: list[tuple[list[list[tuple[int, str, Any]]], int, int]] = []
        for p in ruler.patterns:
            pos = p["attrs"].get("POS")
            if pos is None:
                continue
            for pat in p["patterns"]:
                conds = [[(COLUMNS[k], *self._test(k, v, strings)) for k, v in tok.items()] for tok in pat]
                self.rules.append((conds, int(p.get("index", 0)), POS_IDS[pos]))

    @staticmethod
    def _test(key: str, value: Any, strings: Any) -> tuple[str, Any]:
        if key not in COLUMNS:
            raise ValueError(f"attribute-ruler condition on {key} is not supported")
        if key == "IS_SPACE":
            return "eq", int(bool(value))
        if isinstance(value, str):
            return "eq", strings.add(value)
        if isinstance(value, dict) and set(value) == {"IN"}:
            return "in", numpy.array([strings.add(v) for v in value["IN"]], dtype="uint64")
        if isinstance(value, dict) and set(value) == {"NOT_IN"}:
            return "not_in", numpy.array([strings.add(v) for v in value["NOT_IN"]], dtype="uint64")
        if isinstance(value, dict) and set(value) == {"REGEX"}:
            return "re", re.compile(value["REGEX"])
        raise ValueError(f"attribute-ruler condition {key}={value!r} is not supported")

    def __call__(self, doc: Any) -> Any:
        self._batch([doc])
        return doc

    def pipe(self, docs: Iterable[Any], batch_size: int = 256) -> Iterator[Any]:
        batch: list[Any] = []
        for d in docs:
            batch.append(d)
            if len(batch) >= max(batch_size, 64):
                self._batch(batch)
                yield from batch
                batch = []
        if batch:
            self._batch(batch)
            yield from batch

    def _batch(self, docs: list[Any]) -> None:
        docs_ = [d for d in docs if len(d)]
        if not docs_:
            return
        big = numpy.concatenate([d.to_array(READ).astype("uint64") for d in docs_])
        pos = numpy.concatenate([d.to_array([POS]).astype("uint64").reshape(-1) for d in docs_])
        lengths = [len(d) for d in docs_]
        doc_of = numpy.repeat(numpy.arange(len(docs_)), lengths)
        n = len(big)
        strings = docs_[0].vocab.strings
        for conds, index, pos_id in self.rules:
            span = len(conds)
            if span > n:
                continue
            m = numpy.ones(n - span + 1, dtype=bool)
            for k, tok in enumerate(conds):
                for col, kind, want in tok:
                    m &= self._mask(big[:, col], kind, want, strings)[k:n - span + 1 + k]
            if span > 1:
                m &= doc_of[:n - span + 1] == doc_of[span - 1:]  # never across two docs
            hits = numpy.flatnonzero(m)
            if len(hits):
                pos[hits + (index if index >= 0 else span + index)] = pos_id
        start = 0
        for d, ln in zip(docs_, lengths):
            d.from_array([POS], pos[start:start + ln])
            start += ln

    @staticmethod
    def _mask(col: Any, kind: str, want: Any, strings: Any) -> Any:
        if kind == "eq":
            return col == want
        if kind == "in":
            return numpy.isin(col, want)
        if kind == "not_in":
            return ~numpy.isin(col, want)
        uniq = numpy.unique(col)
        good = numpy.array([u for u in uniq.tolist() if want.search(strings[u])], dtype="uint64")
        return numpy.isin(col, good)

"""The vocabulary of sitrep: the typed records that flow from one pipeline stage to the next.

Every stage is a plain function from one of these records to the next; none holds global state.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class RemovedSpan:
    """A stretch of the raw text that cleanup cut out, and why.

    `start`/`end` are character offsets into the raw text; `at` is the offset in the clean text where
    the cut sits (so a reader can show what was removed, where).
    """

    start: int
    end: int
    at: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Document:
    """One input item after reading, before cleanup: the text a reader found plus what the input said about it.

    `source` is the input path or URL exactly as given (provenance); `locator` says where inside the
    source the item sits ("line 3", "record 2", "entry 1", or "" for a whole file).
    """

    source: str
    locator: str
    fmt: str  # txt, md, html, jsonl, rss, warc, url, stdin-...
    text: str  # the raw text (for HTML: the text the extractor found, before our cleanup)
    doc_id: str | None = None  # the input's own id, where it gives one
    url: str | None = None
    title: str | None = None
    author: str | None = None
    outlet: str | None = None
    date_text: str | None = None  # a publication date the input states (header, metadata, HTML)
    date_origin: str | None = None  # where date_text came from: marker, header, metadata, html, feed
    already_clean: bool = False  # HTML extraction already removed the page chrome

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.locator)


@dataclass
class Reject:
    """An input item that could not become an article, with the reason (never silently dropped)."""

    source: str
    locator: str
    reason: str  # a short machine-readable reason: binary, empty, undecodable, too-large, ...
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Article:
    """A clean, dated, language-tagged article ready for storage and the language layer."""

    id: str
    source: str
    locator: str
    fmt: str
    url: str | None
    title: str | None
    author: str | None
    outlet: str | None
    published: date | None
    date_source: str | None  # marker, header, metadata, html, feed, dateline; None when unknown
    date_note: str  # how the date was found, or why there is none
    language: str | None
    language_score: float | None
    skip_reason: str | None  # why later layers skip this article (e.g. non-English); None if not skipped
    text: str  # clean text; later layers cite offsets into this
    raw_text: str
    removed: list[RemovedSpan] = field(default_factory=list)
    content_hash: str = ""
    duplicate_of: str | None = None  # canonical article id for a near-duplicate
    similarity: float | None = None  # estimated Jaccard similarity to the canonical article

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["published"] = self.published.isoformat() if self.published else None
        return d

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


@dataclass
class Sentence:
    """A sentence of an article's clean text: `start`/`end` are character offsets into `Article.text`."""

    index: int
    start: int
    end: int


@dataclass
class Mention:
    """An actor, place or time mention with its span in the clean text and its resolution (None when unresolved,
    with `reason`). Actor fields: name, code, country, sector, wikidata, actor_id; place fields: name, place_id,
    geonameid, country, lat, lon, place_kind, precision; time fields: value, precision, value_end, anchor."""

    kind: str  # actor, place, time
    text: str
    start: int
    end: int
    sentence_index: int
    name: str | None = None
    code: str | None = None
    country: str | None = None
    sector: str | None = None
    wikidata: str | None = None
    actor_id: str | None = None  # our stable identity for the actor (dictionary id, composed code, or person key)
    actor_kind: str | None = None  # country, capital, seat, igo, ngo, group, institution, role, person, composed
    role: str | None = None
    place_id: str | None = None
    geonameid: int | None = None
    lat: float | None = None
    lon: float | None = None
    place_kind: str | None = None
    precision: str | None = None
    value: str | None = None
    value_end: str | None = None
    anchor: str | None = None
    reason: str | None = None
    method: str | None = None  # dictionary, ner, composed, coreference, gazetteer, pattern
    label: str | None = None  # the NER label, where NER found it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Annotation:
    """What the language layer produced for one article."""

    article_id: str
    sentences: list[Sentence]
    mentions: list[Mention]
    tokens: int
    model: str
    events: list["Event"] = field(default_factory=list)


@dataclass
class Quantity:
    """A count stated in the text: "22 missiles" (exact), "more than a dozen" (approximate, value is the bound)."""

    text: str
    value: float | None
    unit: str | None
    approx: bool
    bound: str | None = None  # min, max or approx for approximate counts


@dataclass
class Event:
    """One coded event in one sentence of one article. Offsets are into the article's clean text; the parties
    are the language layer's mentions (shared objects, so later identity linking shows through)."""

    article_id: str
    sentence_index: int
    start: int  # the sentence
    end: int
    trigger: tuple[int, int]
    event: str
    mode: str | None
    context: list[str]
    quad: int
    cameo: str | None
    intensity: float | None
    actor: list[Mention]
    recipient: list[Mention]
    attribution: Mention | None
    negated: bool
    modality: str
    date: str | None
    date_precision: str | None
    date_source: str | None
    location: Mention | None
    locations: list[Mention]
    fatalities: int | None
    injured: int | None
    quantities: list[Quantity]
    confidence: float
    explain: dict[str, Any]

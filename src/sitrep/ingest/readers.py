"""Readers: one input (file, stdin, URL) to a stream of `Document`s, `Reject`s and `Skipped` notes.

One function per format (text, HTML, JSON Lines, RSS/Atom, WARC); each is a small generator over a stream,
so a corpus is never held in memory. A bad record becomes a Reject and the reader goes on.
"""
from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO

from ..model import Document, Reject
from .fetch import Fetcher, FetchError
from .html import extract_html, fragment_to_text
from .sources import (
    GZIP_ERRORS, SUFFIX_FORMATS, IngestConfig, Input, TooLarge, Undecodable, decode, looks_binary, open_stream,
    read_limited, sniff,
)


@dataclass
class Skipped:
    """An item not read again because the store already has it (a URL already ingested)."""

    source: str
    locator: str
    reason: str


Item = Document | Reject | Skipped


@dataclass
class ReadContext:
    config: IngestConfig
    known_url: Callable[[str], bool]
    fetcher: Fetcher | None = None
    stdin: BinaryIO | None = None

    def get_fetcher(self) -> Fetcher:
        if self.fetcher is None:
            self.fetcher = Fetcher(self.config)
        return self.fetcher


def read_input(inp: Input, ctx: ReadContext) -> Iterator[Item]:
    """Every item of one input, in order."""
    if inp.kind == "url":
        yield from _read_url(inp, ctx)
        return
    if inp.kind == "file" and inp.fmt is None:
        known = ", ".join(sorted(set(SUFFIX_FORMATS)))
        yield Reject(inp.source, "", "unknown-type", f"unknown file type {inp.path.suffix or '(no suffix)'!r}; "  # type: ignore[union-attr]
                     f"known: {known}, optionally .gz")
        return
    try:
        stream = open_stream(inp, ctx.stdin)
    except OSError as exc:
        yield Reject(inp.source, "", "unreadable", str(exc))
        return
    try:
        fmt = inp.fmt
        if fmt is None:  # stdin: look at the content
            head = stream.peek(4096)[:4096] if hasattr(stream, "peek") else b""
            fmt = sniff(head)
        if fmt == "jsonl":
            yield from read_jsonl(stream, inp.source, ctx)
        elif fmt == "warc":
            # warcio reads gzip member by member (one per record), which survives a truncated tail
            raw = stream.fileobj if isinstance(stream, gzip.GzipFile) and stream.fileobj is not None else stream
            yield from read_warc(raw, inp.source, ctx)  # type: ignore[arg-type]
        else:
            yield from _read_whole(stream, inp.source, fmt, ctx)
    finally:
        stream.close()


def _read_whole(stream: BinaryIO, source: str, fmt: str, ctx: ReadContext) -> Iterator[Item]:
    try:
        data = read_limited(stream, ctx.config.max_bytes)
    except TooLarge as exc:
        yield Reject(source, "", "too-large", str(exc))
        return
    except GZIP_ERRORS as exc:
        yield Reject(source, "", "truncated-gzip", f"the gzip stream is damaged or cut short: {exc}")
        return
    yield from parse_bytes(data, source, "", fmt, ctx)


def parse_bytes(data: bytes, source: str, locator: str, fmt: str, ctx: ReadContext,
                url: str | None = None) -> Iterator[Item]:
    """One whole document of a known format."""
    if not data.strip():
        yield Reject(source, locator, "empty", "no content")
        return
    if looks_binary(data):
        yield Reject(source, locator, "binary", "binary content, not text, HTML or a feed")
        return
    if fmt == "html":
        yield from _html_document(data, source, locator, url)
    elif fmt == "feed":
        yield from read_feed(data, source, ctx)
    else:
        try:
            text = decode(data)
        except Undecodable as exc:
            yield Reject(source, locator, "undecodable", str(exc))
            return
        if fmt == "jsonl":  # a JSON Lines body fetched from a URL
            yield from _jsonl_lines(iter(text.encode("utf-8").splitlines(keepends=True)), source, ctx)
            return
        yield Document(source=source, locator=locator, fmt=fmt, text=text, url=url)


def _html_document(data: bytes | str, source: str, locator: str, page_url: str | None, fmt: str = "html",
                   **meta: Any) -> Iterator[Item]:
    try:
        ex = extract_html(data, page_url)
    except Exception as exc:  # trafilatura/lxml raise many kinds on broken markup  # noqa: BLE001
        yield Reject(source, locator, "malformed-html", f"{type(exc).__name__}: {exc}"[:500])
        return
    if ex is None:
        yield Reject(source, locator, "no-main-text", "the page has no main text that could be extracted")
        return
    yield Document(
        source=source, locator=locator, fmt=fmt, text=ex.text, doc_id=meta.get("doc_id"),
        url=meta.get("url") or page_url or ex.url, title=meta.get("title") or ex.title, author=ex.author,
        outlet=meta.get("outlet") or ex.sitename,
        date_text=meta.get("date_text") or ex.date,
        date_origin=meta.get("date_origin") or ("html" if ex.date else None),
        already_clean=True,
    )


# -- JSON Lines --------------------------------------------------------------------------------
def _lines(stream: BinaryIO, limit: int) -> Iterator[bytes | TooLarge]:
    """Lines of a stream, each at most `limit` bytes; a longer one yields TooLarge and is skipped."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            while True:  # skip the rest of the overlong line
                rest = stream.readline(1 << 20)
                if not rest or rest.endswith(b"\n"):
                    break
            yield TooLarge(f"line longer than {limit:,} bytes (the --max-bytes limit)")
            continue
        yield line


def read_jsonl(stream: BinaryIO, source: str, ctx: ReadContext) -> Iterator[Item]:
    yield from _jsonl_lines(_lines(stream, ctx.config.max_bytes), source, ctx)


def _jsonl_lines(lines: Iterator[bytes | TooLarge], source: str, ctx: ReadContext) -> Iterator[Item]:
    n = 0
    try:
        for n, line in enumerate(lines, 1):
            loc = f"line {n}"
            if isinstance(line, TooLarge):
                yield Reject(source, loc, "too-large", str(line))
                continue
            if not line.strip():
                continue
            yield from _jsonl_record(line, source, loc)
    except GZIP_ERRORS as exc:
        yield Reject(source, f"line {n + 1}", "truncated-gzip", f"the gzip stream is damaged or cut short: {exc}")


def _jsonl_record(line: bytes, source: str, loc: str) -> Iterator[Item]:
    try:
        rec = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        yield Reject(source, loc, "malformed-json", str(exc)[:300])
        return
    if not isinstance(rec, dict):
        yield Reject(source, loc, "malformed-record", f"expected a JSON object, got {type(rec).__name__}")
        return
    bad = [k for k in ("id", "url", "title", "text", "html", "date", "outlet", "author")
           if rec.get(k) is not None and not isinstance(rec[k], (str, int) if k == "id" else str)]
    if bad:
        yield Reject(source, loc, "malformed-record", f"field(s) of the wrong type: {', '.join(bad)}")
        return
    doc_id = str(rec["id"]).strip() if rec.get("id") not in (None, "") else None
    meta = {"doc_id": doc_id, "url": rec.get("url"), "title": rec.get("title"), "outlet": rec.get("outlet"),
            "date_text": rec.get("date"), "date_origin": "metadata" if rec.get("date") else None}
    text, html = rec.get("text"), rec.get("html")
    if text and text.strip():
        yield Document(source=source, locator=loc, fmt="jsonl", text=text, author=rec.get("author"), **meta)
    elif html and html.strip():
        yield from _html_document(html, source, loc, rec.get("url"), fmt="jsonl", **meta)
    else:
        yield Reject(source, loc, "empty", "the record has neither 'text' nor 'html'")


# -- RSS and Atom ---------------------------------------------------------------------------------
def read_feed(data: bytes, source: str, ctx: ReadContext) -> Iterator[Item]:
    import feedparser

    parsed = feedparser.parse(data)
    if not parsed.entries:
        why = f": {parsed.bozo_exception}" if parsed.get("bozo") else ""
        yield Reject(source, "", "malformed-feed" if parsed.get("bozo") else "empty-feed", f"no feed entries{why}"[:500])
        return
    outlet = parsed.feed.get("title") or None
    for n, e in enumerate(parsed.entries, 1):
        loc = f"entry {n}"
        link = e.get("link") or None
        bodies = [c.get("value", "") for c in e.get("content", [])] + [e.get("summary", "")]
        text = max((fragment_to_text(b) for b in bodies if b), key=len, default="")
        when = e.get("published_parsed") or e.get("updated_parsed")
        date_text = date(*when[:3]).isoformat() if when else None
        meta = {"title": e.get("title") or None, "outlet": outlet, "date_text": date_text,
                "date_origin": "feed" if date_text else None}
        if len(text) >= ctx.config.min_feed_text_chars or not (link and link.lower().startswith(("http://", "https://"))):
            if not text.strip():
                yield Reject(source, loc, "empty", "the entry has no text and no link to fetch")
                continue
            yield Document(source=source, locator=loc, fmt="feed", text=text, url=link, author=e.get("author"), **meta)
            continue
        if ctx.known_url(link):
            yield Skipped(source, loc, f"{link} already ingested; not fetched again")
            continue
        try:
            got = ctx.get_fetcher().fetch(link)
        except FetchError as exc:
            yield Reject(source, loc, exc.reason, f"{link}: {exc.detail}")
            continue
        yield from _html_document(got.data, source, loc, link, fmt="feed", **meta)


# -- WARC -----------------------------------------------------------------------------------------
def read_warc(stream: BinaryIO, source: str, ctx: ReadContext) -> Iterator[Item]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    n = 0
    try:
        for record in ArchiveIterator(stream):
            if record.rec_type not in ("response", "resource"):
                continue
            n += 1
            loc = f"record {n}"
            url = record.rec_headers.get_header("WARC-Target-URI")
            status = record.http_headers.get_statuscode() if record.http_headers else "200"
            ctype = (record.http_headers.get_header("Content-Type") if record.http_headers
                     else record.rec_headers.get_header("Content-Type")) or ""
            if status and not status.startswith("2"):
                yield Reject(source, loc, "http-status", f"{url}: HTTP {status}")
                continue
            if "html" not in ctype.lower():
                yield Reject(source, loc, "not-html", f"{url}: content type {ctype or 'unknown'}")
                continue
            body = record.content_stream().read(ctx.config.max_bytes + 1)
            if len(body) > ctx.config.max_bytes:
                yield Reject(source, loc, "too-large", f"{url}: more than {ctx.config.max_bytes:,} bytes")
                continue
            if getattr(record.raw_stream, "limit", 0):  # the file ended inside the record
                yield Reject(source, loc, "truncated-warc", f"{url}: the record is cut short "
                             f"({record.raw_stream.limit:,} of {record.length:,} bytes missing)")
                continue
            if not body.strip():
                yield Reject(source, loc, "empty", f"{url}: empty body")
                continue
            yield from _html_document(body, source, loc, url, fmt="warc")
    except (ArchiveLoadFailed, *GZIP_ERRORS, ValueError) as exc:
        yield Reject(source, f"record {n + 1}", "malformed-warc", f"{type(exc).__name__}: {exc}"[:500])


# -- URLs -------------------------------------------------------------------------------------------
def _read_url(inp: Input, ctx: ReadContext) -> Iterator[Item]:
    url = inp.source
    if ctx.known_url(url):
        yield Skipped(url, "", "already ingested; not fetched again")
        return
    try:
        got = ctx.get_fetcher().fetch(url)
    except FetchError as exc:
        yield Reject(url, "", exc.reason, exc.detail)
        return
    ctype = got.content_type.lower()
    if any(t in ctype for t in ("rss", "atom")):
        fmt = "feed"
    elif "html" in ctype:
        fmt = "html"
    elif "text/plain" in ctype:
        fmt = "txt"
    elif "json" in ctype:
        fmt = "jsonl"
    else:
        fmt = sniff(got.data)
    for item in parse_bytes(got.data, url, "", fmt, ctx, url=got.final_url):
        if isinstance(item, Document) and item.fmt in ("html", "txt"):
            item.fmt = "url"
        yield item

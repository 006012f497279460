"""Input sources: expand paths, folders, `-` and URLs into items; open gzip; sniff formats; decode bytes.

Nothing here raises on bad input: problems become `Reject`s that name the source and the reason.
"""
from __future__ import annotations

import gzip
import io
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ..model import Reject

SUFFIX_FORMATS = {
    ".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".rss": "feed", ".atom": "feed", ".xml": "feed",
    ".warc": "warc",
}
_URL = re.compile(r"^https?://", re.IGNORECASE)
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class IngestConfig:
    """Limits and politeness settings for reading inputs."""

    max_bytes: int = 20 * 1024 * 1024  # per document (a file, a JSON line, a WARC record), after decompression
    fetch_timeout: float = 15.0
    fetch_retries: int = 2
    fetch_backoff: float = 0.5  # seconds; doubles after each failed try
    fetch_delay: float = 1.0  # seconds between two requests to the same host
    fetch_max_bytes: int = 5 * 1024 * 1024
    user_agent: str = "sitrep/0.1 (+news event data; polite fetcher)"
    min_feed_text_chars: int = 400  # a feed entry with less text than this has its page fetched
    follow_hidden: bool = False  # walk dot-files and dot-folders


class TooLarge(Exception):
    pass


class Undecodable(Exception):
    pass


@dataclass
class Input:
    """One source to read: a file path, '-', or a URL, exactly as the user named it (or found in a folder)."""

    source: str
    kind: str  # file, stdin, url
    path: Path | None = None
    fmt: str | None = None  # format from the suffix (gzip stripped), None if unknown
    gzipped: bool = False
    extras: dict[str, str] = field(default_factory=dict)


def format_for(name: str) -> tuple[str | None, bool]:
    """(format, gzipped) from a file name: 'a.jsonl.gz' -> ('jsonl', True)."""
    lower = name.lower()
    gz = lower.endswith(".gz")
    if gz:
        lower = lower[:-3]
    return SUFFIX_FORMATS.get(os.path.splitext(lower)[1]), gz


def expand(args: list[str], config: IngestConfig) -> Iterator[Input | Reject]:
    """Turn command-line arguments into inputs; folders are walked recursively in sorted path order."""
    for arg in args:
        if arg == "-":
            yield Input("-", "stdin")
        elif _URL.match(arg):
            yield Input(arg, "url")
        else:
            p = Path(arg)
            if p.is_dir():
                yield from _walk(arg, config)
            elif p.is_file():
                fmt, gz = format_for(p.name)
                yield Input(arg, "file", p, fmt, gz)
            elif p.exists():
                yield Reject(arg, "", "not-a-file", "neither a regular file nor a folder")
            else:
                yield Reject(arg, "", "not-found", "no such file or folder")


def _walk(root: str, config: IngestConfig) -> Iterator[Input | Reject]:
    for dirpath, dirnames, filenames in os.walk(root):
        if not config.follow_hidden:
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        dirnames.sort()
        for name in sorted(filenames):
            if name.startswith(".") and not config.follow_hidden:
                continue
            path = os.path.join(dirpath, name)
            fmt, gz = format_for(name)
            yield Input(path, "file", Path(path), fmt, gz)


def open_stream(inp: Input, stdin: BinaryIO | None = None) -> BinaryIO:
    """A binary stream of the input's content, transparently gunzipped."""
    raw: BinaryIO
    if inp.kind == "stdin":
        raw = stdin if stdin is not None else _stdin()
        head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    else:
        assert inp.path is not None
        raw = open(inp.path, "rb")  # noqa: SIM115 - the caller closes it
        head = raw.read(2)
        raw.seek(0)
    if head == GZIP_MAGIC:
        inp.gzipped = True
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def _stdin() -> BinaryIO:
    import sys

    return io.BufferedReader(sys.stdin.buffer)  # type: ignore[arg-type]


def read_limited(stream: BinaryIO, limit: int) -> bytes:
    """Read a whole stream, refusing more than `limit` bytes; gzip errors surface as exceptions."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"more than {limit:,} bytes (the --max-bytes limit)")
    return data


GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters in the first 8 KiB: not a text document."""
    head = data[:8192]
    if b"\x00" in head:
        return True
    if not head:
        return False
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls / len(head) > 0.05


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM) first, else the best charset guess; Undecodable otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1_000_000]).best()
    if best is None or best.chaos > 0.3:
        raise Undecodable("not valid UTF-8 and no character set fits")
    try:
        return data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise Undecodable(f"not valid UTF-8, nor {best.encoding}") from exc


def sniff(data: bytes) -> str | None:
    """Guess the format of content that came without a telling name (stdin, URLs, unknown suffixes)."""
    head = data[:4096].lstrip().lower()
    if head.startswith(b"warc/"):
        return "warc"
    if head.startswith(b"<?xml") or head.startswith(b"<rss") or head.startswith(b"<feed"):
        if b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
            return "feed"
    if head.startswith(b"<!doctype html") or b"<html" in head[:1024] or head.startswith(b"<"):
        return "html"
    if head.startswith(b"{"):
        return "jsonl"
    return "txt"

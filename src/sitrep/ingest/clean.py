"""Plain-text cleanup: cut boilerplate lines and blocks, keep every news sentence, record what was cut.

The clean text is built from the kept lines of the raw text; every cut is recorded as a `RemovedSpan`
(raw offsets, the clean offset where it sat, and the rule that cut it), so later layers can cite offsets
into the clean text and a reader can see exactly what was removed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from ..model import RemovedSpan
from ..resources import load_toml
from . import dates

HEADER_KEYS = ("title", "url", "outlet", "date", "author", "source", "id", "language")
_HEADER = re.compile(r"^(" + "|".join(HEADER_KEYS) + r")\s*:\s*(.*?)\s*$", re.IGNORECASE)
_MARKER = re.compile(r"^\s*date:?\s+(\d{4}-\d{2}-\d{2})\b[ \t]*", re.IGNORECASE)
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
_DATELINE_CREDIT = re.compile(r"^[A-Z][A-Z .'’-]{1,40}(?:,[^()\n]{0,40})?\s*\(([A-Z][\w .&'’-]{1,40})\)\s*[-–—]")
_BYLINE = re.compile(r"^By\s+([^,]+?)(?:,\s*([^,]{2,60}))?\s*$")
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+")


def plain(line: str) -> str:
    """A line without Markdown heading marks and wrapping emphasis, for judging what it is."""
    return _MD_HEADING.sub("", line).strip().strip("*_").strip()


@dataclass
class Cleaned:
    """The result of cleaning one raw text."""

    text: str
    removed: list[RemovedSpan]
    title: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    marker_date: str | None = None  # the leading "date YYYY-MM-DD" marker, as written
    line_date: date | None = None  # a stand-alone date line near the top
    dateline_date: date | None = None  # a wire-style dateline opening the first paragraph
    dateline_outlet: str | None = None  # the agency a wire dateline credits: "BAGHDAD, March 12 (Harbor Wire) -"
    byline: tuple[str, str | None] | None = None  # (author, outlet) from a "By Jane Doe, Outlet" line at the top


@dataclass
class _Line:
    start: int  # raw offsets of the stripped content
    end: int
    text: str
    reason: str | None = None  # None = kept

    @property
    def kept(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class Rules:
    """Compiled boilerplate rules (from `data/boilerplate.toml`)."""

    max_line_chars: int
    line_rules: tuple[tuple[str, re.Pattern[str]], ...]
    credits: tuple[re.Pattern[str], ...]
    max_caption_chars: int
    comment_start: re.Pattern[str]
    comment_vocab: re.Pattern[str]
    thread_signatures: tuple[re.Pattern[str], ...]
    thread_footer: re.Pattern[str]
    footer_after_chars: int
    title_max_chars: int
    title_max_words: int
    sentence_end: re.Pattern[str]
    trailing_min_words: int
    trailing_max_words: int
    trailing_min_body: int
    trailing_max_lines: int

    @classmethod
    def load(cls, name: str = "boilerplate.toml") -> "Rules":
        d = load_toml(name)
        return cls(
            max_line_chars=int(d["max_line_chars"]),
            line_rules=tuple((r["reason"], re.compile(r["pattern"], re.IGNORECASE)) for r in d["line"]),
            credits=tuple(re.compile(p) for p in d["caption"]["credit_patterns"]),
            max_caption_chars=int(d["caption"]["max_caption_chars"]),
            comment_start=re.compile(d["comments"]["start"], re.IGNORECASE),
            comment_vocab=re.compile("|".join(d["comments"]["vocabulary"]), re.IGNORECASE),
            thread_signatures=tuple(re.compile(p) for p in d["comments"]["thread"]["signatures"]),
            thread_footer=re.compile(d["comments"]["thread"]["footer"]),
            footer_after_chars=int(d["comments"]["thread"]["footer_after_chars"]),
            title_max_chars=int(d["title"]["max_chars"]),
            title_max_words=int(d["title"]["max_words"]),
            sentence_end=re.compile(d["title"]["sentence_end"]),
            trailing_min_words=int(d["trailing"]["min_words"]),
            trailing_max_words=int(d["trailing"]["max_words"]),
            trailing_min_body=int(d["trailing"]["min_body_lines"]),
            trailing_max_lines=int(d["trailing"]["max_lines"]),
        )


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    return Rules.load()


def _split_lines(raw: str, begin: int = 0, end: int | None = None) -> list[_Line]:
    """The non-blank lines of raw[begin:end], stripped, with their raw offsets."""
    lines: list[_Line] = []
    pos = begin
    n = len(raw) if end is None else end
    while pos <= n:
        nl = raw.find("\n", pos, n)
        stop = n if nl < 0 else nl
        seg = raw[pos:stop]
        lead = len(seg) - len(seg.lstrip())
        body = seg.strip()
        if body:
            s = pos + lead
            heading = _MD_HEADING.match(body)
            if heading and body[heading.end():].strip():  # keep a Markdown heading's words, not its marks
                s += heading.end()
                body = body[heading.end():]
            lines.append(_Line(s, s + len(body), body))
        if nl < 0:
            break
        pos = nl + 1
    return lines


def _words(text: str) -> int:
    return len(_WORD.findall(text))


class Cleaner:
    """Turns raw article text into clean text plus the record of what was removed."""

    def __init__(self, rules: Rules | None = None) -> None:
        self.rules = rules or default_rules()

    # -- classification of single lines -------------------------------------------------------
    def line_reason(self, text: str) -> str | None:
        """The boilerplate rule a single line falls under, or None for a news line."""
        r = self.rules
        text = plain(text) or text
        if len(text) <= r.max_line_chars:
            for reason, pattern in r.line_rules:
                if pattern.fullmatch(text):
                    return reason
        if len(text) <= r.max_caption_chars and any(p.search(text) for p in r.credits):
            return "photo-caption"
        return None

    def headline_like(self, text: str) -> bool:
        """Short, capitalised, and not ending like a sentence: a headline or a subhead."""
        r = self.rules
        text = plain(text)
        first = text[:1]
        return (
            2 <= _words(text) <= r.title_max_words
            and len(text) <= r.title_max_chars
            and not r.sentence_end.search(text)
            and (first.isupper() or first.isdigit() or first in "\"'“‘")
        )

    # -- the whole text -----------------------------------------------------------------------
    def __call__(self, raw: str, *, find_title: bool = True, read_headers: bool = True,
                 known_title: str | None = None) -> Cleaned:
        """Clean one raw text. `find_title` looks for a headline on the first line; `read_headers` reads
        `title:`-style header lines and a leading `date YYYY-MM-DD` marker; `known_title` (from metadata)
        is cut where the body repeats it."""
        removed_extra: list[tuple[int, int, str]] = []
        headers: dict[str, str] = {}
        marker: str | None = None
        begin = 0

        if read_headers:
            begin, headers = self._headers(raw)
            if begin:
                removed_extra.append((0, begin, "header"))
            if not begin:
                m = _MARKER.match(raw)
                if m:
                    marker = m.group(1)
                    begin = m.end()
                    removed_extra.append((len(raw) - len(raw.lstrip()), begin, "date-marker"))

        thread = self.thread_start(raw, begin)
        if thread is not None:
            removed_extra.append((thread, max(thread, len(raw.rstrip())), "comment-thread"))
        lines = _split_lines(raw, begin, thread)
        self._classify(lines)
        title = self._title(lines, headers.get("title") or known_title, find_title)
        line_date = self._date_line(lines)
        first = next((ln for ln in lines if ln.kept), None)
        dl = dates.dateline(first.text) if first else None
        credit = _DATELINE_CREDIT.match(first.text) if first else None
        self._trailing(lines)
        text, removed = self._assemble(raw, lines, removed_extra)
        return Cleaned(text, removed, title, headers, marker, line_date, dl,
                       credit.group(1).strip() if credit else None, self._byline(lines))

    def thread_start(self, raw: str, begin: int = 0) -> int | None:
        """Where a thread of reader comments starts in raw[begin:], or None when there is none. The thread is found
        by its first signed comment; it starts at the post's footer before that when there is one below the story's
        first few hundred characters (the first comment then goes too), else at the start of the signature's line."""
        r = self.rules
        first = min((m.start() for p in r.thread_signatures if (m := p.search(raw, begin))), default=None)
        if first is None:
            return None
        footer = None
        for m in r.thread_footer.finditer(raw, begin + r.footer_after_chars, first):
            footer = m.start()
        if footer is not None:
            return footer
        return max(begin, raw.rfind("\n", begin, first) + 1)

    @staticmethod
    def _byline(lines: list[_Line]) -> tuple[str, str | None] | None:
        for ln in lines[: dates.top_lines()]:
            if ln.reason == "byline":
                m = _BYLINE.match(plain(ln.text))
                if m:
                    return m.group(1).strip(), (m.group(2) or "").strip() or None
        return None

    def _headers(self, raw: str) -> tuple[int, dict[str, str]]:
        """Header lines (`title: ...`) at the very top, ended by a blank line. Returns (body start, fields)."""
        fields: dict[str, str] = {}
        pos = 0
        while True:
            nl = raw.find("\n", pos)
            if nl < 0:
                return 0, {}
            line = raw[pos:nl].strip()
            if not line:
                if fields:
                    return nl + 1, fields
                return 0, {}
            m = _HEADER.match(line)
            if not m:
                return 0, {}
            fields[m.group(1).lower()] = m.group(2)
            pos = nl + 1
            if len(fields) > len(HEADER_KEYS):
                return 0, {}

    def _classify(self, lines: list[_Line]) -> None:
        r = self.rules
        in_comments = False
        prev_kept: _Line | None = None
        top = dates.top_lines()
        for i, ln in enumerate(lines):
            if in_comments:
                if len(ln.text) <= 2 * r.max_line_chars and (
                    r.comment_vocab.search(ln.text) or self.line_reason(ln.text)
                ):
                    ln.reason = "comments"
                    continue
                in_comments = False
            if len(ln.text) <= r.max_line_chars and r.comment_start.fullmatch(plain(ln.text).rstrip(":")):
                ln.reason = "comments"
                in_comments = True
                continue
            ln.reason = self.line_reason(ln.text)
            if ln.reason is None:
                # a headline or caption printed twice near the top (not a table header repeated further down)
                if i < top and prev_kept is not None and prev_kept.text == ln.text and len(ln.text) <= r.max_line_chars:
                    ln.reason = "repeated-line"
                    continue
                prev_kept = ln
        # a caption often comes twice, the second time with its credit: cut the first too
        for a, b in zip(lines, lines[1:]):
            if a.kept and b.reason == "photo-caption" and b.text.startswith(a.text):
                a.reason = "photo-caption"

    def _title(self, lines: list[_Line], header_title: str | None, find: bool) -> str | None:
        kept = [ln for ln in lines if ln.kept]
        if not kept:
            return header_title
        head = kept[0]
        title = header_title
        if find and header_title is None and len(kept) > 1 and self.headline_like(head.text) and not dates.date_line(head.text):
            title = plain(head.text)
        if title is None:
            return None
        norm = " ".join(title.split()).casefold()
        for ln in kept[:3]:
            if " ".join(plain(ln.text).split()).casefold() == norm:
                ln.reason = "title"
        return title

    def _date_line(self, lines: list[_Line]) -> date | None:
        for ln in [ln for ln in lines if ln.kept][: dates.top_lines()]:
            if len(ln.text) <= 80:
                d = dates.date_line(ln.text)
                if d:
                    ln.reason = "date-line"
                    return d
        return None

    def _trailing(self, lines: list[_Line]) -> None:
        r = self.rules
        kept = [ln for ln in lines if ln.kept]
        cut: list[_Line] = []
        for ln in reversed(kept):
            if r.trailing_min_words <= _words(ln.text) <= r.trailing_max_words and self.headline_like(ln.text):
                cut.append(ln)
            else:
                break
        if cut and len(cut) <= r.trailing_max_lines and len(kept) - len(cut) >= r.trailing_min_body:
            for ln in cut:
                ln.reason = "related-link"

    @staticmethod
    def _assemble(
        raw: str, lines: list[_Line], extra: list[tuple[int, int, str]]
    ) -> tuple[str, list[RemovedSpan]]:
        parts: list[str] = []
        removed: list[RemovedSpan] = []
        length = 0
        last_end: int | None = None
        last_line = lines[-1].end if lines else 0
        pending: list[tuple[int, int, str]] = sorted(e for e in extra if e[0] < last_line)
        tail = sorted(e for e in extra if e[0] >= last_line)  # cut after the last line (a comment thread)

        def flush(at: int) -> None:
            for s, e, why in pending:
                if removed and removed[-1].reason == why and removed[-1].at == at and not raw[removed[-1].end : s].strip():
                    prev = removed.pop()
                    s = prev.start
                removed.append(RemovedSpan(s, e, at, why))
            pending.clear()

        for ln in lines:
            if not ln.kept:
                pending.append((ln.start, ln.end, ln.reason or "removed"))
                continue
            if last_end is not None:
                gap = raw[last_end : ln.start]
                sep = "\n\n" if gap.count("\n") >= 2 or pending else "\n"
                parts.append(sep)
                length += len(sep)
            flush(length)
            parts.append(ln.text)
            length += len(ln.text)
            last_end = ln.end
        pending.extend(tail)
        flush(length)
        return "".join(parts), removed


def render_with_removed(text: str, raw: str, removed: list[RemovedSpan], mark: tuple[str, str] = ("[-", "-]")) -> str:
    """The clean text with every removed span put back where it was cut, between `mark` brackets."""
    out: list[str] = []
    pos = 0
    for span in sorted(removed, key=lambda s: (s.at, s.start)):
        out.append(text[pos : span.at])
        out.append(f"{mark[0]}{span.reason}: {raw[span.start:span.end]}{mark[1]}\n")
        pos = span.at
    out.append(text[pos:])
    return "".join(out)

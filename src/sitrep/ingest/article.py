"""From a read `Document` to a clean, dated, language-tagged `Article` (or a `Reject`): a pure function."""
from __future__ import annotations

from ..model import Article, Document, Reject
from . import dates, lang
from .clean import Cleaned, Cleaner
from .dedup import content_hash

MAX_ID_CHARS = 200


def resolve_date(doc: Document, cleaned: Cleaned) -> dates.DateFinding:
    """The publication date, in order of trust: marker, header, the input's metadata, a date line, a dateline.

    A date that cannot be read or lies in the future is passed over (and said so); dates inside photo
    captions are never used. None, with the reason, when the text supports no date.
    """
    notes: list[str] = []
    candidates: list[tuple[str, str | None, str]] = [
        ("marker", cleaned.marker_date, "the leading 'date' marker"),
        ("header", cleaned.headers.get("date"), "the 'date:' header"),
        (doc.date_origin or "metadata", doc.date_text, f"the input's {doc.date_origin or 'metadata'} date"),
    ]
    for source, text, what in candidates:
        if not text:
            continue
        value = dates.parse_date(text)
        if value is None:
            notes.append(f"{what} {text!r} could not be read")
        elif not dates.plausible(value):
            notes.append(f"{what} {text!r} is not a plausible publication date")
        else:
            return dates.DateFinding(value, source, f"from {what} ({text.strip()})")
    for source, value, what in (("dateline", cleaned.line_date, "a date line near the top"),
                                ("dateline", cleaned.dateline_date, "the dateline opening the story")):
        if value is None:
            continue
        if dates.plausible(value):
            return dates.DateFinding(value, source, f"from {what} ({value.isoformat()})")
        notes.append(f"{what} gives {value.isoformat()}, not a plausible publication date")
    reason = "no date marker, header, metadata, date line or dateline with a full date"
    captions = [s for s in cleaned.removed if s.reason == "photo-caption"]
    if captions:
        reason += "; dates in photo captions are the photos' dates and are not used"
    return dates.DateFinding(None, None, "; ".join(["unknown: " + reason, *notes]))


def build_article(doc: Document, cleaner: Cleaner) -> Article | Reject:
    """Clean, date and tag one document."""
    cleaned = cleaner(doc.text, find_title=doc.title is None and not doc.already_clean,
                      read_headers=not doc.already_clean, known_title=doc.title)
    if not cleaned.text.strip():
        kinds = sorted({s.reason for s in cleaned.removed})
        return Reject(doc.source, doc.locator, "no-content",
                      f"nothing left after removing boilerplate ({', '.join(kinds) or 'blank'})")
    h = cleaned.headers
    found = resolve_date(doc, cleaned)
    language, score = lang.detect(cleaned.text)
    digest = content_hash(cleaned.text)
    doc_id = doc.doc_id or h.get("id")
    if doc_id is not None:
        doc_id = " ".join(doc_id.split())
        if not doc_id or len(doc_id) > MAX_ID_CHARS:
            return Reject(doc.source, doc.locator, "bad-id", f"the input's id must be 1 to {MAX_ID_CHARS} characters")
    return Article(
        id=doc_id or digest[:16],
        source=doc.source,
        locator=doc.locator,
        fmt=doc.fmt,
        url=doc.url or h.get("url") or None,
        title=cleaned.title or doc.title,
        author=doc.author or h.get("author") or (cleaned.byline or (None, None))[0],
        outlet=doc.outlet or h.get("outlet") or cleaned.dateline_outlet or (cleaned.byline or ("", None))[1],
        published=found.value,
        date_source=found.source,
        date_note=found.note,
        language=language,
        language_score=score,
        skip_reason=lang.skip_reason(language),
        text=cleaned.text,
        raw_text=doc.text,
        removed=cleaned.removed,
        content_hash=digest,
    )

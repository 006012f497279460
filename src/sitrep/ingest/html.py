"""HTML pages to text and metadata through trafilatura; small HTML fragments (feed entries) through lxml."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import lxml.html
import trafilatura

BLOCK_TAGS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section", "article",
              "ul", "ol", "table", "figure", "pre"}


@dataclass
class Extracted:
    text: str
    title: str | None
    author: str | None
    sitename: str | None
    date: str | None
    url: str | None


def extract_html(content: bytes | str, url: str | None = None) -> Extracted | None:
    """Main text and metadata of a page, or None when the page has no main text.

    Dates come only from the page's own metadata and markup (no guessing from the body text), and never
    later than today.
    """
    params = {"original_date": True, "extensive_search": False, "max_date": date.today().isoformat()}
    doc = trafilatura.bare_extraction(
        content, url=url, with_metadata=True, include_comments=False, include_tables=True,
        date_extraction_params=params,
    )
    if doc is None:
        return None
    text = (getattr(doc, "text", None) or "").strip()
    if not text:
        return None
    return Extracted(
        text=text,
        title=getattr(doc, "title", None) or None,
        author=getattr(doc, "author", None) or None,
        sitename=getattr(doc, "sitename", None) or None,
        date=getattr(doc, "date", None) or None,
        url=getattr(doc, "url", None) or url,
    )


def fragment_to_text(fragment: str) -> str:
    """Text of an HTML fragment with block elements as paragraph breaks; plain text passes through."""
    if "<" not in fragment:
        return fragment.strip()
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return fragment.strip()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in BLOCK_TAGS:
            el.tail = "\n\n" + (el.tail or "")
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    text = root.text_content()
    paras = [" ".join(p.split()) for p in text.split("\n\n")]
    return "\n\n".join(p for p in paras if p)

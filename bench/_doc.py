"""Writing a benchmark's figures into a marked section of a doc file (the bench scripts share it)."""
from __future__ import annotations

from pathlib import Path


def write_section(path: Path, begin: str, end: str, heading: str, body: str, title: str = "# Accuracy") -> None:
    """Replace the text between the `begin` and `end` markers of `path`, or append it under `## heading`."""
    text = path.read_text(encoding="utf-8") if path.exists() else f"{title}\n"
    block = f"{begin}\n{body.strip()}\n{end}"
    if begin in text and end in text and text.index(begin) < text.index(end):
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + f"\n\n## {heading}\n\n{block}\n"
    path.write_text(text, encoding="utf-8")

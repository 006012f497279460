"""Convert the Timeline17 dev articles (`<topic>/InputDocs/<YYYY-MM-DD>/<id>.htm.txt`) to sitrep JSON Lines.

Each file is tokenised text, one sentence per line. The record keeps one sentence per line (joined with
"\\n"), so sitrep's line-based cleanup sees each sentence as a short paragraph, as in web copy; the text
stays tokenised as the dataset has it. Empty files are skipped (counted on stderr).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def article_paths(root: Path) -> Iterator[Path]:
    """Article files in sorted path order (topic, date, file name), listed one folder at a time."""
    for topic in sorted(p for p in root.iterdir() if (p / "InputDocs").is_dir()):
        for day in sorted(p for p in (topic / "InputDocs").iterdir() if p.is_dir()):
            yield from sorted(p for p in day.iterdir() if p.is_file() and p.name.endswith(".txt"))


def record(path: Path) -> dict[str, Any] | None:
    """The JSONL record for one article file, or None when it holds no text."""
    with path.open(encoding="utf-8") as fh:
        lines = [ln.strip() for ln in fh]
    text = "\n".join(ln for ln in lines if ln)
    if not text:
        return None
    topic, day = path.parents[2].name, path.parent.name
    file_id = path.name.split(".", 1)[0]
    return {"id": f"{topic}/{day}/{file_id}", "url": None, "title": None, "text": text, "date": day,
            "outlet": None, "topic": topic}


def convert(root: Path, out: IO[str], limit: int | None = None) -> tuple[int, int]:
    """Write up to `limit` records to `out`, streaming. Returns (written, empty files skipped)."""
    written = skipped = 0
    for path in article_paths(root):
        if limit is not None and written >= limit:
            break
        rec = record(path)
        if rec is None:
            skipped += 1
            continue
        out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        written += 1
    return written, skipped


def sample(root: Path, out: IO[str], n: int) -> int:
    """A systematic sample: `n` records at even steps through all non-empty articles in sorted path order (every
    topic in proportion, the same sample on every machine). Returns how many were written."""
    paths = [p for p in article_paths(root)]
    records = (record(p) for p in paths)
    kept = [p for p, r in zip(paths, records) if r is not None]
    step = len(kept) / n if n else 1
    picks = [kept[int(i * step)] for i in range(min(n, len(kept)))]
    for p in picks:
        out.write(json.dumps(record(p), ensure_ascii=False) + "\n")
    return len(picks)


def dataset_root(data: Path) -> Path:
    root = data / "timeline17_dev"
    if not root.is_dir():
        sys.exit(f"timeline17_dev data not found under {root}: pass --data DIR (the shared datasets folder)")
    return root


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared datasets folder")
    ap.add_argument("--limit", type=int, default=None, help="only the first N articles in sorted path order")
    ap.add_argument("--sample", type=int, default=None,
                    help="a systematic sample of N articles across all topics instead (bench/throughput.py's sample)")
    ap.add_argument("-o", "--output", default="-", help="output file (default: stdout)")
    args = ap.parse_args()
    root = dataset_root(args.data)
    if args.sample:
        fh = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
        written, skipped = sample(root, fh, args.sample), 0
        if fh is not sys.stdout:
            fh.close()
    elif args.output == "-":
        written, skipped = convert(root, sys.stdout, args.limit)
    else:
        with open(args.output, "w", encoding="utf-8") as fh:
            written, skipped = convert(root, fh, args.limit)
    print(f"{written} article(s) written, {skipped} empty file(s) skipped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

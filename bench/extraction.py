"""HTML extraction quality: sitrep's HTML path (trafilatura + Cleaner) against bare trafilatura, scored like
scrapinghub's article-extraction-benchmark (token 4-gram shingles, per-page precision/recall, averaged)."""
from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import trafilatura

from sitrep.ingest.clean import Cleaner
from sitrep.ingest.html import extract_html

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"
_TOKEN = re.compile(r"\w+")  # the benchmark's tokenizer: case kept, punctuation dropped
Shingles = Counter[tuple[str, ...]]


def shingles(text: str, n: int = 4) -> Shingles:
    """Token n-grams as a multiset; a text shorter than n tokens gives one shorter shingle (as the original)."""
    toks = _TOKEN.findall(text or "")
    return Counter(tuple(toks[i : i + n]) for i in range(max(1, len(toks) - n + 1)) if toks[i : i + n])


def score(truth: Shingles, pred: Shingles) -> tuple[float, float]:
    """Precision and recall of one page, with the original's conventions for empty sides."""
    tp = sum((truth & pred).values())
    fp = sum((pred - truth).values())
    fn = sum((truth - pred).values())
    if fp == fn == 0:
        return 1.0, 1.0
    precision = 0.0 if tp == fp == 0 else tp / (tp + fp)
    recall = 0.0 if tp == fn == 0 else tp / (tp + fn)
    return precision, recall


def summary(scores: list[tuple[float, float]], seconds: float) -> dict[str, float]:
    p = sum(s[0] for s in scores) / len(scores)
    r = sum(s[1] for s in scores) / len(scores)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4),
            "pages_per_second": round(len(scores) / seconds, 1) if seconds else 0.0}


def timed(fn: Callable[[bytes], str], html: bytes) -> tuple[str, float]:
    t0 = time.perf_counter()
    out = fn(html)
    return out, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared datasets folder")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    ap.add_argument("--worst", type=int, default=8, help="pages to list where the Cleaner loses the most recall")
    args = ap.parse_args()
    root = args.data / "article_extraction"
    if not (root / "ground-truth.json").is_file():
        sys.exit(f"article_extraction data not found under {root}: pass --data DIR (the shared datasets folder)")
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    cleaner = Cleaner()

    def bare(html: bytes) -> str:
        return trafilatura.extract(html) or ""

    scores: dict[str, list[tuple[float, float]]] = defaultdict(list)
    secs: dict[str, float] = defaultdict(float)
    per_page: dict[str, dict[str, tuple[float, float]]] = {}
    cuts: dict[str, list[tuple[str, str, float]]] = {}  # page -> [(reason, removed text, share in truth)]
    for pid in sorted(truth):
        html = gzip.decompress((root / "html" / f"{pid}.html.gz").read_bytes())
        gold = shingles(truth[pid]["articleBody"])
        ex_t0 = time.perf_counter()
        ex = extract_html(html)
        raw = ex.text if ex else ""
        t_extract = time.perf_counter() - ex_t0
        t0 = time.perf_counter()
        cleaned = cleaner(raw, find_title=False, read_headers=False, known_title=ex.title) if ex else None
        text = cleaned.text if cleaned else ""
        secs["sitrep"] += t_extract + time.perf_counter() - t0
        secs["sitrep, no Cleaner"] += t_extract
        out_bare, t_bare = timed(bare, html)
        secs["trafilatura.extract"] += t_bare
        page = {"sitrep": score(gold, shingles(text)), "sitrep, no Cleaner": score(gold, shingles(raw)),
                "trafilatura.extract": score(gold, shingles(out_bare))}
        for k, v in page.items():
            scores[k].append(v)
        per_page[pid] = page
        cuts[pid] = []
        for span in cleaned.removed if cleaned else []:
            piece = raw[span.start : span.end]
            sh = shingles(piece)
            share = sum((sh & gold).values()) / max(1, sum(sh.values()))
            cuts[pid].append((span.reason, piece, share))

    results = {k: summary(v, secs[k]) for k, v in scores.items()}
    # Cleaner cuts of real article text: removed spans whose shingles are mostly in the ground truth.
    by_reason: dict[str, dict[str, int]] = defaultdict(lambda: {"spans": 0, "in_truth": 0})
    examples: dict[str, list[str]] = defaultdict(list)
    for pid, spans in cuts.items():
        for reason, piece, share in spans:
            by_reason[reason]["spans"] += 1
            if share >= 0.5:
                by_reason[reason]["in_truth"] += 1
                if len(examples[reason]) < 4:
                    examples[reason].append(f"{pid[:10]}: {' '.join(piece.split())[:160]}")
    drops = sorted(((per_page[p]["sitrep, no Cleaner"][1] - per_page[p]["sitrep"][1], p) for p in per_page),
                   reverse=True)
    worst = [{"page": p[:16], "url": truth[p]["url"], "recall_lost": round(d, 4),
              "cut": [f"{r}: {' '.join(t.split())[:120]}" for r, t, s in cuts[p] if s >= 0.5]}
             for d, p in drops[: args.worst] if d > 0]

    if args.json:
        print(json.dumps({"pages": len(truth), "results": results, "cleaner_cuts": dict(by_reason),
                          "cut_examples": dict(examples), "worst_pages": worst}, indent=2, ensure_ascii=False))
        return 0
    print(f"{len(truth)} pages, trafilatura {trafilatura.__version__}\n")
    print("| extractor | precision | recall | F1 | pages/s |\n| --- | ---: | ---: | ---: | ---: |")
    for k, v in results.items():
        print(f"| {k} | {v['precision']:.4f} | {v['recall']:.4f} | {v['f1']:.4f} | {v['pages_per_second']:.1f} |")
    print("\nCleaner cuts by rule (a span counts as article text when >= 50% of its shingles are in the truth):\n")
    print("| rule | spans cut | of them article text |\n| --- | ---: | ---: |")
    for reason, c in sorted(by_reason.items(), key=lambda kv: -kv[1]["in_truth"]):
        print(f"| {reason} | {c['spans']} | {c['in_truth']} |")
    for reason, ex_lines in examples.items():
        print(f"\n{reason}, cut although in the article:")
        for line in ex_lines:
            print(f"  - {line}")
    if worst:
        print("\nPages where the Cleaner loses the most recall:")
        for w in worst:
            print(f"  - {w['page']} ({w['url']}): recall -{w['recall_lost']:.4f}")
            for c in w["cut"][:4]:
                print(f"      {c}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

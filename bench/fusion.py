"""What fusion, stories and timelines cost, on the Timeline17 stores `bench/timelines.py` builds.

For each cached topic store (`bench/.cache/t17/<topic>.duckdb`, built by `sitrep ingest` with 2 workers): a copy
has its fused events and stories dropped, then fusion (`Fuser.update(everything=True)`), stories (vectors,
links, descriptions) and one whole-topic timeline are timed. The language layer's own time for the same articles
comes from the ingest record beside the store (`<topic>.json`, the summary line of that ingest), so the ratio
says what fusion and stories add to an ingest. Figures go to docs/benchmarks.md between
`<!-- fusion:begin -->` and `<!-- fusion:end -->`.

    .venv/bin/python bench/timelines.py --system pubdate   # once, to build the stores
    .venv/bin/python bench/fusion.py [--topics a,b] [--no-write]
"""
from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sitrep import Sitrep  # noqa: E402
from sitrep.fuse.stories import StoryBuilder  # noqa: E402
from sitrep.fuse.update import Fuser  # noqa: E402

from _doc import write_section  # noqa: E402  (bench/ is on sys.path when run as a script)

CACHE = ROOT / "bench" / ".cache" / "t17"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- fusion:begin -->", "<!-- fusion:end -->"


def layer_seconds(meta: Path) -> float | None:
    """The language layer's seconds from the ingest summary line recorded beside the store."""
    if not meta.exists():
        return None
    line = " ".join(json.loads(meta.read_text(encoding="utf-8")).get("summary") or [])
    m = re.search(r"language layer: .*?, ([0-9.]+)s", line)
    return float(m.group(1)) if m else None


def measure(db: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / db.name
        shutil.copy(db, copy)
        with Sitrep(copy) as s:
            con = s.store.con
            for table in ("fused_events", "event_links", "story_members", "stories", "article_vectors"):
                con.execute(f"DELETE FROM {table}")
            articles = con.execute("SELECT count(*) FROM annotated").fetchone()[0]
            mentions = con.execute("SELECT count(*) FROM events").fetchone()[0]
            t0 = time.perf_counter()
            fusion = Fuser(s.store).update()
            t1 = time.perf_counter()
            builder = StoryBuilder(s.store)
            _ = builder.embedder  # the model load is counted apart
            t2 = time.perf_counter()
            stories = builder.update()
            t3 = time.perf_counter()
            tl = s.timeline(max_dates=20, per_date=2)
            t4 = time.perf_counter()
            fused = s.store.fusion_stats()
            n_stories = s.stories(limit=1)[1]
    return {"articles": articles, "mentions": mentions, "fusion_s": t1 - t0, "model_s": t2 - t1,
            "stories_s": t3 - t2, "timeline_s": t4 - t3, "events": fused["events"],
            "multi": fused["multi_article"], "conflicts": fused["with_conflicts"], "stories": n_stories,
            "dates": len(tl), "fusion_articles": fusion.articles, "linked": stories["articles"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--topics", help="comma-separated topic folders (default: every cached store)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    dbs = sorted(CACHE.glob("*.duckdb"))
    if args.topics:
        dbs = [d for d in dbs if d.stem in args.topics.split(",")]
    if not dbs:
        sys.exit(f"no stores in {CACHE}: run bench/timelines.py first")
    rows, tot = [], {"articles": 0, "fusion_s": 0.0, "stories_s": 0.0, "layer_s": 0.0, "mentions": 0}
    for db in dbs:
        r = measure(db)
        layer = layer_seconds(db.with_suffix(".json"))
        r["layer_s"] = layer
        rows.append((db.stem, r))
        for k in ("articles", "fusion_s", "stories_s", "mentions"):
            tot[k] += r[k]
        tot["layer_s"] += layer or 0.0
        print(f"{db.stem}: {r['articles']} articles, {r['mentions']} mentions -> {r['events']} events "
              f"({r['multi']} from several articles, {r['conflicts']} with conflicts); fusion {r['fusion_s']:.1f}s, "
              f"stories {r['stories_s']:.1f}s ({r['stories']} stories), timeline {r['timeline_s']:.1f}s; "
              f"layer {layer}s", flush=True)
    lines = [f"`{shlex.join([Path(sys.executable).name, *sys.argv])}` (measured {date.today().isoformat()}, "
             "2-core machine; the language layer's time is from the ingest that built each store, 2 workers).", "",
             "| topic | articles | mentions | events | multi-article | with conflicts | stories | fusion s | "
             "stories s | timeline s | layer s | fusion+stories / layer |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in rows:
        ratio = f"{(r['fusion_s'] + r['stories_s']) / r['layer_s']:.3f}" if r["layer_s"] else "-"
        lines.append(f"| {name} | {r['articles']} | {r['mentions']} | {r['events']} | {r['multi']} | {r['conflicts']} | "
                     f"{r['stories']} | {r['fusion_s']:.1f} | {r['stories_s']:.1f} | {r['timeline_s']:.1f} | "
                     f"{r['layer_s'] or '-'} | {ratio} |")
    ratio = (tot["fusion_s"] + tot["stories_s"]) / tot["layer_s"] if tot["layer_s"] else float("nan")
    lines += ["", f"All {tot['articles']} articles: fusion {1000 * tot['fusion_s'] / tot['articles']:.0f} ms an article "
              f"({1000 * tot['fusion_s'] / max(1, tot['mentions']):.1f} ms a mention), stories "
              f"{1000 * tot['stories_s'] / tot['articles']:.0f} ms an article; together {100 * ratio:.1f}% of the "
              "language layer's time for the same articles (loading wordllama, its import and weights, about half a "
              "second once a run, is not counted)."]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(DOC, BEGIN, END, "Fusion, stories and timelines", text, title="# Benchmarks")


if __name__ == "__main__":
    main()

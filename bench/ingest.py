"""End-to-end ingest throughput and peak memory: Timeline17 articles as JSON Lines through the real
`sitrep ingest` CLI into a fresh database, then the same input again (all should come back unchanged).
This measures the foundation layer (`--no-nlp`); `bench/nlp.py` measures the language layer."""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from timeline17_to_jsonl import DEFAULT_DATA, convert, dataset_root


def sitrep_exe() -> str:
    beside = Path(sys.executable).parent / "sitrep"
    found = str(beside) if beside.exists() else shutil.which("sitrep")
    if not found:
        sys.exit("the sitrep command was not found: run this with the project's venv python")
    return found


def run_ingest(exe: str, jsonl: Path, db: Path, work: Path) -> dict[str, Any]:
    """One `sitrep ingest --json` in a child process: its report, wall seconds and peak RSS (MiB)."""
    out_path, err_path = work / "stdout.json", work / "stderr.txt"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        t0 = time.perf_counter()
        child = subprocess.Popen([exe, "ingest", str(jsonl), "--db", str(db), "--json", "--no-progress", "--no-nlp"],
                                 stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage, not the max over all children
        wall = time.perf_counter() - t0
    child.returncode = code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):  # 3 = finished with rejects
        sys.exit(f"sitrep ingest failed with exit code {code}:\n{err_path.read_text(errors='replace')[-2000:]}")
    report = json.loads(out_path.read_text(encoding="utf-8"))
    return {"report": report, "wall_s": wall, "peak_rss_mib": usage.ru_maxrss / 1024}  # ru_maxrss is KiB on Linux


def db_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, db.with_name(db.name + ".wal")) if p.exists())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared datasets folder")
    ap.add_argument("--limit", type=int, default=400, help="articles, first in sorted path order (default 400)")
    ap.add_argument("--all", action="store_true", help="every article (~2,600)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = ap.parse_args()
    root = dataset_root(args.data)
    exe = sitrep_exe()
    limit = None if args.all else args.limit

    with tempfile.TemporaryDirectory(prefix="sitrep-bench-") as tmp:
        work = Path(tmp)
        jsonl, db = work / "timeline17.jsonl", work / "bench.duckdb"
        with jsonl.open("w", encoding="utf-8") as fh:
            written, skipped = convert(root, fh, limit)
        in_bytes = jsonl.stat().st_size
        first = run_ingest(exe, jsonl, db, work)
        size = db_bytes(db)
        again = run_ingest(exe, jsonl, db, work)

    r1, r2 = first["report"], again["report"]
    new = r1["new"] or 1
    figures = {
        "articles_in": written, "empty_files_skipped": skipped, "input_mib": round(in_bytes / 2**20, 2),
        "new": r1["new"], "near_duplicates": r1["near_duplicates"], "duplicates": r1["duplicates"],
        "rejected": r1["rejected"], "wall_s": round(first["wall_s"], 2), "ingest_s": r1["seconds"],
        "articles_per_s_wall": round(r1["new"] / first["wall_s"], 2), "articles_per_s_ingest": r1["articles_per_second"],
        "peak_rss_mib": round(first["peak_rss_mib"], 1),
        "index_bytes_per_article": r1["near_duplicate_index"].get("bytes_per_article"),
        "db_bytes": size, "db_kib_per_article": round(size / new / 1024, 1),
        "rerun_unchanged": r2["unchanged"], "rerun_new": r2["new"], "rerun_wall_s": round(again["wall_s"], 2),
        "rerun_peak_rss_mib": round(again["peak_rss_mib"], 1),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"Timeline17 dev, first {written} article(s) in path order ({skipped} empty file(s) skipped), "
          f"{figures['input_mib']} MiB of JSON Lines\n")
    rows = [
        ("articles ingested (new)", f"{r1['new']} ({r1['near_duplicates']} near-duplicates)"),
        ("exact duplicates / rejected", f"{r1['duplicates']} / {r1['rejected']}"),
        ("wall time, whole CLI run", f"{first['wall_s']:.1f} s"),
        ("articles/s (wall; sitrep's own timer)", f"{figures['articles_per_s_wall']} ; {r1['articles_per_second']}"),
        ("peak RSS", f"{figures['peak_rss_mib']} MiB"),
        ("near-duplicate index", f"{figures['index_bytes_per_article']} bytes/article"),
        ("database file", f"{size / 2**20:.1f} MiB, {figures['db_kib_per_article']} KiB/article"),
        ("re-run: unchanged / new", f"{r2['unchanged']} / {r2['new']}"),
        ("re-run wall time (peak RSS)", f"{again['wall_s']:.1f} s ({figures['rerun_peak_rss_mib']} MiB)"),
    ]
    print("| measure | value |\n| --- | --- |")
    for k, v in rows:
        print(f"| {k} | {v} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

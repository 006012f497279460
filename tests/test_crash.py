"""Crash safety: `kill -9` a real ingest mid-run, run the same command again, and get exactly the state of an
uninterrupted run."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from .conftest import ROOT

WORDS = ("minister council army border talks ceasefire rebels capital troops strike drone protest sanctions "
         "envoy treaty harbour election parliament militia convoy airport refugees curfew embassy officials "
         "spokesman agency province governor ministry budget summit delegation statement").split()


def _corpus(d: Path, n: int) -> None:
    rng = random.Random(7)
    d.mkdir()
    for i in range(n):
        sents = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 24))).capitalize() + "."
                 for _ in range(rng.randint(6, 14))]
        body = f"title: Report {i}\ndate: 2024-{1 + i % 12:02d}-{1 + i % 28:02d}\n\n" + "\n\n".join(sents) + "\n"
        (d / f"r{i:04d}.txt").write_text(body, encoding="utf-8")
    (d / "bad.bin.txt").write_bytes(b"\x00\x01" * 100)


def _ingest(corpus: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sitrep.cli", "ingest", str(corpus), "--db", str(db),
                             "--batch-size", "10", "--no-progress"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_kill_minus_9_then_rerun_equals_uninterrupted(tmp_path):
    corpus = tmp_path / "corpus"
    _corpus(corpus, 400)
    clean_db, killed_db = tmp_path / "clean.duckdb", tmp_path / "killed.duckdb"

    assert _ingest(corpus, clean_db).wait(timeout=300) == 3  # the binary file is a reject

    proc = _ingest(corpus, killed_db)
    wal = Path(str(killed_db) + ".wal")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:  # wait for a few committed batches
        if wal.exists() and wal.stat().st_size > 200_000:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be killed; make the corpus larger"
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL

    from sitrep.store import Store

    with Store(killed_db) as st:  # opening replays the WAL: what was committed is there, the rest is not
        partial = st.stats()["articles"]
    assert 0 < partial < 400, partial

    assert _ingest(corpus, killed_db).wait(timeout=300) == 3
    with Store(clean_db), Store(killed_db):
        pass  # both files checkpointed and closed cleanly
    a, b = _state_with_fts(clean_db), _state_with_fts(killed_db)
    assert len(a["articles"]) == 400
    for key in a:
        assert a[key] == b[key], key


def _state_with_fts(db: Path) -> dict[str, list]:
    from sitrep.store import Store

    with Store(db, read_only=True) as st:
        st.load_fts()  # readers load the full-text extension on demand
        con = st.con
        return {
            "articles": con.execute("SELECT * EXCLUDE (run_id, ingested_at) FROM articles ORDER BY id").fetchall(),
            "items": con.execute("SELECT * EXCLUDE (run_id) FROM items ORDER BY ALL").fetchall(),
            "rejects": con.execute("SELECT source, locator, reason, detail FROM rejects ORDER BY ALL").fetchall(),
            "minhash": con.execute("SELECT * FROM minhash ORDER BY ALL").fetchall(),
            "bands": con.execute("SELECT * FROM lsh_bands ORDER BY ALL").fetchall(),
            "search": con.execute("SELECT id FROM (SELECT id, fts_main_articles.match_bm25(id, 'ceasefire') AS s "
                                  "FROM articles) WHERE s IS NOT NULL ORDER BY id").fetchall(),
        }


def _workers_of(pid: int) -> list[int]:
    """Worker processes of a running sitrep (spawned multiprocessing children, not the resource tracker)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (d / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and b"spawn_main" in cmd:
            out.append(int(d.name))
    return out


def test_a_killed_worker_costs_a_retry_not_the_run(tmp_path):
    """SIGKILL one language-layer worker of a running `ingest --workers 2`: its batch goes to a new pool, the run
    ends normally, and every article is annotated once."""
    import json

    corpus = tmp_path / "corpus"
    _corpus(corpus, 400)  # long enough that the kill, 6 s after both workers start, finds batches in flight
    db = tmp_path / "w.duckdb"
    proc = subprocess.Popen([sys.executable, "-m", "sitrep.cli", "ingest", str(corpus), "--db", str(db),
                             "--workers", "2", "--json", "--no-progress"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    killed = None
    deadline = time.time() + 240
    while killed is None and time.time() < deadline and proc.poll() is None:
        workers = _workers_of(proc.pid)
        if len(workers) == 2:
            time.sleep(6)  # let them load the model and take a batch
            workers = _workers_of(proc.pid)
            if workers:
                os.kill(workers[0], signal.SIGKILL)
                killed = workers[0]
        time.sleep(0.2)
    out, _ = proc.communicate(timeout=600)
    assert killed is not None, "never saw two workers"
    assert proc.returncode == 3, out[-2000:]  # 3: the binary file is a reject, as in an uninterrupted run
    lang = json.loads(out)["language"]
    assert lang["retried"] >= 1 and lang["failed"] == []
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    total, annotated, distinct = con.execute(
        "SELECT (SELECT count(*) FROM articles WHERE skip_reason IS NULL), count(*), count(DISTINCT article_id) "
        "FROM annotated").fetchone()
    assert total == 400 and annotated == distinct == total

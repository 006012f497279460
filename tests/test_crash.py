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

"""The cluster path (issue 7): `sitrep process --engine ray` on a local Ray, then `sitrep load`, gives the store a local
`sitrep ingest` of the same inputs gives (articles, duplicates, rejects, mentions, per-article and fused events,
stories); a killed Ray worker costs a retry of its batch, not the run; a killed driver's run resumes without
duplicates; loading twice is loading once. The CLI runs in real subprocesses against a Ray started here."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from .conftest import CORPUS, ROOT, SEEDS, need_shared, run_cli

# columns that say when or in which run, not what
_VOLATILE = {"run_id", "ingested_at", "rejected_at", "annotated_at"}
STORE_TABLES = ("articles", "items", "rejects", "minhash", "lsh_bands", "sentences", "mentions", "person_identities",
                "annotated", "events", "fused_events", "event_links", "article_vectors", "story_members", "stories")
PART_TABLES = ("articles", "rejects", "annotated", "sentences", "mentions", "events")


def snapshot(db: Path) -> dict[str, list[str]]:
    """Every row of every table that ingest or load writes, minus run ids and timestamps, in a stable order."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for t in STORE_TABLES:
            cols = [r[0] for r in con.execute(f"DESCRIBE {t}").fetchall() if r[0] not in _VOLATILE]
            out[t] = sorted(repr(r) for r in con.execute(f"SELECT {', '.join(cols)} FROM {t}").fetchall())
        return out
    finally:
        con.close()


def assert_same_store(a: Path, b: Path) -> None:
    sa, sb = snapshot(a), snapshot(b)
    for t in STORE_TABLES:
        assert sa[t] == sb[t], f"{t} differs: {len(sa[t])} vs {len(sb[t])} rows"


def partitions(out: Path, run: str) -> dict[str, list[str]]:
    """The rows of a run's committed batches, whatever the batching was."""
    import pyarrow.parquet as pq

    batches = [pq.read_table(p).to_pylist() for p in sorted((out / "batches" / f"run={run}").glob("part-*.parquet"))]
    parts = [b[0]["part"] for b in batches]
    rows: dict[str, list[str]] = {}
    for t in PART_TABLES:
        rows[t] = sorted(repr(r) for part in parts if (out / t / f"run={run}" / f"{part}.parquet").exists()
                         for r in pq.read_table(out / t / f"run={run}" / f"{part}.parquet").to_pylist())
    seqs = [s for b in batches for s in b[0]["seqs"]]
    assert len(seqs) == len(set(seqs)), "an item is in two committed batches"
    return rows


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The seeds, the example corpus, and a folder of awkward items (an exact copy, a binary file, an empty file)
    plus a missing path: every item ends as an article, a duplicate link or a reject on both paths."""
    seeds = need_shared(SEEDS)
    extra = tmp_path_factory.mktemp("extra")
    shutil.copy(CORPUS / "meridian_base_attack.txt", extra / "copy_of_meridian.txt")
    (extra / "binary.txt").write_bytes(b"\x00\x01\x02" * 50)
    (extra / "empty.md").write_text("   \n", encoding="utf-8")
    return [str(seeds), str(CORPUS), str(extra), str(extra / "missing.txt")]


@pytest.fixture(scope="module")
def ray_address() -> str:
    """A local Ray with two CPUs, for the whole module; the CLI joins it with --address."""
    try:
        import ray
    except ImportError:
        pytest.skip("ray is not installed: pip install 'sitrep[ray]' (make test installs it)")
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def ingested(inputs: list[str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference: a local `sitrep ingest` of the same inputs."""
    db = tmp_path_factory.mktemp("ingest") / "ingest.duckdb"
    r = run_cli("ingest", *inputs, "--workers", "1", "--no-progress", db=db, timeout=300)
    assert r.returncode == 3, r.stderr  # the binary, empty and missing items are rejects
    return db


def _process_args(inputs: list[str], out: Path, address: str, *extra: str) -> list[str]:
    return ["process", *inputs, "--out", str(out), "--engine", "ray", "--address", address, "--run", "r1",
            "--no-progress", *extra]


@pytest.fixture(scope="module")
def processed(inputs: list[str], ray_address: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ray") / "out"
    r = run_cli(*_process_args(inputs, out, ray_address, "--batch-size", "8", "--json"), timeout=300)
    assert r.returncode == 3, r.stderr  # finished, with rejects (as ingest)
    summary = json.loads(r.stdout)
    assert summary["rejected"] == 3 and summary["articles"] == summary["items"] - 3 and summary["failed"] == 0
    assert summary["engine"] == "ray" and summary["batches"] >= 3
    assert r.stderr.decode().count("\n") <= 3, r.stderr  # the rejects, one line each; no Ray chatter
    return out


def test_process_without_ray_says_how_to_install(tmp_path):
    code = ("import sys; sys.modules['ray'] = None; "  # as if ray were not installed
            "sys.argv = ['sitrep', 'process', sys.argv[1], '--out', sys.argv[2]]; "
            "from sitrep.cli import main; main()")
    r = subprocess.run([sys.executable, "-c", code, str(CORPUS), str(tmp_path / "out")], capture_output=True,
                       cwd=ROOT, timeout=120)
    assert r.returncode == 1
    lines = r.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "pip install 'sitrep[ray]'" in lines[0], lines
    assert not (tmp_path / "out").exists()


def test_ray_process_then_load_equals_ingest(processed, ingested, tmp_path):
    for t in ("articles", "rejects", "annotated", "mentions", "events", "batches"):
        assert list((processed / t / "run=r1").glob("part-*.parquet")), t
    assert not list(processed.rglob(".tmp-*"))
    manifest = json.loads((processed / "_runs" / "r1.json").read_text())
    assert manifest["finished"] and manifest["engine"] == "ray"

    db = tmp_path / "loaded.duckdb"
    r = run_cli("load", str(processed), "--json", db=db, timeout=300)
    assert r.returncode == 3, r.stderr  # the same rejects as ingest, recorded in the store
    report = json.loads(r.stdout)
    assert report["runs"] == ["r1"] and report["duplicates"] == 1 and report["rejected"] == 3
    assert report["annotated_here"] == 0 and report["annotations_from_partitions"] == report["language"]["articles"]
    assert report["language"]["events"] > 100 and report["language"]["fusion"]["mentions"] > 100
    assert_same_store(db, ingested)

    before = snapshot(db)
    r = run_cli("load", str(processed), "--json", db=db, timeout=300)  # idempotent: loading twice is loading once
    again = json.loads(r.stdout)
    assert again["new"] == 0 and again["unchanged"] == report["items"] - report["rejected"], again
    assert again["language"]["articles"] == 0
    assert snapshot(db) == before


def test_local_engine_writes_the_same_partitions(processed, inputs, tmp_path):
    out = tmp_path / "out"
    r = run_cli("process", *inputs, "--out", str(out), "--engine", "local", "--workers", "1", "--run", "r1",
                "--batch-size", "16", timeout=300)
    assert r.returncode == 3, r.stderr
    assert partitions(out, "r1") == partitions(processed, "r1")


def test_object_store_uris_read_through_pyarrow(tmp_path):
    """Inputs and output named as URIs (file:// here; s3://, gs://... the same code) give what paths give."""
    a, b = tmp_path / "a", tmp_path / "b"
    r = run_cli("process", str(CORPUS), "--out", str(a), "--engine", "local", "--no-nlp", "--run", "x", timeout=120)
    assert r.returncode == 0, r.stderr
    r = run_cli("process", CORPUS.as_uri(), "--out", b.as_uri(), "--engine", "local", "--no-nlp", "--run", "x",
                timeout=120)
    assert r.returncode == 0, r.stderr
    import pyarrow.parquet as pq

    def arts(out: Path) -> list[tuple]:
        rows = [r for p in sorted((out / "articles" / "run=x").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
        return sorted((r["seq"], r["id"], r["text"], r["published"], r["source"].rsplit("/", 1)[-1]) for r in rows)

    assert arts(a) == arts(b) and len(arts(a)) == 19
    assert all(r[4] for r in arts(b))


def _descendants(root: int) -> dict[int, str]:
    """Processes under `root` (pid -> command line), from /proc."""
    parent, cmd = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as fh:
                parent[int(d)] = int(fh.read().rsplit(b")", 1)[1].split()[1])
            with open(f"/proc/{d}/cmdline", "rb") as fh:
                cmd[int(d)] = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
    out = {}
    for pid in parent:
        p, seen = pid, 0
        while p and p != root and seen < 64:
            p, seen = parent.get(p, 0), seen + 1
        if p == root and pid != root:
            out[pid] = cmd.get(pid, "")
    return out


def _wait_for_batches(out: Path, proc: subprocess.Popen, n: int, timeout: float = 240) -> None:
    folder = out / "batches" / "run=r1"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if folder.is_dir() and len(list(folder.glob("part-*.parquet"))) >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"no {n} committed batch(es) before the run ended (rc {proc.poll()})")


@pytest.mark.slow
def test_killed_ray_worker_costs_a_retry_not_the_run(processed, inputs, ray_address, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "sitrep.cli",
                             *_process_args(inputs, out, ray_address, "--batch-size", "2", "--json")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for_batches(out, proc, 1)
        # the pool's actor is a worker of the Ray this test started (our descendant): kill it mid-run
        actors = [pid for pid, cmd in _descendants(os.getpid()).items() if "MapWorker(MapBatches" in cmd]
        assert actors, "no actor of the pool found"
        for pid in actors:
            os.kill(pid, signal.SIGKILL)
        done_before = len(list((out / "batches" / "run=r1").glob("part-*.parquet")))
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 3, stderr
    summary = json.loads(stdout)
    assert summary["batches"] > done_before  # the run went on after the kill
    assert partitions(out, "r1") == partitions(processed, "r1")  # and lost or doubled nothing


@pytest.mark.slow
def test_killed_driver_resumes_without_duplicates_and_load_is_idempotent(processed, ingested, inputs, ray_address,
                                                                          tmp_path):
    out = tmp_path / "out"
    args = [sys.executable, "-m", "sitrep.cli", *_process_args(inputs, out, ray_address, "--batch-size", "2",
                                                              "--json")]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_batches(out, proc, 2)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    for log in Path(tempfile.gettempdir()).glob(f"sitrep-ray-{proc.pid}-*.log"):  # the killed driver's Ray log
        log.unlink()
    manifest = json.loads((out / "_runs" / "r1.json").read_text())
    assert not manifest["finished"]
    db = tmp_path / "partial.duckdb"
    r = run_cli("load", str(out), "--json", db=db, timeout=120)  # an unfinished run is not loaded by default
    assert r.returncode == 0 and json.loads(r.stdout)["skipped_runs"][0]["run"] == "r1"

    r = run_cli(*args[3:], timeout=300)  # the same command again: resumes
    assert r.returncode == 3, r.stderr
    summary = json.loads(r.stdout)
    assert summary["resumed_items"] >= 2 and summary["new_batches"] < summary["batches"]
    assert partitions(out, "r1") == partitions(processed, "r1")  # no item twice, none lost

    r = run_cli("load", str(out), db=db, timeout=300)
    assert r.returncode == 3, r.stderr
    assert_same_store(db, ingested)
    r = run_cli("load", str(out), "--json", db=db, timeout=300)
    assert r.returncode == 3, r.stderr  # the rejects are still rejects
    assert json.loads(r.stdout)["new"] == 0
    assert_same_store(db, ingested)

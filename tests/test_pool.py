"""The API server's warm read connection (`store.pool.ReadPool`) against real writer processes: one open file for
many requests and threads, writers that still get the file (the server lets go when asked), notes from dead
processes ignored, and the file let go when idle."""
from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sitrep import Sitrep
from sitrep.store import StoreError
from sitrep.store.pool import ReadPool, served, writer_waiting

# A writer process as a library user opens one: no wait of its own (lock_timeout 0). It adds a row to `meta` and
# prints how long it took to get the file.
WRITER = """
import sys, time
from sitrep.store import Store
t0 = time.monotonic()
with Store(sys.argv[1]) as st:
    waited = time.monotonic() - t0
    st.con.execute("INSERT INTO meta VALUES ('written-by-test', '1') ON CONFLICT (key) DO UPDATE SET value = '1'")
    time.sleep(float(sys.argv[2]))
print(round(waited, 3))
"""


@pytest.fixture
def copy(served_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "pooled.duckdb"
    shutil.copy(served_db, path)
    return path


def _writer(path: Path, hold: float = 0.0) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(hold)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def _written(pool: ReadPool) -> bool:
    with pool.store() as st:
        return bool(st.con.execute("SELECT count(*) FROM meta WHERE key = 'written-by-test'").fetchone()[0])


def test_one_open_file_serves_many_requests_and_threads(copy: Path) -> None:
    pool = ReadPool(str(copy))
    try:
        with pool.store() as st:
            s = Sitrep.over(st)
            want = (s.stats(), s.events(limit=5), s.articles(query="missiles", limit=3))
        assert want[1][1] >= 5 and want[2][1] >= 1
        errors: list[BaseException] = []

        def work() -> None:
            try:
                for _ in range(5):
                    with pool.store() as st:
                        s = Sitrep.over(st)  # full text too, its extension loaded once for all cursors
                        assert (s.stats(), s.events(limit=5), s.articles(query="missiles", limit=3)) == want
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[0]
        assert pool.opens == 1 and pool.warm and served(str(copy))
    finally:
        pool.close()
    assert not pool.warm and not served(str(copy))
    assert not list(copy.parent.glob(copy.name + ".serving.*"))
    with pytest.raises(StoreError, match="closed"):
        with pool.store():
            pass


def test_a_writer_gets_the_file_from_a_warm_pool(copy: Path) -> None:
    pool = ReadPool(str(copy), lock_wait=0.5)
    try:
        assert not _written(pool) and pool.warm
        proc = _writer(copy, hold=1.5)
        deadline = time.monotonic() + 3
        while pool.warm and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not pool.warm  # let go for the writer
        time.sleep(0.3)
        with pytest.raises(StoreError, match="in use"):  # the writer holds the file
            with pool.store():
                pass
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err.decode()
        assert float(out) < 2.0  # it waited for the server, not for its own timeout
        assert not writer_waiting(str(copy))
        assert _written(pool) and pool.opens == 2  # opened again, and sees the write
    finally:
        pool.close()


def test_a_request_in_flight_finishes_before_the_writer_gets_the_file(copy: Path) -> None:
    pool = ReadPool(str(copy))
    try:
        with pool.store() as st:
            proc = _writer(copy)
            deadline = time.monotonic() + 1.0
            while not writer_waiting(str(copy)) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert writer_waiting(str(copy))
            with pytest.raises(StoreError, match="in use"):  # no new request while a writer waits
                with pool.store():
                    pass
            time.sleep(0.5)
            assert st.con.execute("SELECT count(*) FROM articles").fetchone()[0] > 0  # still reading
            assert proc.poll() is None and pool.warm
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err.decode()
    finally:
        pool.close()


def test_notes_of_dead_processes_are_ignored(copy: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    (copy.parent / f"{copy.name}.want-write.{pid}").write_text(str(pid))
    (copy.parent / f"{copy.name}.serving.{pid}").write_text(str(pid))
    assert not writer_waiting(str(copy)) and not served(str(copy))
    pool = ReadPool(str(copy))
    try:
        assert not _written(pool)  # a killed writer's note does not keep the server out
    finally:
        pool.close()
    proc = _writer(copy)  # nor does a killed server's note make a writer wait
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and float(out) < 0.5, err.decode()


def test_an_idle_pool_lets_go(copy: Path) -> None:
    pool = ReadPool(str(copy), idle_s=0.2)
    try:
        assert not _written(pool) and pool.warm
        time.sleep(0.6)
        assert not pool.warm and not served(str(copy))
        proc = _writer(copy)  # a writer that waits for nobody
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0 and float(out) < 0.5, err.decode()
        assert _written(pool) and pool.opens == 2
    finally:
        pool.close()

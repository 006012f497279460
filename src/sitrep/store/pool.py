"""A warm read-only connection for a process that answers many requests over one store (the API server), let go
whenever a sitrep writer asks for the file.

Opening a DuckDB file costs tens of milliseconds (about 35 ms for a store of a million events), and a fresh
connection starts with an empty cache, so every block a query touches is read and decoded again: per-request
connections made the server's timeline at a million events cost seconds where a warm connection answers in tens
of milliseconds. The pool keeps one connection and gives each request a cursor of it (`Store(share=...)`).

DuckDB lets one process write a file and nobody else open it meanwhile, so a warm reader must not keep writers
out. While the pool holds the file it says so in a note beside it, `<db>.serving.<pid>`; a sitrep writer that finds
the file locked and such a note writes `<db>.want-write.<pid>` and waits. The pool watches for that note,
refuses new requests (as "in use"), lets the requests in flight finish, and closes; the writer gets the file
within `SERVER_LETS_GO` seconds. Requests after that open the file again once the writer is done. A note whose
process is gone is ignored, so a killed writer or server leaves nothing stuck. The pool also lets go after
`idle_s` seconds without a request. Writers other than sitrep's (a DuckDB shell) are not covered: they find the
file in use while the server holds it, as they do while any request runs.
"""
from __future__ import annotations

import glob
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .db import Store, StoreError

SERVER_LETS_GO = 5.0  # seconds a writer waits, at least, for a serving pool to let go of the file


def _note(path: str, kind: str, pid: int | None = None) -> Path:
    return Path(f"{path}.{kind}.{os.getpid() if pid is None else pid}")


def _alive(path: str, kind: str) -> bool:
    """Whether a note of this kind exists for the store whose process is running (on this machine)."""
    for note in glob.glob(f"{glob.escape(path)}.{kind}.*"):
        try:
            pid = int(note.rsplit(".", 1)[1])
        except ValueError:
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        except PermissionError:  # someone else's process: it exists
            return True
        return True
    return False


def _write_note(path: str, kind: str) -> Path:
    note = _note(path, kind)
    note.write_text(str(os.getpid()), encoding="ascii")
    return note


def served(path: str) -> bool:
    """Whether a sitrep pool (a server) is holding the store at `path` open."""
    return _alive(path, "serving")


def want_write(path: str) -> Path:
    """Say that this process waits to write the store at `path`; returns the note to remove once done waiting."""
    return _write_note(path, "want-write")


def writer_waiting(path: str) -> bool:
    return _alive(path, "want-write")


class ReadPool:
    """One warm read-only connection to the store at `path`, shared by threads through cursors."""

    def __init__(self, path: str, *, lock_wait: float = 3.0, idle_s: float = 60.0, poll_s: float = 0.05) -> None:
        self.path = str(path)
        self.lock_wait, self.idle_s, self.poll_s = lock_wait, idle_s, poll_s
        self._root: Store | None = None
        self._users = 0
        self._last = time.monotonic()
        self._cond = threading.Condition()
        self._closed = False
        self.opens = 0  # times the file was opened (a measure of warmth, for tests and benchmarks)

    @contextmanager
    def store(self) -> Iterator[Store]:
        """A read-only `Store` over the warm connection (opened when there is none). Raises `StoreError` ("in use")
        when a writer holds the file or waits for it."""
        with self._cond:
            if self._closed:
                raise StoreError("the read pool is closed")
            if writer_waiting(self.path):
                raise StoreError(f"the database {self.path} is in use by another sitrep process")
            if self._root is None:
                note = _write_note(self.path, "serving")  # before the file is held: a writer finds it either way
                try:
                    self._root = Store(self.path, read_only=True, lock_timeout=self.lock_wait)
                except BaseException:
                    note.unlink(missing_ok=True)
                    raise
                self.opens += 1
                threading.Thread(target=self._watch, args=(self._root,), name="sitrep-read-pool",
                                 daemon=True).start()
            st = Store(self.path, read_only=True, share=self._root)
            self._users += 1
        try:
            yield st
        finally:
            st.close()
            with self._cond:
                self._users -= 1
                self._last = time.monotonic()
                self._cond.notify_all()

    def _watch(self, root: Store) -> None:
        """Close `root` once no request uses it and a writer waits, or nothing asked for `idle_s` seconds."""
        with self._cond:
            while self._root is root:
                letting_go = self._closed or writer_waiting(self.path) or time.monotonic() - self._last > self.idle_s
                if letting_go and not self._users:
                    self._release()
                    return
                self._cond.wait(self.poll_s)

    def _release(self) -> None:
        root, self._root = self._root, None
        if root is not None:
            root.close()
            _note(self.path, "serving").unlink(missing_ok=True)
        self._cond.notify_all()

    @property
    def warm(self) -> bool:
        return self._root is not None

    def close(self) -> None:
        """Let go of the file once the requests in flight finish; later requests are refused."""
        with self._cond:
            self._closed = True
            while self._users:
                self._cond.wait()
            self._release()

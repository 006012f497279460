"""A read-side cache of whole results (store statistics, timelines, and so the briefs built on them) and of read-side
indexes (the timeline index) for a process that serves many requests over one store, such as the API server. An
entry is valid while the store's files are unchanged.

A write to a DuckDB store appends to its write-ahead log or, at a checkpoint, rewrites the database file, so the
size and modification time of the two files change with every committed write, whichever process makes it. The
cache keys every result by that stamp, so a result is never served after the data under it changed; nothing has
to remember to invalidate it. The cache is an object the server owns and hands to each `Sitrep` it opens (no
process-wide state), bounded in entries, and safe to share between the server's threads.
"""
from __future__ import annotations

import copy
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


def store_stamp(path: str) -> tuple[int, ...] | None:
    """(size, mtime) of the database file and of its write-ahead log (zeros when there is none); None when the
    database file is missing (an in-memory store, or a path that is not there)."""
    try:
        db = os.stat(path)
    except OSError:
        return None
    try:
        wal = os.stat(path + ".wal")
        wal_key = (wal.st_size, wal.st_mtime_ns)
    except OSError:
        wal_key = (0, 0)
    return (db.st_size, db.st_mtime_ns, *wal_key)


class ResultCache:
    """Results of read queries by (store path, what was asked), each valid for one stamp of the store's files."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, Hashable], tuple[tuple[int, ...], Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0
        self._indexes: dict[tuple[str, str], tuple[tuple[int, ...], Any]] = {}
        self._building: dict[tuple[str, str], threading.Lock] = {}
        self.builds = 0

    def get(self, path: str, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached result of `key` over the store at `path`, computed (and kept) when missing or stale. Callers
        get a copy, so changing a result does not change the cache."""
        stamp = store_stamp(path)
        if stamp is None:
            return compute()
        full = (os.path.realpath(path), key)
        with self._lock:
            hit = self._entries.get(full)
            if hit is not None and hit[0] == stamp:
                self._entries.move_to_end(full)
                self.hits += 1
                return copy.deepcopy(hit[1])
            self.misses += 1
        value = compute()
        if store_stamp(path) == stamp:  # the store did not change while this was computed
            with self._lock:
                self._entries[full] = (stamp, copy.deepcopy(value))
                self._entries.move_to_end(full)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return value

    def index(self, path: str, name: str, build: Callable[[], T]) -> T | None:
        """A read-side index (`name`, such as the timeline index) of the store at `path` for its current stamp,
        built when missing or stale; one per store and name, shared as is (indexes are read-only), and built by
        one thread at a time while the others wait for it. None for a store without a file."""
        stamp = store_stamp(path)
        if stamp is None:
            return None
        full = (os.path.realpath(path), name)
        with self._lock:
            building = self._building.setdefault(full, threading.Lock())
        with building:
            with self._lock:
                have = self._indexes.get(full)
            if have is not None and have[0] == stamp:
                return have[1]  # type: ignore[no-any-return]
            value = build()
            self.builds += 1
            if store_stamp(path) == stamp:
                with self._lock:
                    self._indexes[full] = (stamp, value)
            return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._indexes.clear()

    def __len__(self) -> int:
        return len(self._entries)

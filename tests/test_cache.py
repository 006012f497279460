"""The read-side result cache: the same results as computing them, copies out, and never a result from before a
write (the store's files are its key)."""
from __future__ import annotations

import shutil
from pathlib import Path

from sitrep import Sitrep
from sitrep.cache import ResultCache, store_stamp
from sitrep.nlp.layer import LanguageConfig


def _copy(served_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "copy.duckdb"
    shutil.copy(served_db, path)
    if Path(str(served_db) + ".wal").exists():
        shutil.copy(str(served_db) + ".wal", str(path) + ".wal")
    return path


def _top_actor(s: Sitrep) -> str:
    return s.store.con.execute(
        "SELECT upper(c) FROM (SELECT unnest(actor_codes) AS c FROM fused_events WHERE listed) WHERE c <> '' "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]


def test_cached_stats_and_timelines_equal_fresh_ones_and_are_copies(served_db: Path, tmp_path: Path) -> None:
    path = _copy(served_db, tmp_path)
    cache = ResultCache()
    with Sitrep(path, read_only=True) as plain:
        actor = _top_actor(plain)
        fresh_stats, fresh_tl = plain.stats(), plain.timeline(actor=actor)
    assert fresh_tl, "the example store has a timeline for its most named actor"
    for _ in range(3):  # a Sitrep per request, as the API server opens them
        with Sitrep(path, read_only=True, cache=cache) as s:
            assert s.stats() == fresh_stats
            assert s.timeline(actor=actor) == fresh_tl
    assert (cache.misses, cache.hits) == (2, 4)
    with Sitrep(path, read_only=True, cache=cache) as s:
        got = s.timeline(actor=actor)
        got[0]["summary"].clear()
        s.stats()["articles"] = -1
        assert s.timeline(actor=actor) == fresh_tl and s.stats() == fresh_stats
        # other arguments are other entries
        assert s.timeline(actor=actor, max_dates=1) == plain_timeline(path, actor, 1)


def plain_timeline(path: Path, actor: str, max_dates: int) -> list:
    with Sitrep(path, read_only=True) as s:
        return s.timeline(actor=actor, max_dates=max_dates)


def test_a_write_by_another_connection_is_never_hidden_by_the_cache(served_db: Path, tmp_path: Path) -> None:
    path = _copy(served_db, tmp_path)
    cache = ResultCache()
    with Sitrep(path, read_only=True, cache=cache) as s:
        before = s.stats()
    stamp = store_stamp(str(path))
    doc = tmp_path / "new.txt"
    doc.write_text("Harbor officials in Oslo closed the northern terminal on Tuesday after a fuel leak, the port "
                   "authority said. Ferries were moved to the southern quay.\n", encoding="utf-8")
    with Sitrep(path) as w:
        w.ingest([str(doc)], language=LanguageConfig(workers=1))
    assert store_stamp(str(path)) != stamp
    with Sitrep(path, read_only=True, cache=cache) as s:
        after = s.stats()
    assert after["articles"] == before["articles"] + 1
    assert cache.misses == 2 and cache.hits == 0


def test_no_file_no_caching(tmp_path: Path) -> None:
    cache = ResultCache(max_entries=2)
    calls = []
    missing = str(tmp_path / "absent.duckdb")
    for _ in range(2):
        assert cache.get(missing, "k", lambda: calls.append(1) or len(calls)) == len(calls)
    assert calls == [1, 1] and len(cache) == 0
    real = tmp_path / "file.duckdb"
    real.write_bytes(b"x")
    for k in ("a", "b", "c", "a"):
        cache.get(str(real), k, lambda: k)
    assert len(cache) == 2  # bounded: the least recently used entry went

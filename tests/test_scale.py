"""The scale benchmark's generator (`bench/synth.py`) at a small size, checking real things: repeats of one
real-world event fuse, batched fusion gives exactly the events of fusing one article at a time, the read paths
built for scale (per-article keys of schema version 5, the selection and page queries) return what the plain
queries over mentions and records return, and a version-4 store upgrades to the same keys."""
from __future__ import annotations

import json
import shutil
import sys
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from sitrep import Sitrep
from sitrep.fuse.update import Fuser
from sitrep.store import EventFilter, Store
from sitrep.store.events import _day
from sitrep.store.schema import MIGRATIONS

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import synth  # noqa: E402

EVENTS = 2500


@pytest.fixture(scope="module")
def profile(request: pytest.FixtureRequest) -> synth.Profile:
    """Distributions from the Timeline17 stores when the benchmarks built them, else from the seeds and the
    example corpus ingested for the API tests."""
    stores = sorted(synth.T17.glob("*.duckdb"))
    if not stores:
        stores = [request.getfixturevalue("served_db")]
    return synth.load_profile(stores)


@pytest.fixture(scope="module")
def unfused(profile: synth.Profile, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("scale") / "synthetic.duckdb"
    gen = synth.Generator(profile, seed=11)
    with Store(db) as st:
        added = synth.grow(st, gen.articles(), EVENTS, batch=100, version=gen.version)
    assert added["events"] >= EVENTS
    return db


@pytest.fixture(scope="module")
def fused(unfused: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("scale") / "fused.duckdb"
    shutil.copy(unfused, db)
    with Store(db) as st:
        rep = Fuser(st).update(batch_mentions=700)  # several batches
    assert rep.mentions >= EVENTS
    return db


def _state(db: Path) -> tuple:
    with Store(db, read_only=True) as st:
        con = st.con
        links = con.execute("SELECT event_id, block, list(mention_id ORDER BY mention_id), list(reason ORDER BY "
                            "mention_id) FROM event_links GROUP BY 1, 2 ORDER BY 1").fetchall()
        records = con.execute("SELECT id, block, record FROM fused_events ORDER BY id").fetchall()
    return links, records


def test_generator_is_deterministic_and_realistic(profile: synth.Profile) -> None:
    a = [g.article for _, g in zip(range(30), synth.Generator(profile, seed=3).articles())]
    b = [g.article for _, g in zip(range(30), synth.Generator(profile, seed=3).articles())]
    assert [x.id for x in a] == [x.id for x in b] and [x.text for x in a] == [x.text for x in b]
    g = next(iter(synth.Generator(profile, seed=3).articles()))
    text = g.article.text
    for s in g.annotation.sentences:  # offsets point into the text
        assert text[s.start:s.end].strip()
    for m in g.annotation.mentions:
        assert text[m.start:m.end] == m.text
    for ev in g.annotation.events:
        assert ev.start <= ev.trigger[0] < ev.trigger[1] <= ev.end
        assert ev.explain["truth"]["event"]
    assert 0 < profile.p_repeat < 1 and 0 < profile.p_same < 1 and profile.density > 0


def test_repeats_of_one_event_fuse(fused: Path) -> None:
    with Store(fused, read_only=True) as st:
        # mentions whose actor has a country or a group (the others join only their own article's events)
        rows = st.con.execute(
            "SELECT l.event_id, l.article_id, e.record->'$.explain.truth.event' ->> '$', len(l.actor_roots) > 0 "
            "FROM event_links l JOIN events e ON e.id = l.mention_id").fetchall()
        n_fused, n_mentions = st.con.execute("SELECT (SELECT count(*) FROM fused_events), "
                                             "(SELECT count(*) FROM events)").fetchone()
    assert n_fused < 0.8 * n_mentions  # real merging work
    by_truth: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for event, article, truth, has_actor in rows:
        if has_actor:
            by_truth[truth].append((event, article))
    repeated = {t: v for t, v in by_truth.items() if len({a for _, a in v}) > 1}
    assert len(repeated) > 20  # 34 from the seeds' and corpus's profile (the fresh-clone case), more from Timeline17's
    # most reports of one real-world event (across articles) land in one fused event
    together = sum(Counter(e for e, _ in v).most_common(1)[0][1] for v in repeated.values())
    assert together / sum(len(v) for v in repeated.values()) > 0.75
    # and fused events rarely mix different real-world events
    truths_per_event: dict[str, set[str]] = defaultdict(set)
    for event, _, truth, has_actor in rows:
        if has_actor:
            truths_per_event[event].add(truth)
    mixed = sum(1 for t in truths_per_event.values() if len(t) > 1)
    assert mixed / len(truths_per_event) < 0.25  # distinct events of one actor, type and day window do merge


def test_batched_fusion_equals_one_article_at_a_time(unfused: Path, fused: Path, tmp_path: Path) -> None:
    one = tmp_path / "one.duckdb"
    shutil.copy(unfused, one)
    with Store(one) as st:
        rep = Fuser(st).update(batch_articles=1)
    assert rep.articles > 100
    assert _state(one) == _state(fused)


def test_appending_in_any_order_equals_reclustering_whole_blocks(unfused: Path, fused: Path, tmp_path: Path) -> None:
    """Fusion appends new mentions to the clusters a block holds when they come after all of its members (news in
    publication order), else re-clusters the block whole; articles fused in shuffled batches (both paths) and
    fusion that always re-clusters give the events of the fused fixture."""
    import random

    ref = tmp_path / "ref.duckdb"
    shuffled = tmp_path / "shuffled.duckdb"
    shutil.copy(unfused, ref)
    shutil.copy(unfused, shuffled)
    with Store(ref) as st:
        Fuser(st, incremental=False).update(batch_mentions=700)
    paths = Counter()
    with Store(shuffled) as st:
        fuser = Fuser(st)
        append = fuser._append

        def counted(*a: object) -> bool:
            done = append(*a)  # type: ignore[arg-type]
            paths["append" if done else "whole"] += 1
            return done
        fuser._append = counted  # type: ignore[method-assign]
        ids = [a for a, _ in st.unfused_article_counts()]
        # mostly in publication order, with some articles arriving late (a backfill)
        late = set(random.Random(5).sample(ids, len(ids) // 10))
        order = [a for a in ids if a not in late] + sorted(late)
        for i in range(0, len(order), 40):
            with st.transaction():
                fuser._fuse_articles(order[i:i + 40])
    assert paths["append"] > 5 and paths["whole"] > 0
    assert _state(ref) == _state(fused) == _state(shuffled)


def test_queries_return_what_they_should(fused: Path) -> None:
    with Store(fused, read_only=True) as st:
        recs = [json.loads(r) for (r,) in st.con.execute("SELECT record FROM fused_events WHERE listed").fetchall()]
    actors = Counter(p["code"] for r in recs for p in r["actor"] if p["code"])
    code = actors.most_common(3)[-1][0]
    days = sorted(r["date"][:10] for r in recs if r["date"] and len(r["date"]) == 10)
    since = date.fromisoformat(days[len(days) // 3])
    until = since + timedelta(days=60)

    def matches(r: dict) -> bool:
        day = _day(r["date"])
        return (any(p["code"].lower().startswith(code.lower()) or code.lower() in p["name"].lower()
                    for p in r["actor"]) and day is not None and since <= day <= until)

    want = sorted(r["id"] for r in recs if matches(r))
    with Sitrep(fused, read_only=True) as s:
        page, total = s.events(EventFilter(actor=code, since=since, until=until), limit=500)
        assert total == len(want) > 0 and sorted(e["id"] for e in page) == want
        latest, n = s.events(limit=8, order="latest")
        newest = sorted(recs, key=lambda r: (-(_day(r["date"]) or date.min).toordinal(),
                                             -(_day(r["first_reported"]) or date.min).toordinal(), r["id"]))
        assert n == len(recs) and [e["id"] for e in latest] == [r["id"] for r in newest[:8]]
        one = recs[len(recs) // 2]
        got = s.event(one["id"])
        assert got["id"] == one["id"] and got["evidence"] == one["evidence"]
        assert s.event(one["evidence"][0]["mention_id"])["id"] == one["id"]  # by one of its mentions
        assert s.event(one["id"][:10])["id"] == one["id"]  # by a prefix
        # the timeline's selection through the per-article keys equals the plain query over mentions
        sel = s.store.selection_articles(actor=code)
        plain = [r[0] for r in s.store.con.execute(
            "SELECT DISTINCT article_id FROM mentions WHERE kind = 'actor' AND (starts_with(lower(code), ?) "
            "OR contains(lower(name), ?) OR lower(actor_id) = ?) ORDER BY 1", [code.lower()] * 3).fetchall()]
        assert sel == plain
        tl = s.timeline(actor=code, max_dates=4, per_date=2)
    assert 1 <= len(tl) <= 4 and all(t["summary"] and t["sources"] for t in tl)
    assert set(t["sources"][0] for t in tl) <= set(sel)


def test_write_time_keys_equal_the_migration_backfill(fused: Path, tmp_path: Path) -> None:
    """The keys put_annotations writes are what migration 5 computes from the mentions and sentences of an older
    store (so an upgraded store and a new one read alike)."""
    db = tmp_path / "keys.duckdb"
    shutil.copy(fused, db)
    five = next(m for m in MIGRATIONS if m[0] == 5)[2]
    with Store(db) as st:
        con = st.con
        before = {t: con.execute(q).fetchall() for t, q in _KEYS.items()}
        for t in ("timeline_candidates", "timeline_vectors", "article_actors", "actor_names"):
            con.execute(f"DROP TABLE {t}")
        con.execute("UPDATE articles SET raw_chars = NULL")
        for sql in five:
            if "ADD COLUMN raw_chars" not in sql:  # the column stays (DuckDB will not drop it beside indexes)
                con.execute(sql)
        after = {t: con.execute(q).fetchall() for t, q in _KEYS.items()}
    assert before == after
    assert before["timeline_candidates"] and before["article_actors"]


_KEYS = {
    "timeline_candidates": "SELECT * FROM timeline_candidates ORDER BY ALL",
    "article_actors": "SELECT a.article_id, n.code, n.name, n.actor_id FROM article_actors a "
                      "JOIN actor_names n ON n.key = a.key ORDER BY ALL",
    "raw_chars": "SELECT id, raw_chars FROM articles ORDER BY ALL",
}


def test_timeline_reads_stored_vectors_alike(fused: Path, tmp_path: Path) -> None:
    from sitrep.fuse.stories import StoryBuilder

    db = tmp_path / "vectors.duckdb"
    shutil.copy(fused, db)
    with Sitrep(db, read_only=True) as s:
        code = s.store.con.execute("SELECT upper(c) FROM (SELECT unnest(actor_codes) c FROM fused_events) "
                                   "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
        fresh = s.timeline(actor=code, max_dates=5, per_date=2)
    with Store(db) as st:
        assert StoryBuilder(st).update_sentence_vectors() > 0
    with Sitrep(db, read_only=True) as s:
        assert s.timeline(actor=code, max_dates=5, per_date=2) == fresh


def test_clustering_the_timeline_tables_changes_no_timeline(fused: Path, tmp_path: Path) -> None:
    """The day-ordered rewrite of the timeline tables (`Store.cluster_timeline`, after stories are updated) keeps
    every row and every timeline, puts the rows in day order with the texts stored uncompressed, keeps the indexes,
    survives a reopen, and is done again only once the tables have grown."""
    from sitrep.fuse.stories import StoryBuilder

    db = tmp_path / "clustered.duckdb"
    shutil.copy(fused, db)

    def contents(st: Store) -> list:
        return [st.con.execute(f"SELECT * FROM {t} ORDER BY article_id, day").fetchall()
                for t in ("timeline_candidates", "timeline_vectors")]

    def texts_compression(st: Store) -> set[str]:
        return {c for (c,) in st.con.execute("SELECT DISTINCT compression FROM pragma_storage_info("
                                             "'timeline_candidates') WHERE column_name = 'texts'").fetchall()}

    with Store(db) as st:
        assert StoryBuilder(st).update_sentence_vectors() > 0
        st.con.execute("CHECKPOINT")
        rows = contents(st)
        n = len(rows[0])
        assert n > 300 and len(rows[1]) == n
        # rows arrive article by article, so their days are not in order; texts are stored as they are
        days = [d for (d,) in st.con.execute("SELECT day FROM timeline_candidates ORDER BY rowid").fetchall()]
        assert days != sorted(days)
        assert "FSST" not in texts_compression(st) and "Uncompressed" in texts_compression(st)
    with Sitrep(db, read_only=True) as s:
        codes = [c for (c,) in s.store.con.execute(
            "SELECT upper(c) FROM (SELECT unnest(actor_codes) c FROM fused_events) GROUP BY 1 "
            "ORDER BY count(*) DESC, 1 LIMIT 4").fetchall()]
        cases = [{"actor": c} for c in codes] + [{}, {"actor": codes[0], "since": sorted(days)[n // 2]}]
        before = [s.timeline(max_dates=6, per_date=2, **c) for c in cases]
    assert sum(bool(t) for t in before) >= 4
    with Store(db) as st:
        assert not st.cluster_timeline()["clustered"]  # a small store: not worth a rewrite
        done = st.cluster_timeline(min_rows=0)
        assert done["clustered"] and done["added"] == done["rows"] == n
        assert not st.cluster_timeline(min_rows=0)["clustered"]  # nothing added since
    with Sitrep(db, read_only=True) as s:  # reopened
        st = s.store
        for table in ("timeline_candidates", "timeline_vectors"):
            order = st.con.execute(f"SELECT day, article_id FROM {table} ORDER BY rowid").fetchall()
            assert order == sorted(order), table
        assert contents(st) == rows
        assert "FSST" not in texts_compression(st) and "Uncompressed" in texts_compression(st)  # kept by the rewrite
        assert st.con.execute("SELECT count(*) FROM duckdb_indexes() WHERE table_name LIKE 'timeline_%'"
                              ).fetchone()[0] == 2
        assert [s.timeline(max_dates=6, per_date=2, **c) for c in cases] == before
    with Store(db) as st:  # the definitions came along: a row without a day is refused
        with pytest.raises(Exception, match="NOT NULL"):
            st.con.execute("INSERT INTO timeline_candidates VALUES ('x', NULL, NULL, [], [], [])")

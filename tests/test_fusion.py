"""Across sources: event fusion (merge rules, near misses, conflicts, order independence), stories, timelines and
briefs, on the seeds with the real model, store and CLI, and on hand-made mention records for the rules."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from sitrep import Sitrep
from sitrep.fuse.fusion import blocks, cluster_block, fuse_record, may_merge, report
from sitrep.fuse.rules import FusionRules
from sitrep.nlp.layer import LanguageConfig
from sitrep.store import EventFilter

from .conftest import SHARED, run_cli
from .conftest import need_shared as _need

SCHEMA = SHARED / "schemas" / "event.schema.json"
RULES = FusionRules.load()


# -- the merge rules on hand-made mentions -------------------------------------------------------------------
def mention(mid: str, article: str, *, event: str = "ASSAULT", actor: str = "IRN", recipient: str | None = "IRQ",
            day: str | None = "2020-01-08", source: str = "expression", place: str | None = "IRQ",
            negated: bool = False, modality: str = "asserted", trigger: str = "attack", person: str | None = None,
            missiles: dict | None = None, sentence: str = "Iran fired missiles at bases in Iraq.") -> dict:
    names = {"FRA": "France", "IRN": "Iran", "USA": "United States"}
    party = lambda code: {"text": names.get(code, code), "name": names.get(code, code), "code": code,  # noqa: E731
                          "country": code[:3], "actor_id": code}
    recips = [party(recipient)] if recipient else []
    if person:
        recips = [{"text": person, "name": person, "code": "IRNMIL", "country": "IRN",
                   "actor_id": "person-" + person.lower().replace(" ", "-")}]
    loc = {"name": place, "country": place, "kind": "country"} if place else None
    return {"id": mid, "event": event, "mode": None, "context": [], "quad": 4, "cameo": "190", "intensity": -10.0,
            "actor": [party(actor)], "recipient": recips, "attribution": None, "negated": negated,
            "modality": modality, "date": day, "date_precision": "day" if day else None,
            "date_source": source if day else None, "location": loc, "locations": [loc] if loc else [],
            "attributes": {"fatalities": None, "injured": None, "quantities": [missiles] if missiles else []},
            "evidence": [{"doc_id": article, "source": article, "outlet": None, "published": "2020-01-08",
                          "sentence": sentence, "start": 0, "end": len(sentence), "trigger": [0, 4]}],
            "num_mentions": 1, "num_articles": 1, "num_sources": 1, "conflicts": [], "confidence": 0.7,
            "explain": {"trigger": trigger}, "pipeline_version": "test", "story_id": None}


def rep(rec: dict, article: str | None = None, published: date | None = date(2020, 1, 8)):
    return report(rec, article or rec["evidence"][0]["doc_id"], None, published, RULES)


def test_same_strike_in_two_articles_merges() -> None:
    a = rep(mention("m1", "A"))
    b = rep(mention("m2", "B", actor="IRNGOV", recipient="IRQMIL", day="2020-01-07"))  # one day apart, Iran's govt
    assert may_merge(a, b)
    assert may_merge(a, b) == may_merge(b, a) is not None


@pytest.mark.parametrize("change", [
    {"day": "2020-01-14"},                      # a second strike a week later
    {"place": "SYR"},                           # a strike somewhere else
    {"actor": "USA"},                           # someone else striking
    {"recipient": "SAU"},                       # another target
    {"negated": True},                          # a denial is not the strike
    {"modality": "hypothetical"},               # "would strike" is not the strike
    {"event": "ACCUSE"},                        # another kind of event
])
def test_near_misses_stay_apart(change: dict) -> None:
    a = rep(mention("m1", "A"))
    b = rep(mention("m2", "B", **change))
    assert may_merge(a, b) is None
    assert len(cluster_block([a, b], RULES)) == 2


def test_publication_dated_mention_reaches_back_a_few_days() -> None:
    stated = rep(mention("m1", "A", day="2020-01-06"))
    by_pub = rep(mention("m2", "B", day="2020-01-08", source="publication"))  # "by the time of publication"
    assert may_merge(stated, by_pub)
    later = rep(mention("m3", "C", day="2020-01-12", source="publication"))
    assert may_merge(stated, later) is None


def test_killing_of_named_person_merges_despite_date_and_records_conflict() -> None:
    ms = [rep(mention("k1", "A", event="ASSAULT", actor="USA", person="Qassem Soleimani", trigger="kill",
                      day="2020-01-03", place="IRQ")),
          rep(mention("k2", "B", event="ASSAULT", actor="USA", person="Qassem Soleimani", trigger="assassinate",
                      day="2019-01", place="IRQ")),
          rep(mention("k3", "C", event="ASSAULT", actor="USAGOV", person="Qassem Soleimani", trigger="kill",
                      day="2020-01-03", place="IRQ"))]
    assert "once-only" in may_merge(ms[0], ms[1])
    clusters = cluster_block(ms, RULES)
    assert len(clusters) == 1
    rec = fuse_record(clusters[0])
    assert rec["date"] == "2020-01-03" and rec["date_source"] == "fusion"
    conflict = next(c for c in rec["conflicts"] if c["field"] == "date")
    assert {v["value"] for v in conflict["values"]} == {"2020-01-03", "2019-01"}
    assert conflict["chosen"] == "2020-01-03" and "2 of 3" in conflict["chosen_by"]
    # the same attack on a person without a lethal trigger is not once-only
    beat = [rep(mention(f"b{i}", f"X{i}", actor="USA", person="Qassem Soleimani", trigger="attack", day=d))
            for i, d in enumerate(("2020-01-03", "2020-03-03"))]
    assert len(cluster_block(beat, RULES)) == 2


def test_counts_that_disagree_are_recorded_and_exact_figure_chosen() -> None:
    q = lambda text, v, bound=None: {"text": text, "value": v, "unit": "missiles", "approx": bound is not None,  # noqa: E731
                                     "bound": bound}
    ms = [rep(mention("q1", "A", missiles=q("22 missiles", 22))),
          rep(mention("q2", "B", missiles=q("more than a dozen missiles", 12, "min"))),
          rep(mention("q3", "C", missiles=q("dozens of missiles", 24, "min")))]
    rec = fuse_record(cluster_block(ms, RULES)[0])
    c = next(c for c in rec["conflicts"] if c["field"].startswith("quantity"))
    assert c["chosen"] == "22" and len(c["values"]) == 3
    assert rec["attributes"]["quantities"][0]["value"] == 22
    assert rec["num_articles"] == 3 and rec["num_sources"] == 3


def test_undated_reports_need_something_particular_in_common() -> None:
    dated = rep(mention("u1", "A", actor="FRA", recipient=None, sentence="France called for a comprehensive response."))
    undated = rep(mention("u2", "B", actor="FRA", recipient=None, day=None, place=None,
                          sentence="France will tell them."), published=None)
    assert may_merge(dated, undated) is None
    undated_same_target = rep(mention("u3", "C", day=None), published=None)
    assert "no date" in may_merge(rep(mention("u4", "D")), undated_same_target)


def test_blocks_and_clusters_do_not_depend_on_order() -> None:
    ms = [rep(mention("a1", "A")), rep(mention("a2", "B", day="2020-01-09")),
          rep(mention("a3", "C", day="2020-01-10")), rep(mention("a4", "D", day="2020-01-20")),
          rep(mention("a5", "E", actor="USA", recipient="IRN", day="2020-01-03"))]
    def shape(reports):
        return sorted(sorted(m.id for m in c.members) for b in blocks(reports, {}) for c in cluster_block(b, RULES))
    assert shape(ms) == shape(list(reversed(ms))) == shape(ms[2:] + ms[:2])


# -- on the seeds, end to end ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def seeds_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    seeds = _need(SHARED / "seeds")
    db = tmp_path_factory.mktemp("fu") / "seeds.duckdb"
    with Sitrep(db) as s:
        s.ingest([str(seeds)], language=LanguageConfig(workers=1))
    return db


@pytest.fixture(scope="module")
def fused(seeds_db: Path) -> list[dict]:
    with Sitrep(seeds_db, read_only=True) as s:
        return s.events(limit=1000)[0]


def _seed_id(s: Sitrep, prefix: str) -> str:
    return next(a["id"] for a in s.articles(limit=10)[0] if Path(a["source"]).name.startswith(prefix))


def test_seed_missile_strike_is_one_event_with_two_sources(fused: list[dict]) -> None:
    strike = [e for e in fused if e["event"] == "ASSAULT" and any(p["code"].startswith("IRN") for p in e["actor"])
              and e["date"] == "2020-01-08"]
    best = max(strike, key=lambda e: e["num_sources"])
    assert best["num_sources"] == 2 and best["num_articles"] == 2
    quantity = next(c for c in best["conflicts"] if c["field"] == "quantity:missile")
    assert quantity["chosen"] == "22"
    assert {"22", "at least 12"} <= {v["value"] for v in quantity["values"]}
    assert best["first_reported"] == "2020-01-08"


def test_seed_soleimani_killing_is_one_event_from_four_articles(fused: list[dict]) -> None:
    kill = [e for e in fused if e["event"] == "ASSAULT" and any(
        p.get("actor_id") == "person-qassem-soleimani" for p in e["recipient"])]
    assert len(kill) == 1
    e = kill[0]
    assert e["num_articles"] == 4 and e["num_sources"] == 4
    assert e["date"] == "2020-01-03"
    conflict = next(c for c in e["conflicts"] if c["field"] == "date")
    assert "2019-01" in {v["value"] for v in conflict["values"]} and conflict["chosen"] == "2020-01-03"
    assert all(m["reason"] for m in e["explain"]["members"])


@pytest.mark.parametrize("code", ["NATO", "DEU"])
def test_seed_partial_withdrawals_have_two_sources_each(fused: list[dict], code: str) -> None:
    out = [e for e in fused if e["event"] in ("RETREAT", "CONCEDE") and any(p["code"] == code for p in e["actor"])]
    best = max(out, key=lambda e: e["num_sources"])
    assert best["num_sources"] == 2 and not best["negated"]
    assert best["date"] == "2020-01-07"  # from the dated report; the other article has no date


def test_fused_exports_validate(seeds_db: Path, fused: list[dict]) -> None:
    import jsonschema

    v = jsonschema.Draft202012Validator(json.loads(_need(SCHEMA).read_text(encoding="utf-8")))
    for e in fused:
        v.validate(e)
        assert e["num_mentions"] == len(e["evidence"]) >= e["num_articles"] >= e["num_sources"] >= 1
    with Sitrep(seeds_db, read_only=True) as s:
        assert sum(1 for _ in s.store.iter_fused(EventFilter(actor="nato"))) >= 1
        mentions = s.events(limit=1000, mentions=True)[0]
    assert len(mentions) > len(fused)  # many mentions, fewer events


def test_seed_004_is_its_own_story(seeds_db: Path) -> None:
    with Sitrep(seeds_db, read_only=True) as s:
        stories, total = s.stories()
        s004, s000 = s.store.story_of(_seed_id(s, "004")), s.store.story_of(_seed_id(s, "000"))
        assert s004 and s000 and s004 != s000
        assert s.store.story_of(_seed_id(s, "002")) == s000
        crisis = s.story(s000)
    assert crisis["first_day"] == "2020-01-07" and crisis["num_articles"] >= 3
    assert {"IRN", "USA"} <= {a["code"] for a in crisis["actors"]}


def test_one_by_one_in_any_order_equals_all_at_once(seeds_db: Path, tmp_path: Path) -> None:
    seeds = sorted(_need(SHARED / "seeds").glob("*.txt"))

    def state(db: Path) -> tuple:
        with Sitrep(db, read_only=True) as s:
            con = s.store.con
            events = con.execute("SELECT event_id, list(mention_id ORDER BY mention_id) FROM event_links "
                                 "GROUP BY 1 ORDER BY 1").fetchall()
            records = con.execute("SELECT id, record FROM fused_events ORDER BY id").fetchall()
            stories = con.execute("SELECT article_id, story_id FROM story_members ORDER BY 1").fetchall()
        recs = {i: {k: v for k, v in json.loads(r).items() if k != "explain"} for i, r in records}
        return events, recs, stories

    whole = state(seeds_db)
    for name, order in (("forward", seeds), ("backward", seeds[::-1])):
        db = tmp_path / f"{name}.duckdb"
        for f in order:
            with Sitrep(db) as s:
                s.ingest([str(f)], language=LanguageConfig(workers=1))
        assert state(db) == whole, name


def test_delete_then_reingest_restores_the_same_events(seeds_db: Path, tmp_path: Path) -> None:
    import shutil

    db = tmp_path / "copy.duckdb"
    shutil.copy(seeds_db, db)
    with Sitrep(db) as s:
        before = s.store.con.execute("SELECT id, num_articles FROM fused_events ORDER BY id").fetchall()
        victim = _seed_id(s, "000")
        s.delete([victim])
        after = dict(s.store.con.execute("SELECT id, num_articles FROM fused_events").fetchall())
        assert not s.store.con.execute("SELECT count(*) FROM event_links WHERE article_id = ?", [victim]).fetchone()[0]
        assert sum(after.values()) < sum(dict(before).values())
        s.ingest([str(_need(SHARED / "seeds") / Path(s.store.con.execute(
            "SELECT 1").fetchone() and "000_1402688a86fae4b8.txt"))], language=LanguageConfig(workers=1))
        assert s.store.con.execute("SELECT id, num_articles FROM fused_events ORDER BY id").fetchall() == before


# -- timelines, briefs, CLI -------------------------------------------------------------------------------------
def test_timeline_of_the_crisis(seeds_db: Path) -> None:
    with Sitrep(seeds_db, read_only=True) as s:
        story = s.store.story_of(_seed_id(s, "000"))
        tl = s.timeline(story=story, max_dates=5, per_date=2)
    dates = [t["date"] for t in tl]
    assert dates == sorted(dates) and {"2020-01-03", "2020-01-08"} <= set(dates)
    for t in tl:
        assert 1 <= len(t["summary"]) <= 2 and t["sources"]
    jan3 = next(t for t in tl if t["date"] == "2020-01-03")
    assert any("Soleimani" in x for x in jan3["summary"]) and jan3["events"]


def test_timeline_index_gives_the_same_timelines(seeds_db: Path, tmp_path: Path) -> None:
    """The in-memory index a server keeps (`TimelineIndex`) against the store queries, selection by selection."""
    from sitrep.cache import ResultCache
    from sitrep.fuse.timeline import build_timeline
    from sitrep.fuse.timeline_index import TimelineIndex

    with Sitrep(seeds_db, read_only=True) as s:
        index = TimelineIndex.load(s.store)
        codes = sorted({c for e in s.events(limit=1000)[0] for a in e["actor"] + e["recipient"]
                        for c in [a.get("code")] if c})
        stories = [st["id"] for st in s.stories(limit=5)[0]]
        cases = [{"actor": c} for c in codes] + [{"actor": c[:3]} for c in codes] + [{"story": x} for x in stories]
        cases += [{}, {"query": "missiles"}, {"actor": "IRN", "since": date(2020, 1, 5)},
                  {"until": date(2020, 1, 4)}, {"actor": "soleimani"}, {"actor": "nobody-at-all"}]
        compared = 0
        for case in cases:
            plain = build_timeline(s.store, s._embed, max_dates=6, **case)
            fast = build_timeline(s.store, s._embed, max_dates=6, index=index, **case)
            assert fast == plain, case
            compared += bool(plain)
        assert compared >= 10 and len(codes) >= 5
        fresh = s.timeline(actor="IRN")
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(seeds_db.read_bytes())
    cache = ResultCache()
    with Sitrep(copy, cache=cache) as s:
        assert s.timeline(actor="IRN") == fresh and s.timeline(actor="USA", max_dates=3)
        assert cache.builds == 1  # one index for both timelines
        s.store.con.execute("DELETE FROM timeline_candidates WHERE day = DATE '2020-01-03'")  # a write: rebuilt
        after = s.timeline(actor="IRN")
        assert cache.builds == 2 and "2020-01-03" not in {t["date"] for t in after}
        assert after == build_timeline(s.store, s._embed, actor="IRN")


def test_cli_stories_timeline_brief_and_events_show(seeds_db: Path, tmp_path: Path) -> None:
    db = str(seeds_db)
    r = run_cli("timeline", "--db", db, "--actor", "IRN", "--format", "json", "--max-dates", "3", "--per-date", "1")
    assert r.returncode == 0, r.stderr
    tl = json.loads(r.stdout)
    assert isinstance(tl, list) and 1 <= len(tl) <= 3
    assert all(set(t) == {"date", "summary", "events", "sources"} for t in tl)
    r = run_cli("stories", "--db", db, "--json")
    stories = json.loads(r.stdout)["items"]
    assert len(stories) == 2
    r = run_cli("stories", "show", stories[0]["id"][:8], "--db", db)
    assert r.returncode == 0 and "most reported events" in r.stdout.decode()
    out = tmp_path / "stories.parquet"
    assert run_cli("export", "stories", "--db", db, "-f", "parquet", "-o", str(out)).returncode == 0
    import pyarrow.parquet as pq
    assert pq.read_table(out).num_rows == 2
    html = tmp_path / "brief.html"
    r = run_cli("brief", "--db", db, "--story", stories[0]["id"], "-o", str(html))
    assert r.returncode == 0, r.stderr.decode()
    page = html.read_text(encoding="utf-8")
    assert "<svg" in page and "Conflicting reports" in page and "2019-01" in page and 'id="src-1"' in page.replace("'", '"')
    ET.fromstring(page[page.index("<svg"):page.index("</svg>") + 6])
    md = tmp_path / "brief.md"
    assert run_cli("brief", "--db", db, "--actor", "FRA", "-o", str(md)).returncode == 0
    text = md.read_text(encoding="utf-8")
    assert "France" in text and "## Timeline" in text and (tmp_path / "brief.svg").exists()
    with Sitrep(seeds_db, read_only=True) as s:
        kill = next(e for e in s.events(limit=1000)[0] if e["num_articles"] == 4)
    r = run_cli("events", "show", kill["id"][:10], "--db", db)
    assert r.returncode == 0 and "sources disagree on date" in r.stdout.decode() and "once-only" in r.stdout.decode()
    r = run_cli("timeline", "--db", db, "--format", "yaml")
    assert r.returncode == 2
    r = run_cli("stories", "show", "zzzz", "--db", db)
    assert r.returncode != 0 and "no story" in (r.stderr + r.stdout).decode()


def test_recode_and_refuse_keep_the_same_events(seeds_db: Path, tmp_path: Path) -> None:
    import shutil

    db = tmp_path / "recode.duckdb"
    shutil.copy(seeds_db, db)

    def members(s: Sitrep) -> list:
        return s.store.con.execute("SELECT event_id, list(mention_id ORDER BY mention_id) FROM event_links "
                                   "GROUP BY 1 ORDER BY 1").fetchall()

    with Sitrep(db) as s:
        before = members(s)
        s.recode(LanguageConfig(workers=1))
        assert members(s) == before
        assert s.refresh(refuse=True)["fusion"]["mentions"] > 0
        assert members(s) == before
        # a mention whose record changed makes its block stale, and only that block is rebuilt
        s.store.con.execute("UPDATE events SET record = json_merge_patch(record, '{\"confidence\": 0.31}') "
                            "WHERE id = (SELECT min(mention_id) FROM event_links)")
        report = s.refresh()["fusion"]
        assert report["blocks_rebuilt"] == 1 and members(s) == before


def test_cli_query_timeline_export_mentions_and_refuse(seeds_db: Path, tmp_path: Path) -> None:
    import shutil

    db = tmp_path / "cli.duckdb"
    shutil.copy(seeds_db, db)
    out = tmp_path / "tl.json"
    r = run_cli("export", "timeline", "-o", str(out), "--query", "missiles", "--max-dates", "4", db=db)
    assert r.returncode == 0, r.stderr.decode()
    tl = json.loads(out.read_text(encoding="utf-8"))
    assert tl and all(set(t) == {"date", "summary", "events", "sources"} for t in tl)
    assert "2020-01-08" in {t["date"] for t in tl}
    r = run_cli("timeline", "--query", "zzzqqq", db=db)
    assert r.returncode == 0 and "no dated articles" in r.stderr.decode()
    fused = json.loads(run_cli("events", "--json", "--limit", "500", db=db).stdout)
    mentions = json.loads(run_cli("events", "--mentions", "--json", "--limit", "500", db=db).stdout)
    assert mentions["total"] > fused["total"] > 0
    assert all(e["num_articles"] == 1 for e in mentions["items"])
    r = run_cli("export", "events", "--mentions", "-f", "csv", db=db)
    import csv
    import io
    assert r.returncode == 0 and len(list(csv.DictReader(io.StringIO(r.stdout.decode())))) == mentions["total"]
    r = run_cli("refuse", "--json", db=db)
    assert r.returncode == 0 and json.loads(r.stdout)["fusion"]["mentions"] > 0
    assert json.loads(run_cli("events", "--json", "--limit", "500", db=db).stdout) == fused

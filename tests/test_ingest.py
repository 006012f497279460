"""Ingest end to end through the library: seeds, the example corpus in every format, dates, language."""
from __future__ import annotations

import gzip
import io
import json
import shutil
from pathlib import Path

import duckdb

from sitrep import Sitrep

from .conftest import CORPUS, SEEDS, need_shared


def _by_source(s: Sitrep) -> dict[tuple[str, str], dict]:
    return {(Path(a["source"]).name, a["locator"]): a for a in s.store.iter_articles()}


def test_seeds_five_articles_no_rejects_and_their_dates(db):
    need_shared(SEEDS)
    with Sitrep(db) as s:
        report = s.ingest([str(SEEDS)])
        assert (report.new, report.rejected, report.exit_code) == (5, 0, 0)
        arts = {k[0][:3]: a for k, a in _by_source(s).items()}
    assert arts["000"]["published"].isoformat() == "2020-01-08" and arts["000"]["date_source"] == "marker"
    assert arts["002"]["published"].isoformat() == "2020-01-07" and arts["002"]["date_source"] == "dateline"
    # 001 only dates its photo caption (and gives no year); 003's caption says November 10, 2020: not used
    for key in ("001", "003", "004"):
        assert arts[key]["published"] is None
        assert arts[key]["date_note"].startswith("unknown:")
    assert "photo captions" in arts["003"]["date_note"]
    assert not arts["000"]["text"].startswith("date") and arts["000"]["text"].startswith("France has condemned")
    assert all(a["language"] == "en" and a["skip_reason"] is None for a in arts.values())
    # the source is the path exactly as given
    assert all(a["source"].startswith(str(SEEDS)) for a in arts.values())


def test_reingest_is_a_noop_and_says_so(db):
    need_shared(SEEDS)
    with Sitrep(db) as s:
        s.ingest([str(SEEDS)])
        before = s.stats()
        again = s.ingest([str(SEEDS)])
        assert (again.new, again.unchanged, again.duplicates) == (0, 5, 0)
        assert "nothing new" in again.summary_line()
        after = s.stats()
    before.pop("runs"), after.pop("runs")
    assert before == after


def test_example_corpus_every_format(db, expected):
    with Sitrep(db) as s:
        report = s.ingest([str(CORPUS)])
        assert report.rejected == 0, report.rejects
        arts = list(s.store.iter_articles())
    fmts = {a["fmt"] for a in arts}
    assert {"txt", "md", "html", "jsonl", "feed", "warc"} <= fmts
    assert len(arts) == len(expected["documents"])
    for doc in expected["documents"]:
        base, _, frag = doc["path"].partition("#")
        match = [a for a in arts if a["source"].endswith(base) and (not frag or a["id"] == frag
                                                                   or a["locator"].split()[-1] == frag)]
        assert len(match) == 1, doc["path"]
        a = match[0]
        got = a["published"].isoformat() if a["published"] else None
        assert got == doc["expected_date"], (doc["path"], a["date_note"])
        for line in doc.get("boilerplate", []):
            assert line not in a["text"], (doc["path"], line)
        for sub in doc.get("keep_subheads", []):
            assert sub in a["text"], (doc["path"], sub)
        if doc.get("outlet"):
            assert a["outlet"] == doc["outlet"] or doc["outlet"] in (a["outlet"] or ""), doc["path"]
        assert a["language"] == doc["language"]


def test_jsonl_ids_french_flagged_and_near_duplicate(db):
    with Sitrep(db) as s:
        s.ingest([str(CORPUS)])
        a = s.article("hw-20250314-drc-ceasefire")
        assert a["fmt"] == "jsonl" and a["locator"] == "line 1" and a["outlet"] == "Harbor Wire"
        assert s.article("hw-20250313").get("id") == "hw-20250313-iraq-arrests"  # unique prefix
        fr = [x for x in s.store.iter_articles() if x["language"] == "fr"]
        assert len(fr) == 1 and "not supported" in fr[0]["skip_reason"]
        dups = [x for x in s.store.iter_articles() if x["duplicate_of"]]
        assert len(dups) == 1 and dups[0]["similarity"] >= 0.8
        canon = s.article(dups[0]["duplicate_of"])
        assert {Path(dups[0]["source"]).name, Path(canon["source"]).name} == {
            "meridian_base_attack.txt", "coastal_ledger_base_attack_syndicated.txt"}
        assert dups[0]["id"] in canon["near_duplicates"]


def test_exact_duplicate_is_linked_not_stored_twice(db, tmp_path):
    src = CORPUS / "meridian_base_attack.txt"
    copy = tmp_path / "copy" / "same_story.txt"
    copy.parent.mkdir()
    shutil.copy(src, copy)
    with Sitrep(db) as s:
        s.ingest([str(src)])
        r = s.ingest([str(copy)])
        assert (r.new, r.duplicates) == (0, 1)
        art = s.article(next(iter(s.store.iter_articles()))["id"])
        assert any(i["kind"] == "duplicate" and i["source"] == str(copy) for i in art["items"])
        assert s.stats()["exact_duplicates"] == 1


def test_duplicates_found_within_one_transaction_as_across_transactions(tmp_path):
    """Articles are written in bulk when a transaction commits; an exact copy, a near copy and a repeated item met
    before that are still recognised, and the store is the one committing every item gives."""
    folder = tmp_path / "in"
    folder.mkdir()
    src = (CORPUS / "meridian_base_attack.txt").read_text(encoding="utf-8")
    (folder / "a_story.txt").write_text(src, encoding="utf-8")
    (folder / "b_exact_copy.txt").write_text(src, encoding="utf-8")
    (folder / "c_near_copy.txt").write_text(src.replace("said", "told reporters", 1), encoding="utf-8")
    listed = [str(folder), str(folder / "a_story.txt")]  # the first file a second time, in the same run
    tables = []
    for batch in (50, 1):
        with Sitrep(tmp_path / f"b{batch}.duckdb") as s:
            r = s.ingest(listed, batch_size=batch, language=None)
            assert (r.new, r.duplicates, r.near_duplicates, r.unchanged) == (2, 1, 1, 1)
            con = s.store.con
            tables.append([con.execute(f"SELECT {cols} FROM {t} ORDER BY ALL").fetchall() for t, cols in (
                ("articles", "id, source, content_hash, duplicate_of, similarity"),
                ("items", "source, locator, raw_hash, article_id, kind"), ("minhash", "article_id, signature"),
                ("lsh_bands", "*"))])
    assert tables[0] == tables[1]


def test_gzip_stdin_and_in_order_ingest_of_any_format(db, tmp_path):
    text = (CORPUS / "northline_base_attack_marker.txt").read_bytes()
    with Sitrep(db) as s:
        r = s.ingest(["-"], stdin=io.BufferedReader(io.BytesIO(gzip.compress(text))))
        assert r.new == 1
        a = next(iter(s.store.iter_articles()))
        assert a["source"] == "-" and a["published"].isoformat() == "2025-03-12"
        jl = tmp_path / "feed.jsonl.gz"
        recs = [{"id": "x1", "title": "A test", "text": "The council met on Monday and approved the budget after a "
                 "long debate about schools and roads in the northern districts.", "date": "2024-02-03"}]
        jl.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in recs).encode()))
        r = s.ingest([str(jl)])
        assert r.new == 1 and s.article("x1")["published"] == "2024-02-03"


def test_schema_is_versioned_and_reopens(db):
    with Sitrep(db) as s:
        s.ingest([str(CORPUS / "meridian_base_attack.txt")])
        assert s.store.schema_version() >= 1
    con = duckdb.connect(str(db), read_only=True)
    versions = con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    con.close()
    assert versions and versions[0][0] == 1
    with Sitrep(db, read_only=True) as s:
        assert s.stats()["articles"] == 1


def test_delete_retracts_and_relinks_near_duplicates(db):
    with Sitrep(db) as s:
        s.ingest([str(CORPUS / "meridian_base_attack.txt"), str(CORPUS / "coastal_ledger_base_attack_syndicated.txt")])
        arts = list(s.store.iter_articles())
        canon = next(a for a in arts if not a["duplicate_of"])
        follower = next(a for a in arts if a["duplicate_of"])
        assert s.delete([canon["id"][:10]]) == [canon["id"]]
        left = list(s.store.iter_articles())
        assert [a["id"] for a in left] == [follower["id"]] and left[0]["duplicate_of"] is None
        st = s.stats()
        assert st["near_duplicate_index"]["articles"] == 1
        # the deleted input can come back
        assert s.ingest([canon["source"]]).new == 1

"""Bad input: every item ends as an article or a recorded reject with its reason; the batch goes on."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

from sitrep import Sitrep
from sitrep.ingest.sources import IngestConfig

from .conftest import CORPUS

GOOD = ("The regional council voted on Tuesday to extend the curfew by two weeks, the mayor said, after three "
        "nights of clashes between police and protesters in the port district.\n")


def _write_bad_inputs(d: Path) -> dict[str, str]:
    """Files of every kind of trouble, and the reason each must be rejected with."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "good.txt").write_text(GOOD, encoding="utf-8")
    (d / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (d / "empty.txt").write_bytes(b"   \n\n")
    (d / "latin.txt").write_bytes(("Le conseil régional a voté mardi " * 10).encode("latin-1"))  # decodable: kept
    (d / "undecodable.txt").write_bytes(b"\xff\xfe\xfd" + bytes([0x80 + (i * 7) % 60 for i in range(3000)]))
    full = gzip.compress(GOOD.encode() * 50)
    (d / "truncated.txt.gz").write_bytes(full[: len(full) // 2])
    (d / "big.txt").write_text(GOOD * 200, encoding="utf-8")
    (d / "scan.pdf").write_bytes(b"%PDF-1.4 not really")
    (d / "broken.html").write_text("<html><body><div><p>", encoding="utf-8")
    lines = [json.dumps({"id": "ok-1", "text": GOOD.replace("curfew", "ban"), "date": "2024-03-01"}), "{not json", "[1, 2]",
             json.dumps({"id": "no-text", "title": "only a title"}), json.dumps({"id": 5, "text": 7}),
             json.dumps({"id": "ok-2", "text": GOOD.replace("Tuesday", "Friday") + GOOD, "date": "yesterday"})]
    (d / "mixed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (d / "boiler.txt").write_text("Share\nAdvertisement\nSubscribe to our newsletter\n", encoding="utf-8")
    return {
        "binary.txt": "binary", "empty.txt": "empty", "undecodable.txt": "undecodable",
        "truncated.txt.gz": "truncated-gzip", "big.txt": "too-large", "scan.pdf": "unknown-type",
        "broken.html": "no-main-text", "boiler.txt": "no-content",
        "mixed.jsonl line 2": "malformed-json", "mixed.jsonl line 3": "malformed-record",
        "mixed.jsonl line 4": "empty", "mixed.jsonl line 5": "malformed-record",
    }


def test_every_bad_input_is_a_reject_with_its_reason(db, tmp_path):
    want = _write_bad_inputs(tmp_path / "in")
    with Sitrep(db) as s:
        report = s.ingest([str(tmp_path / "in"), str(tmp_path / "missing.txt")],
                          config=IngestConfig(max_bytes=20_000))
        rejects, total = s.rejects()
        arts = list(s.store.iter_articles())
    got = {(Path(r["source"]).name + (" " + r["locator"] if r["locator"] else "")): r["reason"] for r in rejects}
    want["missing.txt"] = "not-found"
    assert got == want
    assert all(r["detail"] for r in rejects)
    assert report.exit_code == 3 and report.rejected == total == len(want)
    names = sorted((Path(a["source"]).name, a["locator"]) for a in arts)
    assert names == [("good.txt", ""), ("latin.txt", ""), ("mixed.jsonl", "line 1"), ("mixed.jsonl", "line 6")]
    # an unreadable date is not a date
    assert next(a for a in arts if a["locator"] == "line 6")["published"] is None
    # every item accounted for
    assert report.items == report.new + report.duplicates + report.unchanged + report.rejected


def test_rejects_are_not_duplicated_and_clear_when_fixed(db, tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    bad = d / "story.jsonl"
    bad.write_text('{"id": "a", "text": "x"\n', encoding="utf-8")
    with Sitrep(db) as s:
        s.ingest([str(d)])
        s.ingest([str(d)])
        assert s.rejects()[1] == 1
        bad.write_text(json.dumps({"id": "a", "text": GOOD}) + "\n", encoding="utf-8")
        r = s.ingest([str(d)])
        assert (r.new, r.rejected, s.rejects()[1]) == (1, 0, 0)


def test_truncated_warc_and_jsonl_keep_what_came_before(db, tmp_path):
    warc = (CORPUS / "crawl.warc.gz").read_bytes()
    (tmp_path / "cut.warc.gz").write_bytes(warc[: int(len(warc) * 0.75)])
    recs = "".join(json.dumps({"id": f"r{i}", "text": GOOD.replace("two", str(i + 2)) * (i + 1)}) + "\n"
                   for i in range(30))
    z = gzip.compress(recs.encode())
    (tmp_path / "cut.jsonl.gz").write_bytes(z[: int(len(z) * 0.8)])
    with Sitrep(db) as s:
        r = s.ingest([str(tmp_path / "cut.warc.gz"), str(tmp_path / "cut.jsonl.gz")])
        reasons = {x["reason"] for x in s.rejects()[0]}
    assert r.new >= 2  # the first WARC record and the early JSON lines
    assert reasons == {"truncated-warc", "truncated-gzip"}

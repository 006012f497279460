"""The `sitrep` command in real subprocesses: help, exit codes, JSON output, listing, show, export, delete."""
from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq

from .conftest import CORPUS

COMMANDS = ["ingest", "articles", "show", "stats", "rejects", "delete", "export", "export articles"]


def test_help_everywhere(cli):
    r = cli("--help")
    assert r.returncode == 0 and b"ingest" in r.stdout
    for cmd in COMMANDS:
        r = cli(*cmd.split(), "--help")
        assert r.returncode == 0, cmd
        assert b"Usage" in r.stdout


def test_usage_errors_exit_2_user_errors_exit_1_without_traceback(cli, db, tmp_path):
    r = cli("ingest")  # missing argument
    assert r.returncode == 2
    r = cli("articles", "--since", "last week", db=db)
    assert r.returncode == 2
    r = cli("stats", db=tmp_path / "nope.duckdb")
    assert r.returncode == 1 and b"no sitrep database" in r.stderr and b"Traceback" not in r.stderr
    assert len(r.stderr.decode().strip().splitlines()) == 1


def test_ingest_summary_json_and_exit_codes(cli, db, tmp_path):
    r = cli("ingest", str(CORPUS), "--json", db=db)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["new"] == 19 and summary["rejected"] == 0 and summary["exit_code"] == 0
    assert summary["near_duplicate_index"]["bytes_per_article"] > 0
    r = cli("ingest", str(CORPUS), db=db)
    assert r.returncode == 0 and b"nothing new" in r.stdout
    (tmp_path / "x.bin.txt").write_bytes(b"\x00" * 64)
    r = cli("ingest", str(tmp_path / "x.bin.txt"), db=db)
    assert r.returncode == 3 and b"1 rejected" in r.stdout and b"binary" in r.stderr


def test_stdin_and_env_db(cli, tmp_path):
    env_db = tmp_path / "env.duckdb"
    text = (CORPUS / "protest_brussels_nodate.txt").read_bytes()
    r = cli("ingest", "-", input=text, env={"SITREP_DB": str(env_db)})
    assert r.returncode == 0, r.stderr
    assert env_db.exists()
    r = cli("articles", "--json", env={"SITREP_DB": str(env_db)})
    page = json.loads(r.stdout)
    assert page["total"] == 1 and page["items"][0]["source"] == "-"


def test_list_search_show_export_delete(cli, db, tmp_path, expected):
    assert cli("ingest", str(CORPUS), db=db).returncode == 0
    page = json.loads(cli("articles", "--json", "--since", "2025-03-01", "--until", "2025-03-13", db=db).stdout)
    want = sum(1 for d in expected["documents"] if d["expected_date"] and "2025-03-01" <= d["expected_date"] <= "2025-03-13")
    assert page["total"] == want and all("2025-03-01" <= a["published"] <= "2025-03-13" for a in page["items"])
    page = json.loads(cli("articles", "--json", "--outlet", "harbor wire", db=db).stdout)
    assert {a["outlet"] for a in page["items"]} == {"Harbor Wire"} and page["total"] == 3
    hits = json.loads(cli("articles", "--json", "-q", "ceasefire Nairobi", db=db).stdout)
    assert hits["total"] >= 3 and "ceasefire" in (hits["items"][0]["title"] or "").lower()
    assert all(h["score"] > 0 for h in hits["items"])

    r = cli("show", "hw-20250313", db=db)
    assert r.returncode == 0 and b"Camp Sabreen" in r.stdout and b"[-" in r.stdout
    r = cli("show", "zzzz", db=db)
    assert r.returncode == 1 and b"no article" in r.stderr
    shown = json.loads(cli("show", "hw-20250314", "--json", db=db).stdout)
    assert shown["id"] == "hw-20250314-drc-ceasefire" and shown["removed"]

    lines = cli("export", "articles", "--format", "jsonl", db=db).stdout.decode().splitlines()
    recs = [json.loads(x) for x in lines]
    assert len(recs) == 19
    for key in ("id", "source", "url", "title", "outlet", "published", "language", "text", "raw_text"):
        assert all(key in r for r in recs)
    rows = list(csv.DictReader(io.StringIO(cli("export", "articles", "-f", "csv", db=db).stdout.decode())))
    assert len(rows) == 19 and isinstance(json.loads(rows[0]["removed"]), list)
    assert cli("export", "articles", "-f", "parquet", db=db).returncode == 2  # needs -o
    out = tmp_path / "a.parquet"
    assert cli("export", "articles", "-f", "parquet", "-o", str(out), db=db).returncode == 0
    assert pq.read_table(out).num_rows == 19

    r = cli("delete", "hw-2025", db=db)
    assert r.returncode == 1 and b"several" in r.stderr
    r = cli("delete", "hw-20250313-iraq-arrests", "--json", db=db)
    assert json.loads(r.stdout) == {"deleted": ["hw-20250313-iraq-arrests"]}
    stats = json.loads(cli("stats", "--json", db=db).stdout)
    assert stats["articles"] == 18 and stats["languages"] == {"en": 17, "fr": 1}

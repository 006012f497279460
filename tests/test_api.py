"""The JSON API against a real `sitrep serve` process on a free localhost port, over a store built from the seeds and
the example corpus: shapes, paging, validation, JSON errors, bearer tokens, and serving beside a writer."""
from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest

from .conftest import SHARED, run_cli
from .conftest import need_shared as _need
from .served import Server, free_port as _free_port

SCHEMA = SHARED / "schemas" / "event.schema.json"


@pytest.fixture(scope="module")
def db(served_db: Path) -> Path:
    return served_db


@pytest.fixture(scope="module")
def server(db: Path):
    srv = Server(db)
    yield srv
    srv.stop()


def test_every_list_pages_with_the_envelope(server: Server) -> None:
    for path in ("/api/articles", "/api/events", "/api/actors", "/api/places", "/api/stories",
                 "/api/search?q=missiles"):
        sep = "&" if "?" in path else "?"
        page = server.json(f"{path}{sep}limit=2&offset=1")
        assert set(page) == {"items", "total", "limit", "offset"}, path
        assert page["limit"] == 2 and page["offset"] == 1 and len(page["items"]) <= 2 and page["total"] >= 1, path
    total = server.json("/api/events?limit=500")["total"]
    ids = [e["id"] for off in range(0, total, 7) for e in server.json(f"/api/events?limit=7&offset={off}")["items"]]
    assert len(ids) == len(set(ids)) == total


def test_events_validate_and_filter(server: Server) -> None:
    import jsonschema

    v = jsonschema.Draft202012Validator(json.loads(_need(SCHEMA).read_text(encoding="utf-8")))
    page = server.json("/api/events?limit=500&order=reported")
    for e in page["items"]:
        v.validate(e)
    top = page["items"][0]
    assert top["num_sources"] >= max(e["num_sources"] for e in page["items"])
    irn = server.json("/api/events?actor=IRN&type=ASSAULT&limit=500")["items"]
    assert irn and all(e["event"] == "ASSAULT" for e in irn)
    one = server.json(f"/api/events/{top['id'][:10]}")
    assert one["id"] == top["id"] and one["evidence"] and "members" in one["explain"]
    mentions = server.json("/api/events?mentions=true&limit=500")
    assert mentions["total"] > page["total"]
    jan = server.json("/api/events?since=2020-01-03&until=2020-01-03&limit=500")["items"]
    assert jan and all(e["date"].startswith("2020-01-03") for e in jan)


def test_article_story_timeline_brief_stats(server: Server) -> None:
    art = server.json("/api/articles?limit=1&q=missiles")["items"][0]
    full = server.json(f"/api/articles/{art['id']}")
    assert full["text"] and full["mentions"] and isinstance(full["removed"], list) and "events" in full
    story = server.json("/api/stories?limit=1")["items"][0]
    detail = server.json(f"/api/stories/{story['id'][:8]}")
    assert detail["timeline"] and detail["events"]
    tl = server.json("/api/timeline?actor=IRN&max_dates=3&per_date=1")
    assert 1 <= len(tl) <= 3 and all({"date", "summary", "events", "sources"} <= set(t) for t in tl)
    brief = server.json("/api/brief?actor=FRA")
    assert brief["lead"] and brief["sources"]
    code, headers, body = server.get("/api/brief?actor=FRA&format=html")
    assert code == 200 and headers["content-type"].startswith("text/html") and b"<svg" in body
    stats = server.json("/api/stats")
    assert stats["articles"] >= 5 and stats["fused_events"]["events"] > 0 and stats["stories"] > 0


@pytest.mark.parametrize("path,status", [
    ("/api/events?limit=501", 422), ("/api/events?limit=0", 422), ("/api/events?offset=-1", 422),
    ("/api/events?type=FIGHT", 422), ("/api/events?country=FRANCE", 422), ("/api/events?since=yesterday", 422),
    ("/api/events?min_confidence=2", 422), ("/api/events/zzzzzzzz", 404), ("/api/events/ab", 422),
    ("/api/articles/nope-nope", 404), ("/api/stories/zzzz", 404), ("/api/search", 422),
    ("/api/timeline?story=zzzz", 404), ("/api/nothing", 404),
])
def test_errors_are_json_with_a_message(server: Server, path: str, status: int) -> None:
    code, headers, body = server.get(path)
    assert code == status
    assert headers["content-type"].startswith("application/json")
    err = json.loads(body)
    assert err["error"] and "Traceback" not in body.decode()


def test_openapi_and_offline_docs(server: Server) -> None:
    spec = server.json("/api/openapi.json")
    paths = set(spec["paths"])
    assert {"/api/articles", "/api/articles/{article_id}", "/api/events", "/api/events/{event_id}", "/api/actors",
            "/api/places", "/api/stories", "/api/stories/{story_id}", "/api/timeline", "/api/brief",
            "/api/search", "/api/stats"} <= paths
    code, _, page = server.get("/api/docs")
    assert code == 200
    html = page.decode()
    assert "http://" not in html.replace("http://127.0.0.1", "") and "https://" not in html  # nothing from a CDN
    for asset in ("/static/vendor/swagger-ui-bundle.js", "/static/vendor/swagger-ui.css"):
        assert asset in html and server.get(asset)[0] == 200


def test_no_parameter_makes_the_server_fail(server: Server) -> None:
    """Every operation of the OpenAPI schema, with awkward values for each parameter: 2xx or 4xx, never 5xx."""
    spec = server.json("/api/openapi.json")
    awkward = ["", "0", "-1", "999999999999", "2020-02-30", "'; DROP TABLE articles; --", "%", "\u00e9\u4e2d",
               "a" * 300, "true", "null", "[]"]
    for path, ops in spec["paths"].items():
        params = ops["get"].get("parameters", [])
        for value in awkward:
            url = path
            for p in params:
                if p["in"] == "path":
                    url = url.replace("{" + p["name"] + "}", urllib.parse.quote(value or "x", safe=""))
            query = {p["name"]: value for p in params if p["in"] == "query"}
            code, _, body = server.get(url + ("?" + urllib.parse.urlencode(query) if query else ""))
            assert code < 500, (url, query, body[:200])
            if code >= 400:
                assert json.loads(body)["error"]


def test_token_required_when_given_and_beyond_loopback(db: Path) -> None:
    srv = Server(db, "--token", "s3cret")
    try:
        assert srv.get("/api/stats")[0] == 401
        assert srv.get("/api/stats", {"Authorization": "Bearer wrong"})[0] == 401
        code, _, body = srv.get("/api/stats", {"Authorization": "Bearer s3cret"})
        assert code == 200 and json.loads(body)["articles"] >= 5
    finally:
        srv.stop()
    r = run_cli("serve", "--db", str(db), "--host", "0.0.0.0", "--port", str(_free_port()), timeout=30)
    assert r.returncode == 1 and b"--token" in r.stderr


def test_serving_beside_a_writer(db: Path, tmp_path: Path) -> None:
    """While a writer holds the file, requests answer 503 with Retry-After; between requests an ingest gets the file
    and the server then sees what it wrote."""
    import shutil

    from sitrep.store import Store

    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    srv = Server(copy)
    try:
        before = srv.json("/api/stats")["articles"]
        with Store(copy):
            code, headers, body = srv.get("/api/stats")
            assert code == 503 and headers.get("retry-after") and "retry" in json.loads(body)["error"]
        note = tmp_path / "new.txt"
        note.write_text("title: Harbor closed\ndate: 2025-04-02\n\nThe port authority closed the harbour on "
                        "Wednesday after a storm damaged two piers.\n", encoding="utf-8")
        r = run_cli("ingest", str(note), "--db", str(copy), "--no-progress", timeout=300)
        assert r.returncode == 0, r.stderr.decode()
        assert srv.json("/api/stats")["articles"] == before + 1
    finally:
        srv.stop()


def test_pages_and_their_assets_are_served_locally(server: Server) -> None:
    top = server.json("/api/events?order=reported&limit=1")["items"][0]
    for path in ("/", "/events", f"/events/{top['id']}", "/timeline", "/map", "/stories", "/actors/IRN",
                 f"/articles/{top['evidence'][0]['doc_id']}", f"/stories/{top['story_id']}"):
        code, headers, body = server.get(path)
        html = body.decode()
        assert code == 200 and headers["content-type"].startswith("text/html"), path
        assert '<main id="main"' in html and "/static/app.js" in html and "https://" not in html, path
    for asset, kind in (("/static/app.js", "javascript"), ("/static/app.css", "css"),
                        ("/static/geo/countries-110m.json", "json")):
        code, headers, body = server.get(asset)
        assert code == 200 and kind in headers["content-type"] and body, asset
        assert b"https://" not in body or kind == "json", asset  # the page code fetches nothing from elsewhere


def test_schemathesis_finds_no_server_error(server: Server, tmp_path: Path) -> None:
    """Property-based requests generated from the OpenAPI schema (schemathesis): no 5xx anywhere."""
    import shutil
    import subprocess
    import sys

    st = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if st is None:
        pytest.skip("schemathesis is not installed (it is in the test extra)")
    r = subprocess.run([st, "run", f"{server.base}/api/openapi.json", "--checks", "not_a_server_error",
                        "--max-examples", "15", "--seed", "7", "--report-dir", str(tmp_path)],
                       capture_output=True, timeout=600, cwd=tmp_path)
    out = r.stdout.decode(errors="replace")
    assert r.returncode == 0, out[-3000:]
    assert "Tested: 12" in out and " passed" in out

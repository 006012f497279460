"""URLs and feeds against a real HTTP server on localhost: polite fetching, retries, no refetch."""
from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sitrep import Sitrep
from sitrep.ingest.sources import IngestConfig

from .conftest import CORPUS

PAGE = (CORPUS / "html" / "meridian_ceasefire_nairobi.html").read_bytes()
FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Test Wire</title>
<item><title>Ceasefire signed</title><link>{base}/page</link><pubDate>Fri, 14 Mar 2025 09:00:00 GMT</pubDate>
<description>Short teaser only.</description></item>
<item><title>Gone</title><link>{base}/missing</link><description>Teaser.</description></item>
</channel></rss>"""


class Server:
    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.agents: list[str] = []
        self.flaky_left = 2
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def do_GET(self):  # noqa: N802
                outer.hits[self.path] += 1
                outer.agents.append(self.headers.get("User-Agent", ""))
                if self.path == "/page":
                    self._send(200, "text/html; charset=utf-8", PAGE)
                elif self.path == "/flaky":
                    if outer.flaky_left:
                        outer.flaky_left -= 1
                        self._send(503, "text/plain", b"busy")
                    else:
                        self._send(200, "text/html", PAGE)
                elif self.path == "/feed":
                    self._send(200, "application/rss+xml", FEED.format(base=outer.base).encode())
                elif self.path == "/huge":
                    self._send(200, "text/html", b"<p>" + b"x" * 300_000 + b"</p>")
                else:
                    self._send(404, "text/plain", b"not here")

            def _send(self, code, ctype, body):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    with Server() as s:
        yield s


CFG = IngestConfig(fetch_timeout=5, fetch_retries=2, fetch_backoff=0.05, fetch_max_bytes=200_000, fetch_delay=0.05)


def test_url_is_fetched_once_then_recognised(db, server):
    url = f"{server.base}/page"
    with Sitrep(db) as s:
        r1 = s.ingest([url], config=CFG)
        r2 = s.ingest([url], config=CFG)
        a = next(iter(s.store.iter_articles()))
    assert (r1.new, r2.new, r2.unchanged) == (1, 0, 1)
    assert server.hits["/page"] == 1
    assert a["source"] == url and a["url"] == url and a["fmt"] == "url"
    assert a["published"].isoformat() == "2025-03-14" and a["outlet"]
    assert server.agents[0].startswith("sitrep/")


def test_retries_with_backoff_then_succeeds(db, server):
    with Sitrep(db) as s:
        r = s.ingest([f"{server.base}/flaky"], config=CFG)
    assert r.new == 1 and server.hits["/flaky"] == 3


def test_unreachable_missing_and_oversized_urls_are_rejects(db, server):
    dead = "http://127.0.0.1:9/nothing"  # discard port: connection refused
    with Sitrep(db) as s:
        r = s.ingest([f"{server.base}/missing", dead, f"{server.base}/huge"],
                     config=IngestConfig(fetch_timeout=2, fetch_retries=1, fetch_backoff=0.05,
                                         fetch_max_bytes=200_000, fetch_delay=0.05))
        reasons = {x["source"]: x["reason"] for x in s.rejects()[0]}
    assert r.exit_code == 3
    assert reasons == {f"{server.base}/missing": "http-error", dead: "unreachable", f"{server.base}/huge": "too-large"}
    assert server.hits["/missing"] == 1  # a 404 is not retried


def test_feed_entries_fetch_their_pages_once(db, server):
    with Sitrep(db) as s:
        r = s.ingest([f"{server.base}/feed"], config=CFG)
        assert (r.new, r.rejected) == (1, 1)
        a = next(iter(s.store.iter_articles()))
        assert a["locator"] == "entry 1" and a["title"] == "Ceasefire signed" and a["outlet"] == "Test Wire"
        assert a["published"].isoformat() == "2025-03-14" and "Nairobi" in a["text"]
        r2 = s.ingest([f"{server.base}/feed"], config=CFG)
    assert r2.new == 0 and server.hits["/page"] == 1

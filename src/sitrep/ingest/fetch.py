"""A polite HTTP fetcher: timeout, size limit, user agent, retries with backoff, a pause between hits on a host."""
from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3

from .sources import IngestConfig

RETRY_STATUS = {429, 500, 502, 503, 504}


class FetchError(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass
class Fetched:
    url: str  # as asked
    final_url: str  # after redirects
    status: int
    content_type: str
    data: bytes


class Fetcher:
    """Fetches one URL at a time; a fetcher lives for one ingest run."""

    def __init__(self, config: IngestConfig) -> None:
        self.config = config
        self.per_host_delay = config.fetch_delay
        self._last: dict[str, float] = {}
        self.http = urllib3.PoolManager(
            headers={"User-Agent": config.user_agent, "Accept": "text/html,application/xhtml+xml,application/rss+xml,"
                     "application/atom+xml,application/xml;q=0.9,*/*;q=0.5"},
            timeout=urllib3.Timeout(connect=config.fetch_timeout, read=config.fetch_timeout),
            retries=False,
        )

    def _pause(self, host: str) -> None:
        last = self._last.get(host)
        if last is not None:
            wait = self.per_host_delay - (time.monotonic() - last)
            if wait > 0:
                time.sleep(wait)
        self._last[host] = time.monotonic()

    def fetch(self, url: str) -> Fetched:
        cfg = self.config
        host = urlsplit(url).netloc
        delay = cfg.fetch_backoff
        last_error = FetchError("unreachable", "no attempt made")
        for attempt in range(cfg.fetch_retries + 1):
            if attempt:
                time.sleep(delay)
                delay *= 2
            self._pause(host)
            try:
                resp = self.http.request("GET", url, preload_content=False, redirect=True)
            except urllib3.exceptions.HTTPError as exc:
                last_error = FetchError("unreachable", f"{type(exc).__name__}: {exc}"[:500])
                continue
            try:
                if resp.status in RETRY_STATUS:
                    last_error = FetchError("http-error", f"HTTP {resp.status}")
                    continue
                if resp.status >= 400:
                    raise FetchError("http-error", f"HTTP {resp.status}")
                declared = resp.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > cfg.fetch_max_bytes:
                    raise FetchError("too-large", f"Content-Length {declared} over the {cfg.fetch_max_bytes:,}-byte limit")
                chunks, size = [], 0
                for chunk in resp.stream(65536):
                    size += len(chunk)
                    if size > cfg.fetch_max_bytes:
                        raise FetchError("too-large", f"more than {cfg.fetch_max_bytes:,} bytes")
                    chunks.append(chunk)
                final = urljoin(url, resp.geturl() or url)  # urllib3 may give only the path
                return Fetched(url, final, resp.status, resp.headers.get("Content-Type", ""), b"".join(chunks))
            except urllib3.exceptions.HTTPError as exc:
                last_error = FetchError("unreachable", f"{type(exc).__name__}: {exc}"[:500])
            finally:
                resp.release_conn()
        raise last_error

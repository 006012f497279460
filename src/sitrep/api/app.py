"""The JSON API: a thin FastAPI shell over the `Sitrep` facade, reading the store only.

Requests read through one warm read-only connection (`store.pool.ReadPool`: a cursor each), which the server lets
go as soon as a sitrep writer (an ingest) asks for the file, and after a minute without requests; while a writer
waits for the file or holds it, requests answer 503 with `Retry-After` (JSON, never a stack trace), waiting up to
`lock_wait` seconds for the file first. Lists page with `limit` (1 to 500) and `offset` and answer
`{"items", "total", "limit", "offset"}`; items use the export shapes (event.schema.json for events).
"""
from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..cache import ResultCache
from ..library import Sitrep
from ..store import EventFilter, StoreError
from ..store.db import Ambiguous, NotFound
from ..store.pool import ReadPool

log = logging.getLogger("sitrep.api")
STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
PLOVER = ("AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST", "ACCUSE", "REJECT",
          "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT")

Limit = Annotated[int, Query(ge=1, le=500, description="Page size, 1 to 500.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]
Day = Annotated[date | None, Query(description="YYYY-MM-DD")]
Text = Annotated[str | None, Query(max_length=200)]


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def _page(items: list[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def create_app(db: str, *, token: str | None = None, lock_wait: float = 3.0) -> FastAPI:
    """The application for one database file; `token` (when given) is required as a bearer token."""
    pool = ReadPool(db, lock_wait=lock_wait)  # one warm connection, let go when a sitrep writer asks for the file

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        pool.close()

    app = FastAPI(title="sitrep", version=_version(), docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json", lifespan=lifespan,
                  description="Events, stories, timelines and briefs from the sitrep store (read-only).")
    cache = ResultCache()  # statistics and timelines, while the store's files are unchanged
    app.state.cache, app.state.pool = cache, pool
    from ..web.pages import add_pages
    add_pages(app)  # first: its /static/geo mount must come before the /static one
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @contextmanager
    def store() -> Iterator[Sitrep]:
        try:
            with pool.store() as st:
                s = Sitrep.over(st, cache=cache)
                try:
                    yield s
                except (NotFound, Ambiguous) as exc:
                    raise ApiError(404, str(exc)) from exc
                except StoreError as exc:
                    raise ApiError(404 if str(exc).startswith("no ") else 400, str(exc)) from exc
        except StoreError as exc:  # opening: the file is missing, newer, or held by a writer
            if "in use" in str(exc):
                raise ApiError(503, "the database is being written by another sitrep process; retry shortly",
                               {"Retry-After": "2"}) from exc
            raise ApiError(503, str(exc)) from exc

    @app.middleware("http")
    async def bearer(request: Request, call_next: Any) -> Any:
        if token is not None:
            got = request.headers.get("authorization", "")
            if not hmac.compare_digest(got.encode(), f"Bearer {token}".encode()):
                return JSONResponse({"error": "a bearer token is required (Authorization: Bearer ...)"},
                                    status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return await call_next(request)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg')}"
                    for e in exc.errors()]
        return JSONResponse({"error": "invalid parameters", "problems": problems}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("request failed")
        return JSONResponse({"error": f"internal error ({type(exc).__name__}); see the server log"},
                            status_code=500)

    @app.get("/api/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/api/openapi.json", title="sitrep API",
                                   swagger_js_url="/static/vendor/swagger-ui-bundle.js",
                                   swagger_css_url="/static/vendor/swagger-ui.css",
                                   swagger_favicon_url="/static/favicon.svg")

    @app.get("/api/stats", summary="Counts of articles, mentions, events and stories")
    def stats() -> dict[str, Any]:
        with store() as s:
            return s.stats()

    @app.get("/api/articles", summary="Articles, newest first (or best match with q)")
    def articles(limit: Limit = 50, offset: Offset = 0, since: Day = None, until: Day = None,
                 outlet: Text = None, q: Text = None) -> dict[str, Any]:
        with store() as s:
            items, total = s.articles(since=since, until=until, outlet=outlet, query=q, limit=limit, offset=offset)
        return _page(items, total, limit, offset)

    @app.get("/api/articles/{article_id}", summary="One article: clean text, removed spans, mentions, events")
    def article(article_id: str) -> dict[str, Any]:
        with store() as s:
            a = s.article(article_id)
            a["mentions"] = [m.to_dict() for m in s.mentions(a["id"])]
            a["events"] = s.store.fused_for_articles([a["id"]])
            a["story_id"] = s.store.story_of(a["id"])
        return _json(a)

    def _filter(actor: str | None, recipient: str | None, type_: str | None, country: str | None,
                since: date | None, until: date | None, outlet: str | None, min_confidence: float | None,
                article: str | None) -> EventFilter:
        if type_ is not None and type_.upper() not in PLOVER:
            raise ApiError(422, f"type {type_!r} is not a PLOVER type ({', '.join(PLOVER)})")
        if country is not None and not (len(country) == 3 and country.isalpha()):
            raise ApiError(422, f"country {country!r} is not an ISO 3166-1 alpha-3 code")
        return EventFilter(actor=actor, recipient=recipient, type=type_, country=country, since=since, until=until,
                           outlet=outlet, min_confidence=min_confidence, article=article)

    @app.get("/api/events", summary="Events fused across sources (or per-article mentions), filtered")
    def events(limit: Limit = 50, offset: Offset = 0, actor: Text = None, recipient: Text = None,
               type: Text = None, country: Text = None, since: Day = None, until: Day = None,
               outlet: Text = None, article: Text = None,
               min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
               order: Literal["date", "reported", "latest"] = "date", mentions: bool = False) -> dict[str, Any]:
        f = _filter(actor, recipient, type, country, since, until, outlet, min_confidence, article)
        with store() as s:
            items, total = s.events(f, limit, offset, mentions=mentions, order=order)
        return _page(items, total, limit, offset)

    @app.get("/api/events/{event_id}", summary="One event with its evidence, merge reasons and conflicts")
    def event(event_id: str) -> dict[str, Any]:
        if len(event_id) < 4:
            raise ApiError(422, "give at least 4 characters of an event id")
        with store() as s:
            return s.event(event_id)

    @app.get("/api/actors", summary="The most mentioned actors")
    def actors(limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
        return _entities("actor", limit, offset)

    @app.get("/api/places", summary="The most mentioned places")
    def places(limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
        return _entities("place", limit, offset)

    def _entities(kind: str, limit: int, offset: int) -> dict[str, Any]:
        with store() as s:
            rows = s.entities(kind=kind, top=offset + limit + 1)
            total = s.store.count_entities(kind)
        return _page(_json(rows[offset:offset + limit]), total, limit, offset)

    @app.get("/api/stories", summary="Stories, most articles first")
    def stories(limit: Limit = 50, offset: Offset = 0, since: Day = None, until: Day = None, actor: Text = None,
                q: Text = None) -> dict[str, Any]:
        with store() as s:
            items, total = s.stories(since=since, until=until, actor=actor, query=q, limit=limit, offset=offset)
        return _page(items, total, limit, offset)

    @app.get("/api/stories/{story_id}", summary="One story with its timeline and most reported events")
    def story(story_id: str, max_dates: Annotated[int, Query(ge=1, le=100)] = 10) -> dict[str, Any]:
        with store() as s:
            rec = s.story(story_id)
            rec["events"] = [s.event(i) for i in rec["top_events"]]
            rec["timeline"] = s.timeline(story=rec["id"], max_dates=max_dates, per_date=2)
        return rec

    @app.get("/api/timeline", summary="The dates that matter most for a story, an actor or a query")
    def timeline(story: Text = None, actor: Text = None, q: Text = None, since: Day = None, until: Day = None,
                 max_dates: Annotated[int, Query(ge=1, le=200)] = 10,
                 per_date: Annotated[int, Query(ge=1, le=20)] = 2) -> list[dict[str, Any]]:
        with store() as s:
            return s.timeline(story=story, actor=actor, query=q, since=since, until=until, max_dates=max_dates,
                              per_date=per_date)

    @app.get("/api/brief", summary="A situation report as data (add format=html for the page)")
    def brief(story: Text = None, actor: Text = None, q: Text = None, since: Day = None, until: Day = None,
              max_dates: Annotated[int, Query(ge=1, le=100)] = 8,
              format: Literal["json", "html", "md"] = "json") -> Any:
        from ..report.brief import render_html, render_markdown
        with store() as s:
            b = s.brief(story=story, actor=actor, query=q, since=since, until=until, max_dates=max_dates)
        if format == "html":
            return HTMLResponse(render_html(b))
        if format == "md":
            return HTMLResponse(render_markdown(b), media_type="text/markdown")
        return b

    @app.get("/api/search", summary="Full-text search over articles (BM25)")
    def search(q: Annotated[str, Query(min_length=1, max_length=200)], limit: Limit = 20,
               offset: Offset = 0) -> dict[str, Any]:
        with store() as s:
            items, total = s.articles(query=q, limit=limit, offset=offset)
        return _page(items, total, limit, offset)

    return app


def _json(obj: Any) -> Any:
    """Dates as ISO strings, everything else as is (FastAPI would do it too; this keeps exports identical)."""
    if isinstance(obj, dict):
        return {k: _json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_json(v) for v in obj]
    if isinstance(obj, date):
        return obj.isoformat()
    return obj


def _version() -> str:
    from .. import __version__
    return __version__

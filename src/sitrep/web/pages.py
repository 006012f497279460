"""The web pages: one small HTML shell per page, filled in the browser by `static/app.js` from the JSON API.

Everything the pages load (script, style, map shapes) is served by sitrep itself under /static; no CDN.
"""
from __future__ import annotations

from html import escape
from pathlib import Path
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

GEO = Path(__file__).resolve().parent.parent / "data" / "geo"
NAV = (("/", "Overview"), ("/events", "Events"), ("/timeline", "Timeline"), ("/map", "Map"), ("/stories", "Stories"))


def shell(page: str, title: str, ident: str = "") -> str:
    """The HTML of one page before its script runs: navigation, a heading and an empty main region."""
    nav = "".join(f'<li><a href="{href}">{label}</a></li>' for href, label in NAV)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)} · sitrep</title>"
            f'<link rel="icon" href="/static/favicon.svg"><link rel="stylesheet" href="/static/app.css"></head>'
            f'<body><a class="skip" href="#main">Skip to content</a>'
            f'<header><a class="brand" href="/">sitrep</a><nav aria-label="Main"><ul>{nav}</ul></nav></header>'
            f'<main id="main" data-page="{escape(page)}" data-id="{escape(ident)}" tabindex="-1">'
            f'<h1>{escape(title)}</h1><p class="loading" role="status">Loading…</p></main>'
            f'<footer><a href="/api/docs">API</a></footer>'
            f'<script type="module" src="/static/app.js"></script></body></html>')


def add_pages(app: FastAPI) -> None:
    """Register the pages and the map shapes on an API app (see `sitrep.api.app.create_app`)."""
    app.mount("/static/geo", StaticFiles(directory=GEO), name="geo")

    def page(path: str, name: str, title: str) -> None:
        async def handler() -> HTMLResponse:
            return HTMLResponse(shell(name, title))
        handler.__name__ = f"page_{name}"
        app.add_api_route(path, handler, methods=["GET"], include_in_schema=False, response_class=HTMLResponse)

    page("/", "overview", "Overview")
    page("/events", "events", "Events")
    page("/timeline", "timeline", "Timeline")
    page("/map", "map", "Map")
    page("/stories", "stories", "Stories")

    @app.get("/events/{event_id}", include_in_schema=False, response_class=HTMLResponse)
    async def event_page(event_id: str) -> HTMLResponse:
        return HTMLResponse(shell("event", "Event", event_id))

    @app.get("/actors/{code}", include_in_schema=False, response_class=HTMLResponse)
    async def actor_page(code: str) -> HTMLResponse:
        return HTMLResponse(shell("actor", f"Actor {code}", code))

    @app.get("/stories/{story_id}", include_in_schema=False, response_class=HTMLResponse)
    async def story_page(story_id: str) -> HTMLResponse:
        return HTMLResponse(shell("story", "Story", story_id))

    @app.get("/articles/{article_id}", include_in_schema=False, response_class=HTMLResponse)
    async def article_page(article_id: str) -> HTMLResponse:
        return HTMLResponse(shell("article", "Article", article_id))

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)

"""The web pages in a real browser: Debian's headless Chromium driven by Playwright, against a real `sitrep serve`
over the seeds and the example corpus. Screenshots of the main pages go to docs/screenshots/."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from .served import ROOT, Server

SHOTS = ROOT / "docs" / "screenshots"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(served_db: Path):
    srv = Server(served_db)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("no Chromium here: `make test` installs Debian's chromium where it can (apt-get, as root); "
                    "the browser tests need it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is missing (it is in the test extra)")
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=chromium, args=FLAGS, headless=True,
                                                   viewport={"width": 1280, "height": 900})
        yield ctx
        ctx.close()


@pytest.fixture
def page(browser):
    pg = browser.new_page()
    pg.problems = []
    pg.on("console", lambda m: pg.problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.problems.append(str(e)))
    pg.on("request", lambda r: pg.problems.append(f"left the server: {r.url}")
          if not r.url.startswith(("http://127.0.0.1", "data:", "about:")) else None)
    yield pg
    pg.close()


def load(page, server: Server, path: str) -> None:
    page.goto(server.base + path)
    page.wait_for_selector("main.ready", timeout=30_000)
    assert not page.query_selector("main .error"), page.inner_text("main")[:300]


def test_every_page_opens_without_errors(page, server: Server) -> None:
    top = server.json("/api/events?order=reported&limit=1")["items"][0]
    pages = {"overview": "/", "events": "/events", "event": f"/events/{top['id']}", "timeline": "/timeline",
             "map": "/map", "actor": "/actors/IRN", "stories": "/stories", "story": f"/stories/{top['story_id']}",
             "article": f"/articles/{top['evidence'][0]['doc_id']}"}
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in pages.items():
        load(page, server, path)
        assert page.inner_text("main").strip(), name
        page.screenshot(path=str(SHOTS / f"{name}.png"))
    assert page.problems == []


def test_filter_the_events_and_open_one(page, server: Server) -> None:
    load(page, server, "/events")
    page.select_option("select[name=type]", "ASSAULT")
    page.fill("input[name=actor]", "IRN")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/events?type=ASSAULT*")
    page.wait_for_selector("main.ready")
    kinds = page.eval_on_selector_all("tbody tr td:first-child", "tds => tds.map(td => td.textContent)")
    assert kinds and all("ASSAULT" in k for k in kinds)
    page.click("th button.sort >> text=date")  # sortable: the column's order flips
    assert page.get_attribute("th:has(button:text('date'))", "aria-sort") == "ascending"
    page.click("tbody tr:first-child td:first-child a")
    page.wait_for_url("**/events/*")
    page.wait_for_selector("main.ready")
    assert page.inner_text("section[aria-label=Evidence] h2") == "Evidence"
    assert page.query_selector_all("mark.evidence strong")  # the trigger inside the highlighted sentence
    assert page.problems == []


def test_conflicting_reports_side_by_side(page, server: Server) -> None:
    kill = next(e for e in server.json("/api/events?order=reported&limit=50")["items"]
                if any(c["field"] == "date" for c in e["conflicts"]))
    load(page, server, f"/events/{kill['id']}")
    values = page.eval_on_selector_all(".conflicts .side-by-side li .value", "els => els.map(e => e.textContent)")
    assert "2019-01" in values and "2020-01-03" in values
    assert page.inner_text(".conflicts li.chosen .value") == "2020-01-03"


def test_move_the_timeline(page, server: Server) -> None:
    load(page, server, "/timeline?actor=IRN")
    before = page.inner_text(".controls .range")
    page.click("button.zoom-in")
    zoomed = page.inner_text(".controls .range")
    assert zoomed != before
    page.click("button[aria-label=Later]")
    assert page.inner_text(".controls .range") != zoomed
    page.focus("svg.timeline")  # the keyboard moves it too
    shown = page.inner_text(".controls .range")
    page.keyboard.press("ArrowLeft")
    assert page.inner_text(".controls .range") != shown
    page.keyboard.press("-")
    page.keyboard.press("-")
    marks = page.query_selector_all("svg.timeline g.mark")
    assert marks
    marks[-1].focus()
    page.keyboard.press("Enter")  # keyboard works as well as the mouse
    assert page.inner_text(".detail h2") == marks[-1].get_attribute("data-date")
    assert page.problems == []


def test_find_a_marker_on_the_map(page, server: Server) -> None:
    load(page, server, "/map")
    assert len(page.query_selector_all("svg.map path.country")) > 150
    markers = page.query_selector_all("svg.map a.marker")
    assert markers
    label = markers[-1].get_attribute("aria-label")
    assert label and " event(s) at " in label
    markers[-1].click()  # the last drawn is on top
    page.wait_for_url("**/events/*")
    page.wait_for_selector("main.ready")
    load(page, server, "/map?since=2025-01-01&until=2025-12-31")
    dates = page.eval_on_selector_all("tbody tr td:nth-child(2)", "tds => tds.map(t => t.textContent)")
    assert dates and all(d.startswith("2025") for d in dates)
    assert page.problems == []


def test_article_shows_removed_boilerplate_and_its_events(page, server: Server) -> None:
    art = next(a for a in server.json("/api/articles?limit=100")["items"]
               if server.json(f"/api/articles/{a['id']}")["removed"] and server.json(f"/api/articles/{a['id']}")["events"])
    load(page, server, f"/articles/{art['id']}")
    assert page.query_selector_all(".article-text.raw del")
    assert page.query_selector_all(".article-text a.event-mark mark")
    load(page, server, "/actors/FRA")
    assert page.query_selector("svg.chart rect") and page.query_selector_all("svg.network a")

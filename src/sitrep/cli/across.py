"""Commands across sources and the server: refuse, stories, timelines, briefs, serve."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ..store import StoreError
from .common import (
    app, export_app, out, err, DbOpt, JsonOpt, Failure, _db, _open, _date, _print_json, FormatOpt, OutputOpt,
    _export, _parties,
)


@app.command()
def refuse(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Fuse every coded mention again and bring stories up to date (after the fusion rules changed; ingest,
    recode and delete keep fusion current by themselves)."""
    with _open(db, read_only=False) as s:
        report = s.refresh(refuse=True)
    if as_json:
        _print_json(report)
    else:
        out.print(f"fused {report['fusion']['mentions']} mention(s) of {report['fusion']['articles']} article(s) in "
                  f"{report['fusion']['seconds']:.1f}s; stories: {report['stories']['articles']} new article(s)",
                  highlight=False)


# -- stories, timelines, briefs ------------------------------------------------------------------------------
stories_app = typer.Typer(help="Stories: articles about one developing situation. List them or `stories show ID`.",
                          invoke_without_command=True)
app.add_typer(stories_app, name="stories")
StoryOpt = Annotated[Optional[str], typer.Option("--story", help="A story id (or unique prefix).")]
QueryOpt = Annotated[Optional[str], typer.Option("--query", help="Full-text query over the articles.")]
SelActorOpt = Annotated[Optional[str], typer.Option("--actor", help="Actor name, code or code prefix.")]
DaySince = Annotated[Optional[str], typer.Option("--since", help="On or after (YYYY-MM-DD).")]
DayUntil = Annotated[Optional[str], typer.Option("--until", help="On or before (YYYY-MM-DD).")]


@stories_app.callback()
def stories_list(ctx: typer.Context, db: DbOpt = None, since: DaySince = None, until: DayUntil = None,
                 actor: SelActorOpt = None, query: QueryOpt = None,
                 limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
                 offset: Annotated[int, typer.Option(min=0)] = 0, as_json: JsonOpt = False) -> None:
    """List stories (most articles first) with their date span, key actors and number of events."""
    if ctx.invoked_subcommand is not None:
        return
    with _open(db, read_only=True) as s:
        items, total = s.stories(since=_date(since, "--since"), until=_date(until, "--until"), actor=actor,
                                 query=query, limit=limit, offset=offset)
    if as_json:
        _print_json({"items": items, "total": total, "limit": limit, "offset": offset})
        return
    table = Table(title=f"{len(items)} of {total} stor(ies) (`sitrep stories show ID`)", title_justify="left")
    for col in ("id", "from", "to", "articles", "events", "title", "key actors"):
        table.add_column(col, overflow="fold")
    for r in items:
        table.add_row(r["id"][:10], r["first_day"] or "-", r["last_day"] or "-", str(r["num_articles"]),
                      str(r["num_events"]), r["title"][:80], ", ".join(a["code"] for a in r["actors"][:5]))
    out.print(table)


@stories_app.command("show")
def stories_show(story_id: Annotated[str, typer.Argument(metavar="ID")], db: DbOpt = None,
                 as_json: JsonOpt = False) -> None:
    """One story: title, span, key actors and places, its articles and its most reported events."""
    with _open(db, read_only=True) as s:
        try:
            r = s.story(story_id)
        except StoreError as exc:
            raise Failure(str(exc)) from exc
        events = [s.event(i) for i in r["top_events"]]
        arts = {a["id"]: a for a in s.store.articles_by_ids(r["articles"])}
    if as_json:
        _print_json(r | {"events": events})
        return
    out.print(f"[bold]{escape(r['title'])}[/] ({r['id']})", highlight=False)
    out.print(f"{r['first_day'] or 'undated'} to {r['last_day'] or 'undated'}; {r['num_articles']} article(s), "
              f"{r['num_events']} event(s)", highlight=False)
    out.print("key actors: " + ", ".join(f"{a['name']} ({a['code']})" for a in r["actors"]), highlight=False,
              markup=False)
    out.print("places: " + ", ".join(p["name"] for p in r["places"]), highlight=False, markup=False)
    out.print("\n[bold]articles[/]")
    for aid in r["articles"]:
        a = arts.get(aid, {})
        out.print(f"  {aid}  {a.get('published') or 'undated'}  {(a.get('title') or '')[:90]}", highlight=False,
                  markup=False)
    out.print("\n[bold]most reported events[/]")
    for e in events:
        out.print(f"  {e['id']}  {e.get('date') or '-'}  {e['event']}  {_parties(e['actor'])} -> "
                  f"{_parties(e['recipient'])}  ({e['num_sources']} source(s))", highlight=False, markup=False)


@export_app.command("stories")
def export_stories(fmt: FormatOpt = "jsonl", output: OutputOpt = None, db: DbOpt = None) -> None:
    """Export every story (id, title, span, counts, key actors and places, articles, top events)."""
    _export("stories", fmt, output, db)


def _timeline(db: str | None, story: str | None, actor: str | None, query: str | None, since: str | None,
              until: str | None, max_dates: int, per_date: int) -> list[dict[str, Any]]:
    with _open(db, read_only=True) as s:
        try:
            return s.timeline(story=story, actor=actor, query=query, since=_date(since, "--since"),
                              until=_date(until, "--until"), max_dates=max_dates, per_date=per_date)
        except StoreError as exc:
            raise Failure(str(exc)) from exc


MaxDates = Annotated[int, typer.Option("--max-dates", min=1, max=1000, help="How many dates at most.")]
PerDate = Annotated[int, typer.Option("--per-date", min=1, max=20, help="Sentences per date, at most.")]


def _timeline_json(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"date": t["date"], "summary": t["summary"], "events": t["events"], "sources": t["sources"]}
            for t in items]


@app.command()
def timeline(db: DbOpt = None, story: StoryOpt = None, actor: SelActorOpt = None, query: QueryOpt = None,
             since: DaySince = None, until: DayUntil = None, max_dates: MaxDates = 10, per_date: PerDate = 2,
             fmt: Annotated[str, typer.Option("--format", "-f", help="text, md or json.")] = "text") -> None:
    """The dates that matter most for a story, an actor or a query, each with a short summary citing its
    articles (ranked by how many sentences refer to the date, articles published on it and events on it)."""
    if fmt not in ("text", "md", "json"):
        raise typer.BadParameter(f"{fmt!r}; choose one of text, md, json", param_hint="--format")
    items = _timeline(db, story, actor, query, since, until, max_dates, per_date)
    if fmt == "json":
        _print_json(_timeline_json(items))
        return
    if not items:
        err.print("no dated articles match this selection", highlight=False)
        return
    for t in items:
        cites = " ".join(f"[{a[:10]}]" for a in t["sources"])
        if fmt == "md":
            print(f"**{t['date']}**: {' '.join(t['summary'])} {cites}\n")
        else:
            out.print(f"[bold]{t['date']}[/]  {escape(cites)}", highlight=False)
            for line in t["summary"]:
                out.print(f"  - {line}", highlight=False, markup=False)


@export_app.command("timeline")
def export_timeline(output: Annotated[str, typer.Option("--output", "-o", help="JSON file to write.")],
                    db: DbOpt = None, story: StoryOpt = None, actor: SelActorOpt = None, query: QueryOpt = None,
                    since: DaySince = None, until: DayUntil = None, max_dates: MaxDates = 10,
                    per_date: PerDate = 2) -> None:
    """Write a timeline as one JSON array (the shape of `sitrep timeline --format json`)."""
    items = _timeline_json(_timeline(db, story, actor, query, since, until, max_dates, per_date))
    with open(output, "w", encoding="utf-8") as fh:
        json.dump(items, fh, ensure_ascii=False, indent=1)
    err.print(f"wrote {len(items)} date(s) to {output}", highlight=False)


@app.command()
def brief(db: DbOpt = None, story: StoryOpt = None, actor: SelActorOpt = None, query: QueryOpt = None,
          since: DaySince = None, until: DayUntil = None, max_dates: MaxDates = 8,
          output: Annotated[Optional[str], typer.Option("--output", "-o", help="FILE.md or FILE.html (Markdown "
                                                        "on stdout if omitted; FILE.md gets FILE.svg beside it).")]
          = None) -> None:
    """A situation report: lead, timeline, key actors and how their stance moved, a map, conflicting reports,
    and every statement numbered to its sources."""
    from ..report.brief import render_html, render_markdown
    if output and not output.endswith((".md", ".html", ".htm")):
        raise typer.BadParameter("the brief is written as .md or .html", param_hint="--output")
    with _open(db, read_only=True) as s:
        try:
            b = s.brief(story=story, actor=actor, query=query, since=_date(since, "--since"),
                        until=_date(until, "--until"), max_dates=max_dates)
        except StoreError as exc:
            raise Failure(str(exc)) from exc
    if output and output.endswith((".html", ".htm")):
        Path(output).write_text(render_html(b), encoding="utf-8")
    elif output:
        svg = str(Path(output).with_suffix(".svg")) if b["map_svg"] else None
        if svg:
            Path(svg).write_text(b["map_svg"], encoding="utf-8")
        Path(output).write_text(render_markdown(b, Path(svg).name if svg else None), encoding="utf-8")
    else:
        sys.stdout.write(render_markdown(b))
    if output:
        err.print(f"wrote the brief ({b['events']} event(s), {len(b['sources'])} source(s)) to {output}",
                  highlight=False)


@app.command()
def serve(
    db: DbOpt = None,
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback needs a token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free port).")] = 8765,
    token: Annotated[Optional[str], typer.Option(envvar="SITREP_TOKEN", show_default=False,
                                                 help="Bearer token every request must carry (env SITREP_TOKEN).")]
    = None,
) -> None:
    """Serve the store read-only over HTTP: the JSON API under /api/ (OpenAPI at /api/openapi.json, interactive
    docs at /api/docs). Ingest can run beside it: requests open the file only while they run."""
    import uvicorn

    from ..api import create_app

    if host not in ("127.0.0.1", "localhost", "::1") and not token:
        raise Failure(f"binding to {host} exposes the store beyond this machine: give --token (or SITREP_TOKEN)")
    path = _db(db)
    if not Path(path).exists():
        raise Failure(f"no sitrep database at {path} (run `sitrep ingest` first, or pass --db)")
    with _open(db, read_only=True):  # a clear error now (schema version, lock) rather than on the first request
        pass
    err.print(f"serving {path} on http://{host}:{port}/api/ (Ctrl-C to stop)", highlight=False)
    uvicorn.run(create_app(path, token=token), host=host, port=port, log_level="warning")

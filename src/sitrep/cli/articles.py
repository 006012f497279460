"""Commands over articles and their mentions: ingest, list, show, entities, stats, rejects, delete, export."""
from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from ..ingest.sources import IngestConfig
from ..nlp.models import DEFAULT_MODEL
from ..store import StoreError
from .common import (
    app, export_app, out, err, DbOpt, JsonOpt, WorkersOpt, ModelOpt, ActorsOpt, PlacesOpt, LexiconOpt,
    MENTION_KINDS, Failure, _db, _open, _date, _print_json, _language, FormatOpt, OutputOpt, _export,
)


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, folders (recursive), '-' for stdin, or http(s) URLs.",
                                               show_default=False)],
    db: DbOpt = None,
    max_bytes: Annotated[int, typer.Option(help="Largest document accepted, in bytes (after decompression).",
                                           min=1)] = IngestConfig.max_bytes,
    fetch_timeout: Annotated[float, typer.Option(help="Seconds to wait on a URL before giving up.", min=0.1)]
    = IngestConfig.fetch_timeout,
    fetch_retries: Annotated[int, typer.Option(help="Extra tries for a URL that fails with a network error or 5xx.",
                                               min=0)] = IngestConfig.fetch_retries,
    batch_size: Annotated[int, typer.Option(help="Items per committed transaction.", min=1)] = 50,
    as_json: JsonOpt = False,
    progress: Annotated[Optional[bool], typer.Option("--progress/--no-progress",
                                                     help="Show a progress bar (default: on a terminal).")] = None,
    workers: WorkersOpt = None,
    model: ModelOpt = DEFAULT_MODEL,
    actors: ActorsOpt = None,
    places: PlacesOpt = None,
    nlp: Annotated[bool, typer.Option("--nlp/--no-nlp", help="Run the language layer (sentences, actors, places, "
                                                             "times) over new articles.")] = True,
    reannotate: Annotated[bool, typer.Option(help="Also redo articles annotated with another model or other "
                                                  "actor/place/lexicon files.")] = False,
    events: Annotated[bool, typer.Option("--events/--no-events", help="Code events (PLOVER, CAMEO) from the "
                                                                      "language layer's parse.")] = True,
    lexicon: LexiconOpt = None,
) -> None:
    """Read news into the store: text, Markdown, HTML, JSON Lines, RSS/Atom, WARC (any of them gzipped) and URLs.

    Then the language layer annotates every article not yet annotated: sentences, and actor, place and time
    mentions resolved with character offsets (see `sitrep entities`, `sitrep show ID --annotate`), and the event
    coder codes their events (see `sitrep events`)."""
    config = IngestConfig(max_bytes=max_bytes, fetch_timeout=fetch_timeout, fetch_retries=fetch_retries)
    language = _language(nlp, workers, model, actors, places, reannotate, events, lexicon)
    show = err.is_terminal and not as_json if progress is None else progress
    with _open(db, read_only=False) as s:
        if show:
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                          console=err, transient=True) as bar:
                task = bar.add_task("reading", total=None)

                def tick(c: dict[str, int]) -> None:
                    bar.update(task, description=f"{c['items']} items: {c['new']} new, {c['duplicates']} duplicate, "
                                                 f"{c['unchanged']} present, {c['rejected']} rejected")

                def lang_tick(done: int, total: int) -> None:
                    bar.update(task, description=f"language layer: {done}/{total} article(s)")

                report = s.ingest(paths, config=config, progress=tick, batch_size=batch_size, language=language,
                                  language_progress=lang_tick)
        else:
            report = s.ingest(paths, config=config, batch_size=batch_size, language=language)
    if as_json:
        _print_json(report.to_dict())
    else:
        for r in report.rejects:
            loc = f" [{r['locator']}]" if r["locator"] else ""
            err.print(f"[yellow]rejected[/] {r['source']}{loc}: {r['reason']}: {r['detail']}", highlight=False,
                      markup=True)
        out.print(report.summary_line(), highlight=False)
    raise typer.Exit(report.exit_code)


@app.command()
def articles(
    db: DbOpt = None,
    since: Annotated[Optional[str], typer.Option(help="Published on or after (YYYY-MM-DD).")] = None,
    until: Annotated[Optional[str], typer.Option(help="Published on or before (YYYY-MM-DD).")] = None,
    outlet: Annotated[Optional[str], typer.Option(help="Outlet name contains this.")] = None,
    query: Annotated[Optional[str], typer.Option("--query", "-q", help="Full-text search (BM25) in title and text.")]
    = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List and search articles, newest first (best match first with --query)."""
    s_since, s_until = _date(since, "--since"), _date(until, "--until")
    with _open(db, read_only=True) as s:
        items, total = s.articles(since=s_since, until=s_until, outlet=outlet, query=query, limit=limit, offset=offset)
    if as_json:
        _print_json({"items": items, "total": total, "limit": limit, "offset": offset})
        return
    table = Table(title=f"{len(items)} of {total} article(s)", title_justify="left")
    for col in ("id", "published", "outlet", "title", "lang", "note"):
        table.add_column(col, overflow="fold")
    for a in items:
        note = f"near-dup of {a['duplicate_of'][:12]}" if a["duplicate_of"] else ""
        table.add_row(a["id"][:16], a["published"] or "-", a["outlet"] or "-", a["title"] or "(untitled)",
                      a["language"] or "?", note)
    out.print(table)


@app.command()
def show(
    article_id: Annotated[str, typer.Argument(metavar="ID", help="An article id or a unique prefix of one.")],
    db: DbOpt = None,
    raw: Annotated[bool, typer.Option(help="Print the raw text instead.")] = False,
    annotate: Annotated[bool, typer.Option("--annotate", help="Mark actors, places and times in the clean text: "
                                                               "[[text|kind: resolution]].")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Print one article: its metadata and clean text, with the removed boilerplate marked [-like this-]."""
    with _open(db, read_only=True) as s:
        try:
            a = s.article(article_id)
            marked = s.annotated_text(a["id"]) if annotate else s.article_with_removed(a["id"])
            if as_json and annotate:
                a["sentences"] = s.sentences(a["id"])
                a["mentions"] = [m.to_dict() for m in s.mentions(a["id"])]
        except StoreError as exc:
            raise Failure(str(exc)) from exc
    if as_json:
        _print_json(a)
        return
    for key in ("id", "title", "outlet", "author", "url", "published", "date_note", "language", "skip_reason",
                "source", "locator", "duplicate_of", "similarity"):
        if a.get(key) not in (None, ""):
            out.print(f"[bold]{key}:[/] {a[key]}", highlight=False)
    if a["near_duplicates"]:
        out.print(f"[bold]near_duplicates:[/] {', '.join(a['near_duplicates'])}", highlight=False)
    dups = [f"{i['source']} {i['locator']}".strip() for i in a["items"] if i["kind"] == "duplicate"]
    if dups:
        out.print(f"[bold]exact copies:[/] {'; '.join(dups)}", highlight=False)
    out.print(f"[bold]removed:[/] {len(a['removed'])} span(s)\n", highlight=False)
    out.print(a["raw_text"] if raw else marked, markup=False, highlight=False)


@app.command()
def entities(
    db: DbOpt = None,
    kind: Annotated[Optional[str], typer.Option(help="actor, place or time.")] = None,
    article: Annotated[Optional[str], typer.Option("--article", help="Only this article (id or prefix).")] = None,
    top: Annotated[int, typer.Option(min=1, max=10000, help="How many to list.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """The most mentioned actors, places and times, resolved (unresolved surface forms listed with a '?')."""
    if kind is not None and kind not in MENTION_KINDS:
        raise typer.BadParameter(f"{kind!r}; choose one of {', '.join(MENTION_KINDS)}", param_hint="--kind")
    with _open(db, read_only=True) as s:
        try:
            items = s.entities(kind, article, top)
        except StoreError as exc:
            raise Failure(str(exc)) from exc
    if as_json:
        _print_json({"items": items})
        return
    table = Table(title=f"top {len(items)} entit{'y' if len(items) == 1 else 'ies'}", title_justify="left")
    for col in ("kind", "entity", "name", "code/country", "mentions", "articles", "forms"):
        table.add_column(col, overflow="fold")
    for e in items:
        code = e["code"] or e["country"] or e["precision"] or "-"
        name = ("? " if e["unresolved"] else "") + str(e["name"])
        table.add_row(e["kind"], e["entity"], name, code, str(e["mentions"]), str(e["articles"]),
                      "; ".join(e["forms"] or []))
    out.print(table)


@app.command()
def stats(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Counts: articles, duplicates, rejects, languages, outlets, dates, index size."""
    with _open(db, read_only=True) as s:
        st = s.stats()
    if as_json:
        _print_json(st)
        return
    table = Table(title=f"sitrep store {_db(db)}", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value", overflow="fold")
    for k, v in st.items():
        if isinstance(v, dict):
            v = ", ".join(f"{a}: {b}" for a, b in v.items()) or "-"
        elif isinstance(v, list):
            v = " to ".join(str(x) for x in v)
        table.add_row(k.replace("_", " "), str(v))
    out.print(table)


@app.command()
def rejects(db: DbOpt = None, limit: Annotated[int, typer.Option(min=1)] = 100,
            offset: Annotated[int, typer.Option(min=0)] = 0, as_json: JsonOpt = False) -> None:
    """List the inputs that could not become articles, with the reason."""
    with _open(db, read_only=True) as s:
        items, total = s.rejects(limit, offset)
    if as_json:
        _print_json({"items": items, "total": total, "limit": limit, "offset": offset})
        return
    table = Table(title=f"{len(items)} of {total} reject(s)", title_justify="left")
    for col in ("source", "locator", "reason", "detail"):
        table.add_column(col, overflow="fold")
    for r in items:
        table.add_row(r["source"], r["locator"], r["reason"], r["detail"])
    out.print(table)


@app.command()
def delete(
    ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Article ids or unique prefixes.",
                                             show_default=False)],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Retract articles and everything derived from them."""
    with _open(db, read_only=False) as s:
        try:
            done = s.delete(ids)
        except StoreError as exc:
            raise Failure(str(exc)) from exc
    if as_json:
        _print_json({"deleted": done})
    else:
        out.print(f"deleted {len(done)} article(s): {', '.join(done)}", highlight=False)


@export_app.command("articles")
def export_articles(fmt: FormatOpt = "jsonl", output: OutputOpt = None, db: DbOpt = None) -> None:
    """Export every article (id, source, url, title, outlet, published, language, text, raw_text, ...)."""
    _export("articles", fmt, output, db)


@export_app.command("mentions")
def export_mentions(fmt: FormatOpt = "jsonl", output: OutputOpt = None, db: DbOpt = None) -> None:
    """Export every actor, place and time mention with its offsets, sentence and resolution (or `reason`)."""
    _export("mentions", fmt, output, db)

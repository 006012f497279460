"""The `sitrep` command line: a thin Typer shell over the `Sitrep` library facade.

Exit codes: 0 all went in; 1 an error stopped the run; 2 a usage error; 3 the run finished with rejects.
"""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .ingest.sources import IngestConfig
from .library import EVENT_EXPORT_FORMATS, EXPORT_FORMATS, Sitrep
from .nlp.layer import LanguageConfig
from .nlp.models import DEFAULT_MODEL, ModelError
from .resolve.tables import TableError
from .store import EventFilter, StoreError, default_db_path

app = typer.Typer(help="sitrep: turn news reports into structured, sourced event data.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
export_app = typer.Typer(help="Export data as JSONL, CSV or Parquet.", no_args_is_help=True)
app.add_typer(export_app, name="export")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DbOpt = Annotated[Optional[str], typer.Option("--db", help="Database file (env SITREP_DB; default ./sitrep.duckdb).",
                                              show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable JSON result.")]
WorkersOpt = Annotated[Optional[int], typer.Option("--workers", min=1, help="Processes for the language layer "
                                                   "(default: 1 for small jobs, else one per core).",
                                                   show_default=False)]
ModelOpt = Annotated[str, typer.Option("--model", help="An installed spaCy pipeline package (for example "
                                                       "en_core_web_trf); never downloaded.")]
ActorsOpt = Annotated[Optional[list[str]], typer.Option("--actors", help="Extra actor file (TSV, the shipped "
                                                        "format); adds or overrides entries by id. Repeatable.")]
PlacesOpt = Annotated[Optional[list[str]], typer.Option("--places", help="Extra place file (TSV, the shipped "
                                                        "format). Repeatable.")]
LexiconOpt = Annotated[Optional[list[str]], typer.Option("--lexicon", help="Extra event lexicon (TSV, the shipped "
                                                         "format); replaces lines with the same pattern. Repeatable.")]
MENTION_KINDS = ("actor", "place", "time")
PLOVER_TYPES = ("AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST", "ACCUSE", "REJECT",
                "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT")


class Failure(Exception):
    """An error the user can act on: one clear line, exit code 1."""


def _db(db: str | None) -> str:
    return db or default_db_path()


def _open(db: str | None, *, read_only: bool) -> Sitrep:
    try:
        return Sitrep(_db(db), read_only=read_only, lock_timeout=5.0)
    except StoreError as exc:
        raise Failure(str(exc)) from exc


def _date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=name) from None


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


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


FormatOpt = Annotated[str, typer.Option("--format", "-f", help=f"One of: {', '.join(EXPORT_FORMATS)}.")]
OutputOpt = Annotated[Optional[str], typer.Option("--output", "-o", help="File to write (stdout if omitted; "
                                                  "Parquet needs a file).")]


def _export(what: str, fmt: str, output: str | None, db: str | None) -> None:
    """The shared body of the `export` commands: check the options, stream the rows, say where they went."""
    if fmt not in EXPORT_FORMATS:
        raise typer.BadParameter(f"{fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}", param_hint="--format")
    if fmt == "parquet" and not output:
        raise typer.BadParameter("Parquet export needs an output file", param_hint="--output")
    with _open(db, read_only=True) as s:
        n = getattr(s, f"export_{what}")(fmt, output if output else sys.stdout)
    if output:
        err.print(f"wrote {n} {what[:-1]}(s) to {output}", highlight=False)


@export_app.command("articles")
def export_articles(fmt: FormatOpt = "jsonl", output: OutputOpt = None, db: DbOpt = None) -> None:
    """Export every article (id, source, url, title, outlet, published, language, text, raw_text, ...)."""
    _export("articles", fmt, output, db)


@export_app.command("mentions")
def export_mentions(fmt: FormatOpt = "jsonl", output: OutputOpt = None, db: DbOpt = None) -> None:
    """Export every actor, place and time mention with its offsets, sentence and resolution (or `reason`)."""
    _export("mentions", fmt, output, db)


# -- events -----------------------------------------------------------------------------------------------
ActorFilt = Annotated[Optional[str], typer.Option("--actor", help="Actor name, code or code prefix (IRN finds "
                                                  "IRNMIL); case-insensitive.")]
RecipFilt = Annotated[Optional[str], typer.Option("--recipient", help="Recipient name, code or code prefix.")]
TypeFilt = Annotated[Optional[str], typer.Option("--type", help="PLOVER type (ASSAULT, ACCUSE, ...).")]
CountryFilt = Annotated[Optional[str], typer.Option("--country", help="ISO 3166-1 alpha-3 of an actor or recipient.")]
SinceFilt = Annotated[Optional[str], typer.Option("--since", help="Event date on or after (YYYY-MM-DD).")]
UntilFilt = Annotated[Optional[str], typer.Option("--until", help="Event date on or before (YYYY-MM-DD).")]
OutletFilt = Annotated[Optional[str], typer.Option("--outlet", help="Only events reported by this outlet.")]
ConfFilt = Annotated[Optional[float], typer.Option("--min-confidence", min=0.0, max=1.0, help="Lowest confidence.")]


MentionsOpt = Annotated[bool, typer.Option("--mentions", help="The coded mentions of single articles, not the "
                                           "events fused across sources.")]


def _event_filter(actor: str | None, recipient: str | None, type_: str | None, country: str | None,
                  since: str | None, until: str | None, outlet: str | None, min_confidence: float | None) -> EventFilter:
    if type_ is not None and type_.upper() not in PLOVER_TYPES:
        raise typer.BadParameter(f"{type_!r}; choose one of {', '.join(PLOVER_TYPES)}", param_hint="--type")
    if country is not None and not (len(country) == 3 and country.isalpha()):
        raise typer.BadParameter(f"{country!r} is not an ISO 3166-1 alpha-3 code", param_hint="--country")
    return EventFilter(actor=actor, recipient=recipient, type=type_, country=country, since=_date(since, "--since"),
                       until=_date(until, "--until"), outlet=outlet, min_confidence=min_confidence)


def _parties(ps: list[dict[str, Any]]) -> str:
    return ", ".join(f"{p['code'] or '?'}" + (f" ({p['name']})" if p.get("name") and p["name"] != p["code"] else "")
                     for p in ps) or "-"


events_app = typer.Typer(help="Coded events: list them (filters below) or `sitrep events show ID`.",
                         invoke_without_command=True)
app.add_typer(events_app, name="events")


@events_app.callback()
def events_list(
    ctx: typer.Context,
    db: DbOpt = None,
    actor: ActorFilt = None, recipient: RecipFilt = None, type_: TypeFilt = None, country: CountryFilt = None,
    since: SinceFilt = None, until: UntilFilt = None, outlet: OutletFilt = None, min_confidence: ConfFilt = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    mentions: MentionsOpt = False,
    reported: Annotated[bool, typer.Option("--most-reported", help="Most sources first, not by date.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List events by date: who did what to whom, when and where, with how many sources report it. Each event
    fuses the mentions of one real-world event across articles; `--mentions` lists the mentions themselves."""
    if ctx.invoked_subcommand is not None:
        return
    f = _event_filter(actor, recipient, type_, country, since, until, outlet, min_confidence)
    with _open(db, read_only=True) as s:
        items, total = s.events(f, limit, offset, mentions=mentions, order="reported" if reported else "date")
    if as_json:
        _print_json({"items": items, "total": total, "limit": limit, "offset": offset})
        return
    table = Table(title=f"{len(items)} of {total} event(s) (`sitrep events show ID` for the evidence)",
                  title_justify="left")
    for col in ("id", "date", "event", "actor", "recipient", "where", "conf", "src", "trigger"):
        table.add_column(col, overflow="fold", no_wrap=col in ("date", "event"))
    for e in items:
        kind = e["event"] + (f"/{e['mode']}" if e.get("mode") else "")
        if e["negated"]:
            kind = "not " + kind
        if e["modality"] != "asserted":
            kind += f" ({e['modality']})"
        ev = e["evidence"][0]
        table.add_row(e["id"][:10], e["date"] or "-", kind, ", ".join(p["code"] or "?" for p in e["actor"]),
                      ", ".join(p["code"] or "?" for p in e["recipient"]) or "-",
                      (e.get("location") or {}).get("name") or "-", f"{e['confidence']:.2f}",
                      str(e["num_sources"]) + ("!" if e.get("conflicts") else ""), ev.get("trigger_text") or "")
    out.print(table)


@events_app.command("show")
def events_show(
    event_id: Annotated[str, typer.Argument(metavar="ID", help="An event id or a unique prefix of one.")],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One event in full: coded fields, parties, places, counts, evidence and how it was coded."""
    with _open(db, read_only=True) as s:
        try:
            e = s.event(event_id)
        except StoreError as exc:
            raise Failure(str(exc)) from exc
    if as_json:
        _print_json(e)
        return
    lines = [("id", e["id"]), ("event", f"{e['event']} mode={e.get('mode') or '-'} context={','.join(e['context']) or '-'}"
                                        f" quad={e['quad']} cameo={e.get('cameo') or '-'} intensity={e.get('intensity')}"),
             ("actor", _parties(e["actor"])), ("recipient", _parties(e["recipient"])),
             ("attribution", _parties([e["attribution"]]) if e.get("attribution") else "-"),
             ("negated / modality", f"{e['negated']} / {e['modality']}"),
             ("date", f"{e['date']} ({e.get('date_precision')}, from {e.get('date_source')})"),
             ("places", "; ".join(p["name"] for p in e.get("locations") or []) or "-"),
             ("counts", "; ".join(q["text"] for q in (e.get("attributes") or {}).get("quantities") or []) or "-"),
             ("reported", f"{e['num_mentions']} mention(s) in {e['num_articles']} article(s) from {e['num_sources']} "
                          f"source(s); first {e.get('first_reported') or 'undated'}"),
             ("story", e.get("story_id") or "-"),
             ("confidence", str(e["confidence"])), ("pipeline", e.get("pipeline_version") or "-")]
    for k, v in lines:
        out.print(f"[bold]{k}:[/] {v}", highlight=False)
    for c in e.get("conflicts") or []:
        vals = "; ".join(f"{v['value']} ({', '.join(d[:10] for d in v['doc_ids'])})" for v in c["values"])
        out.print(f"[bold red]sources disagree on {escape(c['field'])}:[/] {escape(vals)}; chosen "
                  f"{escape(str(c.get('chosen')))} ({escape(str(c.get('chosen_by')))})", highlight=False)
    why = {m["mention"]: m["reason"] for m in (e.get("explain") or {}).get("members", [])} \
        if (e.get("explain") or {}).get("rule") == "fusion" else {}
    for ev in e["evidence"]:
        if ev.get("mention_id") in why:
            out.print(f"\n[bold]mention[/] {ev['mention_id']}: {escape(why[ev['mention_id']])}", highlight=False)
        out.print(f"{'' if ev.get('mention_id') in why else chr(10)}[bold]evidence[/] {ev['doc_id']} ({ev.get('outlet') or ev['source']}, {ev.get('published') or 'undated'}),"
                  f" chars {ev['start']}-{ev['end']}:", highlight=False)
        t0, t1 = (ev.get("trigger") or [ev["start"], ev["start"]])
        sent = ev["sentence"]
        a, b = t0 - ev["start"], t1 - ev["start"]
        out.print(f"  {sent[:a]}[[{sent[a:b]}]]{sent[b:]}", markup=False, highlight=False)
    out.print(f"\n[bold]explain:[/] {json.dumps(e.get('explain'), ensure_ascii=False)}", highlight=False)


@export_app.command("events")
def export_events(
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"One of: {', '.join(EVENT_EXPORT_FORMATS)}.")] = "jsonl",
    output: OutputOpt = None, db: DbOpt = None,
    actor: ActorFilt = None, recipient: RecipFilt = None, type_: TypeFilt = None, country: CountryFilt = None,
    since: SinceFilt = None, until: UntilFilt = None, outlet: OutletFilt = None, min_confidence: ConfFilt = None,
    mentions: MentionsOpt = False,
) -> None:
    """Export events (fused across sources; `--mentions` for the per-article mentions): JSONL (event.schema.json records), CSV or Parquet (flat rows), or GDELT 2.0 event TSV."""
    if fmt not in EVENT_EXPORT_FORMATS:
        raise typer.BadParameter(f"{fmt!r}; choose one of {', '.join(EVENT_EXPORT_FORMATS)}", param_hint="--format")
    if fmt == "parquet" and not output:
        raise typer.BadParameter("Parquet export needs an output file", param_hint="--output")
    f = _event_filter(actor, recipient, type_, country, since, until, outlet, min_confidence)
    with _open(db, read_only=True) as s:
        n = s.export_events(fmt, output if output else sys.stdout, f, mentions=mentions)
    if output:
        err.print(f"wrote {n} event(s) to {output}", highlight=False)


@app.command()
def code(
    path: Annotated[str, typer.Argument(metavar="FILE", help="JSONL items {id, text, date?, title?, outlet?}; "
                                                             "'-' for stdin.")] = "-",
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="File to write (stdout if omitted).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Processes (each loads the model once).")] = 1,
    model: ModelOpt = DEFAULT_MODEL,
    actors: ActorsOpt = None,
    places: PlacesOpt = None,
    lexicon: LexiconOpt = None,
) -> None:
    """Code events in JSONL items without a database: one event record a line (event.schema.json).

    The text is taken as given (no boilerplate removal), so offsets point into it; evidence[0].doc_id and
    evidence[0].source are the item's id. Bad lines are reported on stderr and skipped (exit 3)."""
    from .events.batch import BadItem, code_items, parse_item

    cfg = _language(True, workers, model, actors, places, lexicon=lexicon)
    bad = 0

    def items(fh: Any) -> Any:
        nonlocal bad
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield parse_item(line)
            except BadItem as exc:
                bad += 1
                err.print(f"line {n}: skipped: {exc}", highlight=False, markup=False)

    src = sys.stdin if path == "-" else None
    try:
        fh_in = src or open(path, encoding="utf-8", errors="replace")
    except OSError as exc:
        raise Failure(f"{path}: cannot read: {exc.strerror}") from exc
    fh_out = open(output, "w", encoding="utf-8") if output else sys.stdout
    n_items = n_events = 0
    try:
        gen: Any = items(fh_in)
        for ident, result in code_items(gen, cfg):
            n_items += 1
            if isinstance(result, str):
                bad += 1
                err.print(f"item {ident}: failed: {result}", highlight=False, markup=False)
                continue
            for rec in result:
                fh_out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                n_events += 1
    finally:
        if fh_in is not sys.stdin:
            fh_in.close()
        if fh_out is not sys.stdout:
            fh_out.close()
    err.print(f"coded {n_items} item(s): {n_events} event(s), {bad} bad line(s) or item(s) skipped", highlight=False)
    raise typer.Exit(3 if bad else 0)


@app.command()
def recode(
    db: DbOpt = None,
    since: Annotated[Optional[str], typer.Option(help="Only articles published on or after (YYYY-MM-DD).")] = None,
    until: Annotated[Optional[str], typer.Option(help="Only articles published on or before (YYYY-MM-DD).")] = None,
    workers: WorkersOpt = None,
    model: ModelOpt = DEFAULT_MODEL,
    actors: ActorsOpt = None,
    places: PlacesOpt = None,
    lexicon: LexiconOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-run the language layer and the event coder over stored articles (after lexicons, actor or place files
    or the model changed). Unchanged events keep their ids; every event records its pipeline_version."""
    cfg = _language(True, workers, model, actors, places, lexicon=lexicon)
    assert cfg is not None
    with _open(db, read_only=False) as s:
        report = s.recode(cfg, since=_date(since, "--since"), until=_date(until, "--until"))
    if as_json:
        _print_json(report.to_dict())
    else:
        out.print(f"recoded {report.articles} article(s): {report.mentions} mention(s), {report.events} event(s) "
                  f"in {report.seconds:.1f}s" + (f", {len(report.failed)} failed" if report.failed else ""),
                  highlight=False)
    raise typer.Exit(1 if report.failed else 0)


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
    from .report.brief import render_html, render_markdown
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

    from .api import create_app

    if host not in ("127.0.0.1", "localhost", "::1") and not token:
        raise Failure(f"binding to {host} exposes the store beyond this machine: give --token (or SITREP_TOKEN)")
    path = _db(db)
    if not Path(path).exists():
        raise Failure(f"no sitrep database at {path} (run `sitrep ingest` first, or pass --db)")
    with _open(db, read_only=True):  # a clear error now (schema version, lock) rather than on the first request
        pass
    err.print(f"serving {path} on http://{host}:{port}/api/ (Ctrl-C to stop)", highlight=False)
    uvicorn.run(create_app(path, token=token), host=host, port=port, log_level="warning")


def _language(nlp: bool, workers: int | None, model: str, actors: list[str] | None, places: list[str] | None,
              redo: bool = False, events: bool = True, lexicon: list[str] | None = None) -> LanguageConfig | None:
    if not nlp:
        return None
    try:
        from .events.lexicon import Lexicon
        from .resolve.knowledge import Knowledge

        Knowledge(actors or (), places or ())  # check the user's files before any work: one clear line if bad
        if events:
            Lexicon.load(lexicon or ())
        from .nlp.models import check_model

        check_model(model)
    except (TableError, ModelError) as exc:
        raise Failure(str(exc)) from exc
    return LanguageConfig(model=model, workers=workers, actor_files=tuple(actors or ()),
                          place_files=tuple(places or ()), redo=redo, events=events,
                          lexicon_files=tuple(lexicon or ()))


def main() -> None:
    """Entry point: user errors print one line (exit 1); usage errors exit 2 (Typer); no tracebacks
    unless SITREP_DEBUG is set."""
    import os

    try:
        app()  # standalone: Typer handles --help, usage errors (exit 2) and typer.Exit
    except (Failure, StoreError) as exc:
        err.print(f"error: {exc}", highlight=False, markup=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted", highlight=False)
        sys.exit(1)
    except Exception as exc:  # the last line of defence: one line, not a traceback
        if os.environ.get("SITREP_DEBUG"):
            raise
        err.print(f"error: {type(exc).__name__}: {exc} (set SITREP_DEBUG=1 for the traceback)", highlight=False,
                  markup=False)
        sys.exit(1)


if __name__ == "__main__":
    main()

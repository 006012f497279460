"""Commands over coded events: list and show them, export them, code without a database, recode."""
from __future__ import annotations

import json
import sys
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ..library import EVENT_EXPORT_FORMATS
from ..nlp.models import DEFAULT_MODEL
from ..store import EventFilter, StoreError
from .common import (
    app, export_app, out, err, DbOpt, JsonOpt, WorkersOpt, ModelOpt, ActorsOpt, PlacesOpt, LexiconOpt,
    PLOVER_TYPES, Failure, _open, _date, _print_json, _language, OutputOpt, _parties,
)


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
    from ..events.batch import BadItem, code_items, parse_item

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

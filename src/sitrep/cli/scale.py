"""Commands for news at scale: `process` (Ray or a local pool, inputs to Parquet partitions) and `load` (partitions
into a store, as an ingest of the same inputs would have stored them)."""
from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from ..ingest.sources import IngestConfig
from ..nlp.models import DEFAULT_MODEL
from .common import (
    app, out, err, DbOpt, JsonOpt, ModelOpt, ActorsOpt, PlacesOpt, LexiconOpt, Failure, _open, _print_json, _language,
)

ProgressOpt = Annotated[Optional[bool], typer.Option("--progress/--no-progress",
                                                     help="Show progress (default: on a terminal).")]


@app.command()
def process(
    paths: Annotated[list[str], typer.Argument(help="Files, folders (recursive), http(s) URLs, or URIs of any "
                                                    "filesystem pyarrow or fsspec reads (s3://, gs://, hdfs://...).",
                                               show_default=False)],
    out_dir: Annotated[str, typer.Option("--out", "-o", help="Folder (or object-store URI) of the partitions.",
                                         show_default=False)],
    engine: Annotated[str, typer.Option(help="ray (Ray Data; `pip install 'sitrep[ray]'`) or local (a process "
                                             "pool on this machine).")] = "ray",
    address: Annotated[Optional[str], typer.Option(help="The Ray cluster: auto, HOST:PORT or ray://HOST:PORT "
                                                        "(default: $RAY_ADDRESS, else a local Ray for this run).",
                                                   show_default=False)] = None,
    run: Annotated[Optional[str], typer.Option(help="Name of this run's partitions (default: today's date, UTC). "
                                                    "The same command and name resume an interrupted run.",
                                               show_default=False)] = None,
    batch_size: Annotated[int, typer.Option(help="Items per batch: one task, one model call sequence and one "
                                                 "file per table.", min=1)] = 64,
    workers: Annotated[Optional[int], typer.Option("--workers", "--concurrency", min=1,
                                                   help="Annotating workers (Ray actors or processes; default: one "
                                                        "per CPU of the cluster, less one for reading).",
                                                   show_default=False)] = None,
    retries: Annotated[int, typer.Option(help="Ray: times a batch is retried after its worker died.", min=0)] = 3,
    max_bytes: Annotated[int, typer.Option(help="Largest document accepted, in bytes (after decompression).",
                                           min=1)] = IngestConfig.max_bytes,
    fetch_timeout: Annotated[float, typer.Option(help="Seconds to wait on a URL before giving up.", min=0.1)]
    = IngestConfig.fetch_timeout,
    fetch_retries: Annotated[int, typer.Option(help="Extra tries for a URL that fails with a network error or 5xx.",
                                               min=0)] = IngestConfig.fetch_retries,
    model: ModelOpt = DEFAULT_MODEL,
    actors: ActorsOpt = None,
    places: PlacesOpt = None,
    nlp: Annotated[bool, typer.Option("--nlp/--no-nlp", help="Run the language layer (and the event coder).")]
    = True,
    events: Annotated[bool, typer.Option("--events/--no-events", help="Code events (PLOVER, CAMEO).")] = True,
    lexicon: LexiconOpt = None,
    as_json: JsonOpt = False,
    progress: ProgressOpt = None,
) -> None:
    """Read, clean, date, sign (MinHash) and annotate inputs on Ray or a local pool, into Parquet partitions.

    Writes DIR/<table>/run=RUN/part-*.parquet for articles, rejects, annotated, sentences, mentions and events;
    `sitrep load DIR` then merges them into a store. A run killed at any point resumes when run again."""
    from ..distributed import ProcessError, process as run_process
    from ..distributed.stages import ENGINES

    if engine not in ENGINES:
        raise typer.BadParameter(f"{engine!r}; choose one of {', '.join(ENGINES)}", param_hint="--engine")
    config = IngestConfig(max_bytes=max_bytes, fetch_timeout=fetch_timeout, fetch_retries=fetch_retries)
    language = _language(nlp, None, model, actors, places, False, events, lexicon)
    show = err.is_terminal and not as_json if progress is None else progress
    counts = {"batches": 0, "articles": 0, "rejects": 0}

    def tick(b: dict[str, Any]) -> None:
        counts["batches"] += 1
        counts["articles"] += b["articles"]
        counts["rejects"] += b["rejects"]
        if show:
            err.print(f"batch {counts['batches']}: {counts['articles']} article(s), {counts['rejects']} rejected "
                      f"so far", highlight=False)

    try:
        summary = run_process(paths, out_dir, engine=engine, run=run, batch_size=batch_size, workers=workers,
                              address=address, config=config, language=language, retries=retries, on_batch=tick)
    except ProcessError as exc:
        raise Failure(str(exc)) from exc
    if as_json:
        _print_json(summary.to_dict())
    else:
        for r in summary.rejects:
            loc = f" [{r['locator']}]" if r["locator"] else ""
            err.print(f"[yellow]rejected[/] {r['source']}{loc}: {r['reason']}: {r['detail']}", highlight=False,
                      markup=True)
        out.print(summary.summary_line(), highlight=False)
    raise typer.Exit(summary.exit_code)


@app.command()
def load(
    location: Annotated[str, typer.Argument(metavar="DIR", help="The --out folder (or URI) of `sitrep process`.",
                                            show_default=False)],
    db: DbOpt = None,
    run: Annotated[Optional[list[str]], typer.Option("--run", help="Only this run (repeatable; default: every "
                                                                   "finished run, oldest first).")] = None,
    partial: Annotated[bool, typer.Option(help="Also load the finished batches of runs not finished yet.")] = False,
    batch_size: Annotated[int, typer.Option(help="Items per committed transaction (as `ingest`).", min=1)] = 50,
    as_json: JsonOpt = False,
    progress: ProgressOpt = None,
) -> None:
    """Merge `sitrep process` partitions into the store: the same articles, duplicates, mentions and events as
    `sitrep ingest` of the same inputs, then fusion and stories. Loading again changes nothing."""
    from ..distributed.load import LoadError

    show = err.is_terminal and not as_json if progress is None else progress
    with _open(db, read_only=False) as s:
        try:
            if show:
                from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

                with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                              console=err, transient=True) as bar:
                    task = bar.add_task("loading", total=None)

                    def tick(c: dict[str, int]) -> None:
                        bar.update(task, description=f"{c['items']} items: {c['new']} new, {c['duplicates']} "
                                                     f"duplicate, {c['unchanged']} present, {c['rejected']} rejected")

                    def lang_tick(done: int, total: int) -> None:
                        bar.update(task, description=f"annotations: {done}/{total} article(s)")

                    report = s.load(location, runs=run, partial=partial, batch_size=batch_size, progress=tick,
                                    language_progress=lang_tick)
            else:
                report = s.load(location, runs=run, partial=partial, batch_size=batch_size)
        except LoadError as exc:
            raise Failure(str(exc)) from exc
    if as_json:
        _print_json(report.to_dict())
    else:
        for r in report.rejects:
            loc = f" [{r['locator']}]" if r["locator"] else ""
            err.print(f"[yellow]rejected[/] {r['source']}{loc}: {r['reason']}: {r['detail']}", highlight=False,
                      markup=True)
        out.print(report.summary_line(), highlight=False)
    raise typer.Exit(report.exit_code)

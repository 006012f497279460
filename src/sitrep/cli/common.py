"""What every `sitrep` command shares: the Typer apps, the consoles, common options, opening the database,
and the entry point (user errors as one line, no tracebacks)."""
from __future__ import annotations

import json
import sys
from datetime import date
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

from ..library import EXPORT_FORMATS, Sitrep
from ..nlp.layer import LanguageConfig
from ..nlp.models import ModelError
from ..resolve.tables import TableError
from ..store import StoreError, default_db_path

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
                                                   "(default: one per core, started once 64 articles wait; "
                                                   "fewer are annotated in this process).",
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


def _parties(ps: list[dict[str, Any]]) -> str:
    return ", ".join(f"{p['code'] or '?'}" + (f" ({p['name']})" if p.get("name") and p["name"] != p["code"] else "")
                     for p in ps) or "-"


def _language(nlp: bool, workers: int | None, model: str, actors: list[str] | None, places: list[str] | None,
              redo: bool = False, events: bool = True, lexicon: list[str] | None = None) -> LanguageConfig | None:
    if not nlp:
        return None
    try:
        from ..events.lexicon import Lexicon
        from ..resolve.knowledge import Knowledge

        Knowledge(actors or (), places or ())  # check the user's files before any work: one clear line if bad
        if events:
            Lexicon.load(lexicon or ())
        from ..nlp.models import check_model

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


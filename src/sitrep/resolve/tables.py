"""Reading the knowledge tables (actor and place TSV files) from the package, the user's config folder and
files named on the command line, in that order, so that later files add to or override earlier ones by id.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path

ACTOR_COLUMNS = ("id", "kind", "name", "aliases", "adjectives", "code", "country", "sector", "wikidata",
                 "start", "end", "role")
PLACE_COLUMNS = ("place_id", "name", "aliases", "kind", "country", "lat", "lon", "geonameid", "note")


class TableError(ValueError):
    """A knowledge file that cannot be read, with the file and line."""


def config_dir() -> Path:
    """The user's sitrep config folder: $SITREP_CONFIG_DIR, else $XDG_CONFIG_HOME/sitrep, else ~/.config/sitrep.

    `actors/*.tsv` and `places/*.tsv` in it are read on every run, after the shipped files, so user entries
    survive upgrades of the package.
    """
    if os.environ.get("SITREP_CONFIG_DIR"):
        return Path(os.environ["SITREP_CONFIG_DIR"])
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "sitrep"


def read_table(path: str | os.PathLike[str], columns: tuple[str, ...], text: str | None = None) -> Iterator[dict[str, str]]:
    """Rows of one TSV file as dicts; '#' lines and blank lines are skipped; the header must name `columns`."""
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TableError(f"{path}: cannot read: {exc}") from exc
    header: list[str] | None = None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in line.rstrip("\r\n").split("\t")]
        if header is None:
            header = cells
            missing = [c for c in columns if c not in header]
            if missing:
                raise TableError(f"{path}:{n}: header lacks column(s) {', '.join(missing)}; "
                                 f"expected tab-separated: {' '.join(columns)}")
            continue
        if len(cells) > len(header):
            raise TableError(f"{path}:{n}: {len(cells)} cells but the header has {len(header)}")
        cells += [""] * (len(header) - len(cells))
        row = dict(zip(header, cells))
        row["_where"] = f"{path}:{n}"
        yield row


def package_tables(folder: str) -> list[tuple[str, str]]:
    """(name, text) of every TSV shipped under `sitrep/data/<folder>/`, sorted by name."""
    root = resources.files("sitrep.data").joinpath(folder)
    out = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".tsv"):
            out.append((f"sitrep/data/{folder}/{entry.name}", entry.read_text(encoding="utf-8")))
    return out


def all_rows(folder: str, columns: tuple[str, ...], extra: Iterable[str | os.PathLike[str]] = ()) -> Iterator[dict[str, str]]:
    """Shipped rows, then the user config folder's, then `extra` files (the --actors/--places options)."""
    for name, text in package_tables(folder):
        yield from read_table(name, columns, text)
    user = config_dir() / folder
    if user.is_dir():
        for p in sorted(user.glob("*.tsv")):
            yield from read_table(p, columns)
    for p in extra:
        if not Path(p).is_file():
            raise TableError(f"{p}: no such file")
        yield from read_table(p, columns)


def split_list(cell: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in cell.split("|") if x.strip())

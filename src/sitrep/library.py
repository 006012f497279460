"""The Python facade: what notebooks, the CLI and the later HTTP API call. A thin layer over the store and
the ingest pipeline.

    from sitrep import Sitrep
    with Sitrep("news.duckdb") as s:
        report = s.ingest(["reports/", "feed.rss"])
        page, total = s.articles(query="missile")
"""
from __future__ import annotations

import csv
import io
import json
import os
from datetime import date
from typing import IO, Any, BinaryIO

from .ingest.clean import render_with_removed
from .ingest.pipeline import IngestReport, Ingestor, Progress
from .ingest.sources import IngestConfig
from .model import RemovedSpan
from .store import Store
from .store.db import ARTICLE_EXPORT_COLUMNS

EXPORT_FORMATS = ("jsonl", "csv", "parquet")


class Sitrep:
    """One sitrep database. Opened for writing unless `read_only`."""

    def __init__(self, db: str | os.PathLike[str] | None = None, *, read_only: bool = False,
                 lock_timeout: float = 0.0) -> None:
        self.store = Store(db, read_only=read_only, lock_timeout=lock_timeout)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Sitrep":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ----------------------------------------------------------------------------
    def ingest(self, inputs: list[str], *, config: IngestConfig | None = None, progress: Progress | None = None,
               stdin: BinaryIO | None = None, batch_size: int = 50) -> IngestReport:
        """Read files, folders, '-' (stdin) and URLs into the store; see `IngestReport`."""
        return Ingestor(self.store, config, progress=progress, stdin=stdin, batch_size=batch_size).run(inputs)

    def delete(self, ids: list[str]) -> list[str]:
        """Retract articles (ids or unique prefixes) and everything derived from them."""
        return self.store.delete_articles([self.store.resolve_id(i) for i in ids])

    # -- reading ----------------------------------------------------------------------------
    def articles(self, *, since: date | None = None, until: date | None = None, outlet: str | None = None,
                 query: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        return self.store.articles(since=since, until=until, outlet=outlet, query=query, limit=limit, offset=offset)

    def article(self, id_or_prefix: str) -> dict[str, Any]:
        return self.store.article(id_or_prefix)

    def article_with_removed(self, id_or_prefix: str, mark: tuple[str, str] = ("[-", "-]")) -> str:
        """The clean text with the removed boilerplate put back in place, between `mark` brackets."""
        a = self.article(id_or_prefix)
        spans = [RemovedSpan(**s) for s in a["removed"]]
        return render_with_removed(a["text"], a["raw_text"], spans, mark)

    def stats(self) -> dict[str, Any]:
        return self.store.stats()

    def rejects(self, limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        return self.store.rejects(limit, offset)

    # -- export -------------------------------------------------------------------------------
    def export_articles(self, fmt: str, out: IO[str] | str | None = None) -> int:
        """Write every article as JSONL or CSV (to a text stream or path) or Parquet (to a path).

        Returns the number of articles written. In CSV, lists and objects are JSON strings.
        """
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
        if fmt == "parquet":
            if not isinstance(out, (str, os.PathLike)):
                raise ValueError("Parquet export needs an output file (-o FILE)")
            return self._parquet(str(out))
        if isinstance(out, (str, os.PathLike)):
            with open(out, "w", encoding="utf-8", newline="") as fh:
                return self._text_export(fmt, fh)
        return self._text_export(fmt, out or io.StringIO())

    def _text_export(self, fmt: str, fh: IO[str]) -> int:
        n = 0
        writer = None
        for row in self.store.iter_articles():
            row["published"] = row["published"].isoformat() if row["published"] else None
            if fmt == "jsonl":
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                if writer is None:
                    writer = csv.DictWriter(fh, fieldnames=list(row))
                    writer.writeheader()
                writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                                 for k, v in row.items()})
            n += 1
        if writer is None and fmt == "csv":
            csv.writer(fh).writerow(ARTICLE_EXPORT_COLUMNS)
        return n

    def _parquet(self, path: str) -> int:
        import pyarrow.parquet as pq

        n = 0
        writer = None
        try:
            for batch in self.store.article_batches():
                if writer is None:
                    writer = pq.ParquetWriter(path, batch.schema)
                writer.write_batch(batch)
                n += batch.num_rows
        finally:
            if writer is not None:
                writer.close()
        if writer is None:  # no rows: still write a file with the schema
            import pyarrow as pa

            pq.write_table(pa.table({c: pa.array([], pa.string()) for c in ARTICLE_EXPORT_COLUMNS}), path)
        return n


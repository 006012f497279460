"""News at scale: `sitrep process` runs the ingest and language stages on Ray (or a local process pool) and writes
Parquet partitions; `sitrep load` merges them into a store with the same code as a local ingest.

    partitions.py  the partition format: tables, file layout, atomic writes, run manifests
    stages.py      the work itself, shared by both engines: plan the inputs, read them, build, annotate, write
    local.py       the local engine: a multiprocessing pool over the stages
    ray_engine.py  the Ray engine: Ray Data over the same stages (the only module that imports ray)
    load.py        partitions into a store: Ingestor for articles, LanguageLayer.write_results for annotations
"""
from __future__ import annotations

from .stages import ProcessError, ProcessSummary, process

__all__ = ["ProcessError", "ProcessSummary", "process"]

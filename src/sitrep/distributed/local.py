"""The local engine of `sitrep process`: this process reads the inputs, a pool of worker processes (each loading the
model once) builds, annotates and writes the batches; the same stages and partitions as the Ray engine."""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from ..nlp.layer import pooled
from .stages import BatchWorker, OnBatch, Row, Settings, read_unit

_WORKER: BatchWorker | None = None


def _init(settings: Settings) -> None:
    global _WORKER  # one BatchWorker per pool process, made by the pool's initializer
    _WORKER = BatchWorker(settings)


def _run(rows: list[Row]) -> dict[str, Any]:
    assert _WORKER is not None
    return _WORKER(rows)


def batches(units: list[dict[str, Any]], settings: Settings, size: int) -> Iterator[list[Row]]:
    rows: list[Row] = []
    for unit in units:
        for row in read_unit(unit, settings):
            rows.append(row)
            if len(rows) >= size:
                yield rows
                rows = []
    if rows:
        yield rows


def run_local(settings: Settings, units: list[dict[str, Any]], *, batch_size: int, workers: int | None,
              on_batch: OnBatch) -> int:
    """Process `units` into partitions; returns the number of worker processes used."""
    n = max(1, workers or os.cpu_count() or 1)
    if n == 1:
        worker = BatchWorker(settings)
        for rows in batches(units, settings, batch_size):
            on_batch(worker(rows))
        return 1
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(n, mp_context=ctx, initializer=_init, initargs=(settings,)) as pool:
        for summary in pooled(pool, _run, batches(units, settings, batch_size), n):
            on_batch(summary)
    return n

"""The Ray engine of `sitrep process`: Ray Data reads the inputs in tasks and runs the batches in an actor pool (the
model loads once per actor; a dead actor is restarted and its batch retried). The only module that imports ray."""
from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import ray
import ray.data

from .stages import BatchWorker, OnBatch, ProcessError, Settings, read_unit

# environment the workers need to find the same knowledge files as the driver
_ENV = ("SITREP_CONFIG_DIR", "XDG_CONFIG_HOME")


def _read(row: dict[str, Any], settings: Settings) -> Any:
    yield from read_unit(json.loads(row["unit"]), settings)


def _actor_class(settings: Settings) -> type:
    """The actor of the pool: one BatchWorker (model, knowledge, cleaner) for its whole life. The settings travel
    inside the class, not as constructor arguments, so a restarted actor never waits on a lost object."""

    class Batches:
        def __init__(self) -> None:
            self.worker = BatchWorker(settings)

        def __call__(self, batch: pa.Table) -> pa.Table:
            return pa.Table.from_pylist([self.worker(batch.to_pylist())])

    return Batches


def run_ray(settings: Settings, units: list[dict[str, Any]], *, batch_size: int, workers: int | None,
            address: str | None, retries: int, on_batch: OnBatch) -> int:
    """Process `units` into partitions on the Ray cluster at `address` ('auto', 'HOST:PORT', 'ray://HOST:PORT'), or
    on a local Ray started for this run. Returns the size of the actor pool."""
    verbose = bool(os.environ.get("SITREP_DEBUG"))  # Ray's own logs, progress bars and worker output on the terminal
    with _ray_output(verbose) as log:
        try:
            return _run(settings, units, batch_size=batch_size, workers=workers, address=address, retries=retries,
                        on_batch=on_batch, verbose=verbose)
        except ProcessError as exc:
            raise ProcessError(f"{exc} (Ray's log: {log})" if log else str(exc)) from exc


@contextlib.contextmanager
def _ray_output(verbose: bool) -> Iterator[str | None]:
    """Ray writes its notices to the driver's file descriptor 2 (from C++: "constructor arguments in the object
    store" for every restartable actor) and the raylet's to stdout ("task failed, 3 retries remaining"): unless
    `verbose`, both go to a log file, kept when the run fails; the command's own lines still reach the terminal."""
    if verbose:
        yield None
        return
    fd, path = tempfile.mkstemp(prefix=f"sitrep-ray-{os.getpid()}-", suffix=".log")
    log = os.fdopen(fd, "a", buffering=1, encoding="utf-8", errors="backslashreplace")
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(2)
    own = os.fdopen(os.dup(saved), "w", buffering=1, encoding="utf-8", errors="backslashreplace")
    old_stderr = sys.stderr
    os.dup2(log.fileno(), 2)
    sys.stderr = own
    ok = False
    try:
        with contextlib.redirect_stdout(log):
            yield path
        ok = True
    finally:
        own.flush()  # left open: a handler Ray's logging made during the run may still hold it
        os.dup2(saved, 2)
        sys.stderr = old_stderr
        os.close(saved)
        log.close()
        if ok:
            os.unlink(path)


def _run(settings: Settings, units: list[dict[str, Any]], *, batch_size: int, workers: int | None,
         address: str | None, retries: int, on_batch: OnBatch, verbose: bool) -> int:
    started = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"logging_level": logging.INFO if verbose else logging.ERROR,
                                  "log_to_driver": verbose}
        env = {k: os.environ[k] for k in _ENV if k in os.environ}
        if env:
            kwargs["runtime_env"] = {"env_vars": env}
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(include_dashboard=False, **kwargs)
        started = True
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        size = workers or max(1, cpus - 1)  # the annotators hold a CPU each, by default all but one
        try:
            if address and address.startswith("ray://"):
                # Ray Client: Ray Data's executor must run inside the cluster, so the driver's part runs there as a
                # task (no CPU of its own) and the batch summaries come back at the end
                remote = ray.remote(num_cpus=0)(_execute)
                for b in ray.get(remote.remote(settings, units, batch_size, size, cpus, retries, verbose)):
                    on_batch(b)
            else:
                _execute(settings, units, batch_size, size, cpus, retries, verbose, on_batch)
        except Exception as exc:  # a Ray or Ray Data error carries a remote traceback: say it in one line
            if verbose:
                raise
            cause = _cause(exc)
            text = [ln.strip() for ln in str(cause).splitlines() if ln.strip()]
            raise ProcessError(f"the Ray run stopped: {type(cause).__name__}: {text[-1][:300] if text else ''}; the "
                               f"finished batches are kept, and the same command resumes the run") from exc
        return size
    finally:
        if started:
            ray.shutdown()


def _execute(settings: Settings, units: list[dict[str, Any]], batch_size: int, size: int, cpus: int, retries: int,
             verbose: bool, on_batch: OnBatch | None = None) -> list[dict[str, Any]]:
    """The Ray Data pipeline: inputs -> read tasks -> the actor pool -> one summary per committed batch."""
    logging.getLogger("ray.data").setLevel(logging.INFO if verbose else logging.ERROR)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = verbose
    ctx.print_on_execution_start = verbose
    # the read tasks (light: I/O, decoding, HTML extraction) reserve no CPU, so the pool never starves them; at
    # most two per CPU run at once (the inputs are cut into that many blocks)
    ds = ray.data.from_items([{"unit": json.dumps(u)} for u in units],
                             override_num_blocks=max(1, min(len(units), 2 * cpus)))
    ds = ds.flat_map(_read, fn_kwargs={"settings": settings}, num_cpus=0)
    with warnings.catch_warnings():
        # max_restarts/max_task_retries have no named parameter yet in Ray 2.60 (ray_remote_args is deprecated for
        # 2.64): a killed actor is restarted (its model reloaded) and its batch retried, at most `retries` times, so
        # one document that kills its worker every time cannot hold the run forever
        warnings.simplefilter("ignore", DeprecationWarning)
        ds = ds.map_batches(_actor_class(settings), batch_size=batch_size, batch_format="pyarrow",
                            compute=ray.data.ActorPoolStrategy(size=size), num_cpus=1,
                            max_restarts=-1, max_task_retries=retries)
    out = []
    for row in ds.iter_rows():
        if on_batch is not None:
            on_batch(dict(row))
        else:
            out.append(dict(row))
    return out


def _cause(exc: BaseException) -> BaseException:
    """The user-code exception inside Ray's wrappers (RayTaskError.cause, Ray Data's chained exceptions)."""
    seen = 0
    while seen < 8:
        seen += 1
        inner = getattr(exc, "cause", None) or exc.__cause__
        if inner is None or inner is exc:
            break
        exc = inner
    return exc

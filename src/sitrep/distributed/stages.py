"""The work of `sitrep process`, shared by both engines: plan the inputs (on the driver), read one input into rows
(a task), and turn a batch of rows into partition files (a worker holding the model), with the same stage
functions a local ingest uses: `read_input`, `build_article` with the Cleaner, `NearDupIndex.signature`,
`make_annotator` + `annotate_items`.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__
from ..ingest.article import build_article
from ..ingest.clean import Cleaner
from ..ingest.dedup import NearDupIndex
from ..ingest.pipeline import raw_hash
from ..ingest.readers import ReadContext, Skipped, read_input
from ..ingest.sources import IngestConfig, Input, expand, format_for
from ..model import Document, Reject
from ..nlp.layer import LanguageConfig, annotate_items, knowledge_hash, make_annotator
from .partitions import (
    FORMAT, Layout, annotation_rows, article_row, check_run_name, make_seq, part_name, reject_row, split_seq, to_table,
)

ENGINES = ("ray", "local")
DEFAULT_BATCH = 64  # articles per batch and per partition file: a few seconds of spaCy, a few hundred KB of Parquet
Row = dict[str, Any]  # between the stages: {"seq": int, "kind": "doc" | "reject" | "end", "data": JSON text}
OnBatch = Callable[[dict[str, Any]], None]


class ProcessError(Exception):
    """A problem with a `sitrep process` run the user can act on (one line)."""


class StaleAttempt(ProcessError):
    """A worker of an earlier, killed attempt at a run tried to commit after a newer attempt started."""


@dataclass(frozen=True)
class Settings:
    """What every task and worker of one run needs (pickled to them)."""

    out: str
    run: str
    attempt: str
    ingest: IngestConfig
    language: LanguageConfig | None
    knowledge: str | None
    neardup: NearDupIndex = NearDupIndex()
    cwd: str = ""  # the driver's folder: relative --actors/--places/--lexicon paths resolve as they did there


@dataclass
class ProcessSummary:
    run: str
    out: str
    engine: str
    inputs: int = 0
    items: int = 0
    articles: int = 0
    rejected: int = 0
    annotated: int = 0
    failed: int = 0
    sentences: int = 0
    mentions: int = 0
    events: int = 0
    tokens: int = 0
    batches: int = 0
    new_batches: int = 0
    resumed_items: int = 0  # items an earlier, interrupted attempt had finished
    workers: int = 0
    seconds: float = 0.0
    rejects: list[dict[str, str]] = field(default_factory=list)

    MAX_LISTED = 100

    @property
    def exit_code(self) -> int:
        return 3 if self.rejected else 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["seconds"] = round(self.seconds, 3)
        d["exit_code"] = self.exit_code
        return d

    def summary_line(self) -> str:
        line = (f"{self.articles} article(s), {self.rejected} rejected, {self.annotated} annotated "
                f"({self.mentions} mention(s), {self.events} event(s))")
        if self.failed:
            line += f", {self.failed} failed annotation(s)"
        line += (f" from {self.items} item(s) of {self.inputs} input(s) in {self.batches} batch(es), "
                 f"{self.seconds:.1f}s, {self.engine} engine, {self.workers} worker(s)")
        if self.resumed_items:
            line += f"; resumed: {self.resumed_items} item(s) were already done"
        return line + f"; partitions in {self.out} (run {self.run})"


# -- planning (driver) ---------------------------------------------------------------------------------------------
def _remote(arg: str) -> bool:
    return "://" in arg and not arg.lower().startswith(("http://", "https://"))


def plan(args: list[str], config: IngestConfig) -> list[dict[str, Any]]:
    """The run's inputs in ingest's order: files, folders (walked), URLs, and object-store or other filesystem URIs
    (listed through pyarrow/fsspec). A missing input is a unit too: it becomes a reject."""
    units: list[dict[str, Any]] = []
    for arg in args:
        if arg == "-":
            raise ProcessError("`sitrep process` cannot read standard input ('-'): save it to a file first")
        if _remote(arg):
            units.extend(_remote_units(arg, config))
            continue
        for inp in expand([arg], config):
            if isinstance(inp, Reject):
                units.append({"source": inp.source, "kind": "reject", "reason": inp.reason, "detail": inp.detail})
            elif inp.kind == "url":
                units.append({"source": inp.source, "kind": "url"})
            else:
                units.append({"source": inp.source, "kind": "file", "path": os.path.abspath(str(inp.path)),
                              "fmt": inp.fmt, "gz": inp.gzipped})
    for n, u in enumerate(units):
        u["index"] = n
    return units


def _remote_units(uri: str, config: IngestConfig) -> list[dict[str, Any]]:
    import pyarrow.fs as pafs

    from .partitions import filesystem

    try:
        fs, path = filesystem(uri)
        info = fs.get_file_info(path)
    except (OSError, ValueError) as exc:
        return [{"source": uri, "kind": "reject", "reason": "unreadable", "detail": str(exc)[:500]}]
    prefix = uri[: uri.index("://") + 3]
    if info.type == pafs.FileType.NotFound:
        return [{"source": uri, "kind": "reject", "reason": "not-found", "detail": "no such file or folder"}]
    if info.type == pafs.FileType.File:
        fmt, gz = format_for(info.base_name)
        return [{"source": uri, "kind": "remote", "fmt": fmt, "gz": gz}]
    found = []
    for f in fs.get_file_info(pafs.FileSelector(path, recursive=True)):
        rel = f.path[len(path):].strip("/")
        if f.type != pafs.FileType.File or (not config.follow_hidden and any(p.startswith(".") for p in rel.split("/"))):
            continue
        found.append(f)
    out = []
    def walk_order(f: Any) -> list[tuple[int, str]]:  # os.walk's: a folder's files, then its sub-folders
        *dirs, name = f.path[len(path):].strip("/").split("/")
        return [(1, d) for d in dirs] + [(0, name)]

    for f in sorted(found, key=walk_order):
        fmt, gz = format_for(f.base_name)
        out.append({"source": prefix + f.path.lstrip("/") if prefix != "file://" else prefix + f.path,
                    "kind": "remote", "fmt": fmt, "gz": gz})
    return out


# -- reading (a task per input) ------------------------------------------------------------------------------------
def read_unit(unit: dict[str, Any], settings: Settings) -> Iterator[Row]:
    """The rows of one input, numbered in input order; items an earlier attempt finished (`skip`) are left out.
    The last row ("end") records how many items the input had, so a resumed run knows the input is done."""
    k = unit["index"]
    skip = set(unit.get("skip") or ())
    n = 0
    for item in _items(unit, settings):
        if isinstance(item, Skipped):  # only for known URLs, and process knows none: never here
            continue
        if n not in skip:
            kind = "doc" if isinstance(item, Document) else "reject"
            yield {"seq": make_seq(k, n), "kind": kind, "data": json.dumps(asdict(item))}
        n += 1
    if not unit.get("end_done"):
        yield {"seq": make_seq(k, n), "kind": "end", "data": ""}


def _items(unit: dict[str, Any], settings: Settings) -> Iterator[Document | Reject | Skipped]:
    src, kind = unit["source"], unit["kind"]
    ctx = ReadContext(settings.ingest, lambda url: False)
    if kind == "reject":
        yield Reject(src, "", unit["reason"], unit["detail"])
        return
    tmp = None
    try:
        if kind == "url":
            inp = Input(src, "url")
        elif kind == "file":
            inp = Input(src, "file", Path(unit["path"]), unit["fmt"], unit["gz"])
        else:  # an object-store (or other filesystem) URI: fetched to a local temporary file, then read as a file
            tmp = _download(src)
            if isinstance(tmp, Reject):
                yield tmp
                return
            inp = Input(src, "file", Path(tmp), unit["fmt"], unit["gz"])
        yield from read_input(inp, ctx)
    finally:
        if isinstance(tmp, str):
            os.unlink(tmp)


def _download(uri: str) -> str | Reject:
    from .partitions import filesystem

    fd, tmp = tempfile.mkstemp(prefix="sitrep-", suffix="-" + uri.rsplit("/", 1)[-1][-50:])
    try:
        fs, path = filesystem(uri)
        with os.fdopen(fd, "wb") as out, fs.open_input_stream(path) as src:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        return tmp
    except (OSError, ValueError) as exc:
        os.unlink(tmp)
        return Reject(uri, "", "unreadable", str(exc)[:500])


# -- a batch (a worker holding the model) --------------------------------------------------------------------------
class BatchWorker:
    """Builds, annotates and writes one batch of rows; made once per worker process (the model loads once)."""

    def __init__(self, settings: Settings) -> None:
        if settings.cwd and os.path.isdir(settings.cwd):
            os.chdir(settings.cwd)
        self.settings = settings
        self.layout = Layout(settings.out)
        self.cleaner = Cleaner()
        self.neardup = settings.neardup
        self.annotator = None
        if settings.language is not None:
            here = knowledge_hash(settings.language)
            if here != settings.knowledge:
                raise ProcessError(f"the knowledge files on worker {socket.gethostname()} differ from the driver's "
                                   f"({here} vs {settings.knowledge}): install the same sitrep and config files on "
                                   f"every node")
            self.annotator = make_annotator(settings.language)
        self.name = f"{socket.gethostname()}:{os.getpid()}"

    def __call__(self, rows: list[Row]) -> dict[str, Any]:
        t0 = time.perf_counter()
        s = self.settings
        seqs: list[int] = []
        ends: list[int] = []
        tables: dict[str, list[dict[str, Any]]] = {t: [] for t in ("articles", "rejects", "annotated", "sentences",
                                                                   "mentions", "events")}
        built = []
        for row in rows:
            seq, kind = int(row["seq"]), row["kind"]
            if kind == "end":
                ends.append(seq)
                continue
            seqs.append(seq)
            data = json.loads(row["data"])
            if kind == "reject":
                tables["rejects"].append(reject_row(seq, Reject(**data)))
                continue
            doc = Document(**data)
            rh = raw_hash(doc)
            try:
                art = build_article(doc, self.cleaner)
            except Exception as exc:  # one bad document never sinks the batch, as in ingest  # noqa: BLE001
                art = Reject(doc.source, doc.locator, "internal-error", f"{type(exc).__name__}: {exc}"[:500])
            if isinstance(art, Reject):
                tables["rejects"].append(reject_row(seq, art, rh))
                continue
            tables["articles"].append(article_row(seq, art, rh, doc.url, self.neardup.signature(art.text)))
            built.append((seq, art))
        tokens = 0
        if self.annotator is not None and s.language is not None:
            todo = [(seq, a) for seq, a in built if a.skip_reason is None]  # what the layer annotates in a store
            size = s.language.batch_size
            for i in range(0, len(todo), size):
                chunk = todo[i:i + size]
                # annotate_items yields one result per article (after a partial batch it redoes them one by one)
                results = list(annotate_items(self.annotator, [(a.id, a.text, a.published) for _, a in chunk]))
                for (seq, _), res in zip(chunk, results[-len(chunk):]):
                    for name, rs in annotation_rows(seq, res).items():
                        tables[name].extend(rs)
                    tokens += getattr(res, "tokens", 0)
        part = part_name(seqs + ends)
        for name, rs in tables.items():
            if rs:
                self.layout.write(name, s.run, part, to_table(name, rs))
        summary = {"part": part, "first_seq": min(seqs + ends), "last_seq": max(seqs + ends), "seqs": seqs,
                   "ends": ends, "articles": len(tables["articles"]), "rejects": len(tables["rejects"]),
                   "annotated": sum(1 for r in tables["annotated"] if r["error"] is None),
                   "failed": sum(1 for r in tables["annotated"] if r["error"] is not None),
                   "sentences": len(tables["sentences"]), "mentions": len(tables["mentions"]),
                   "events": len(tables["events"]), "tokens": tokens, "seconds": round(time.perf_counter() - t0, 3),
                   "worker": self.name, "attempt": s.attempt}
        if self.layout.attempt(s.run) != s.attempt:  # a newer attempt owns the run: this worker outlived its driver
            raise StaleAttempt(f"run {s.run} was restarted; batch {part} of the old attempt is not committed")
        self.layout.write("batches", s.run, part, to_table("batches", [summary]))  # the commit point
        return {k: v for k, v in summary.items() if k not in ("seqs", "ends")}


# -- the driver ----------------------------------------------------------------------------------------------------
def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def default_run() -> str:
    """Today's date (UTC): a daily run gets a dated folder; re-running the same day resumes it."""
    return datetime.now(timezone.utc).date().isoformat()


def process(args: list[str], out: str, *, engine: str = "ray", run: str | None = None,
            batch_size: int = DEFAULT_BATCH, workers: int | None = None, address: str | None = None,
            config: IngestConfig | None = None, language: LanguageConfig | None = LanguageConfig(),
            retries: int = 3, on_batch: OnBatch | None = None) -> ProcessSummary:
    """Read, build, deduplicate-sign and annotate `args` into Parquet partitions under `out` (run `run`), with Ray
    or a local process pool. Resumes a run an earlier attempt left unfinished; a finished run is left as it is."""
    if engine not in ENGINES:
        raise ProcessError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "ray":  # fail before any work, in one line, when the extra is not installed
        try:
            import ray  # noqa: F401
            import ray.data  # noqa: F401
        except ImportError:
            raise ProcessError("the Ray engine needs Ray: pip install 'sitrep[ray]' (or use --engine local)") from None
    config = config or IngestConfig()
    try:
        run = check_run_name(run or default_run())
        layout = Layout(out)
    except ValueError as exc:
        raise ProcessError(str(exc)) from exc
    t0 = time.perf_counter()
    units = plan(args, config)
    knowledge = knowledge_hash(language) if language is not None else None
    neardup = NearDupIndex()
    identity = {"format": FORMAT, "sitrep": __version__, "args": args,
                "inputs": [(u["source"], u["kind"]) for u in units], "ingest": asdict(config),
                "language": asdict(language) if language is not None else None, "knowledge": knowledge,
                "neardup": asdict(neardup)}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]
    old = layout.manifest(run)
    if old is not None and old.get("digest") != digest:
        raise ProcessError(f"run {run} in {out} was made from other inputs or settings; pass --run NAME to start "
                           f"another run")
    manifest = {**identity, "run": run, "digest": digest, "created": (old or {}).get("created") or _now(),
                "attempt": uuid.uuid4().hex, "started": _now(), "finished": None, "engine": engine,
                "units": [{k: u.get(k) for k in ("index", "source", "kind")} for u in units]}
    layout.write_manifest(run, manifest)
    layout.write_attempt(run, manifest["attempt"])  # from here on, workers of an older attempt cannot commit

    done, ends = _done(layout, run)
    todo = []
    resumed = 0
    for u in units:
        k = u["index"]
        got = done.get(k, set())
        resumed += len(got)
        if k in ends and len(got) >= ends[k]:
            continue  # every item of this input is in a committed batch
        todo.append({**u, "skip": sorted(got), "end_done": k in ends})
    settings = Settings(out, run, manifest["attempt"], config, language, knowledge, neardup, os.getcwd())
    summary = ProcessSummary(run=run, out=out, engine=engine, inputs=len(units), resumed_items=resumed)

    def batch_done(b: dict[str, Any]) -> None:
        summary.new_batches += 1
        if on_batch is not None:
            on_batch(b)

    if todo:
        if engine == "ray":
            from .ray_engine import run_ray

            summary.workers = run_ray(settings, todo, batch_size=batch_size, workers=workers, address=address,
                                      retries=retries, on_batch=batch_done)
        else:
            from .local import run_local

            summary.workers = run_local(settings, todo, batch_size=batch_size, workers=workers, on_batch=batch_done)

    batches = layout.batches(run)
    done, ends = _done(layout, run, batches)
    missing = [u["source"] for u in units if u["index"] not in ends or len(done.get(u["index"], ())) < ends[u["index"]]]
    if missing:
        raise ProcessError(f"run {run} is incomplete ({len(missing)} input(s) not finished, e.g. {missing[0]}); run the "
                           f"same command again to resume it")
    cols = batches.to_pydict()
    for k in ("articles", "annotated", "failed", "sentences", "mentions", "events", "tokens"):
        setattr(summary, k, int(sum(cols[k])))
    summary.rejected = int(sum(cols["rejects"]))
    summary.items = summary.articles + summary.rejected
    summary.batches = batches.num_rows
    if summary.rejected:
        summary.rejects = _listed_rejects(layout, run, cols["part"], [r for r in cols["rejects"]])
    layout.tidy(run, set(cols["part"]))
    summary.seconds = time.perf_counter() - t0
    manifest.update(finished=_now(), summary={k: v for k, v in summary.to_dict().items() if k != "rejects"})
    layout.write_manifest(run, manifest)
    return summary


def _done(layout: Layout, run: str, batches: Any = None) -> tuple[dict[int, set[int]], dict[int, int]]:
    """Per input: the item numbers committed so far, and the item count of inputs whose end is committed."""
    tbl = batches if batches is not None else layout.batches(run)
    done: dict[int, set[int]] = {}
    ends: dict[int, int] = {}
    for seqs in tbl.column("seqs").to_pylist():
        for s in seqs:
            k, n = split_seq(s)
            done.setdefault(k, set()).add(n)
    for es in tbl.column("ends").to_pylist():
        for s in es:
            k, n = split_seq(s)
            ends[k] = n
    return done, ends


def _listed_rejects(layout: Layout, run: str, parts: list[str], counts: list[int]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for part, n in sorted(zip(parts, counts)):
        if not n:
            continue
        for r in layout.read("rejects", run, part).to_pylist():
            out.append({k: r[k] for k in ("source", "locator", "reason", "detail")})
            if len(out) >= ProcessSummary.MAX_LISTED:
                return out
    return out

"""The partition format of `sitrep process`: Parquet tables in one folder per table and per run, written atomically
under deterministic names, and the run manifests; encoding and decoding of the records they hold.

    DIR/_runs/RUN.json                           the run's manifest: inputs, settings, attempt, finished
    DIR/_runs/RUN.attempt                        the attempt that owns the run (workers of older ones cannot commit)
    DIR/<table>/run=RUN/part-<first>-<last>.parquet   one file per table per batch (none when the batch has no rows)

Tables: batches (the commit record of a batch, written last), articles, rejects, annotated, sentences, mentions,
events. Every row carries `seq`, the item's place in the run's input order: input number << 32 | item number.
"""
from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, fields
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..ingest.pipeline import Built, MinHashed
from ..model import Annotation, Article, Event, Mention, Quantity, Reject, RemovedSpan, Sentence

FORMAT = 1
TABLES = ("batches", "articles", "rejects", "annotated", "sentences", "mentions", "events")
_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def make_seq(input_index: int, item_index: int) -> int:
    return (input_index << 32) | item_index


def split_seq(seq: int) -> tuple[int, int]:
    return seq >> 32, seq & 0xFFFFFFFF


def seq_label(seq: int) -> str:
    i, j = split_seq(seq)
    return f"{i:06d}.{j:08d}"


def part_name(seqs: Iterable[int]) -> str:
    """A batch's file name, from the items it holds: the same batch always gets the same name."""
    s = list(seqs)
    return f"part-{seq_label(min(s))}-{seq_label(max(s))}"


def check_run_name(run: str) -> str:
    if not _RUN_NAME.match(run):
        raise ValueError(f"run name {run!r}: use letters, digits, '.', '_' and '-' (at most 100)")
    return run


# -- table schemas -------------------------------------------------------------------------------------------------
_S, _I32, _I64, _F64 = pa.string(), pa.int32(), pa.int64(), pa.float64()

SCHEMAS: dict[str, pa.Schema] = {
    "batches": pa.schema([("part", _S), ("first_seq", _I64), ("last_seq", _I64), ("seqs", pa.list_(_I64)),
                          ("ends", pa.list_(_I64)), ("articles", _I32), ("rejects", _I32), ("annotated", _I32),
                          ("failed", _I32), ("sentences", _I32), ("mentions", _I32), ("events", _I32),
                          ("tokens", _I64), ("seconds", _F64), ("worker", _S), ("attempt", _S)]),
    "articles": pa.schema([("seq", _I64), ("id", _S), ("source", _S), ("locator", _S), ("fmt", _S), ("url", _S),
                           ("title", _S), ("author", _S), ("outlet", _S), ("published", pa.date32()),
                           ("date_source", _S), ("date_note", _S), ("language", _S), ("language_score", _F64),
                           ("skip_reason", _S), ("text", _S), ("raw_text", _S),
                           ("removed", pa.list_(pa.struct([("start", _I64), ("end", _I64), ("at", _I64),
                                                           ("reason", _S)]))),
                           ("content_hash", _S), ("raw_hash", _S), ("item_url", _S), ("minhash", pa.binary()),
                           ("lsh_bands", pa.list_(pa.int16())), ("lsh_buckets", pa.list_(_I64))]),
    "rejects": pa.schema([("seq", _I64), ("source", _S), ("locator", _S), ("reason", _S), ("detail", _S),
                          ("raw_hash", _S)]),
    "annotated": pa.schema([("seq", _I64), ("article_id", _S), ("model", _S), ("tokens", _I32), ("mentions", _I32),
                            ("events", _I32), ("error", _S)]),
    "sentences": pa.schema([("seq", _I64), ("article_id", _S), ("idx", _I32), ("start_char", _I32),
                            ("end_char", _I32)]),
}
# mentions: the Mention record, field for field (start/end as start_char/end_char, as in the store)
_MENTION_TYPES = {"start": _I32, "end": _I32, "sentence_index": _I32, "geonameid": _I64, "lat": _F64, "lon": _F64}
MENTION_COLUMNS = tuple(f.name for f in fields(Mention))
_MCOL = {"start": "start_char", "end": "end_char"}
SCHEMAS["mentions"] = pa.schema([("seq", _I64), ("article_id", _S), ("idx", _I32)]
                                + [(_MCOL.get(n, n), _MENTION_TYPES.get(n, _S)) for n in MENTION_COLUMNS])
# events: the Event record as the coder made it; parties and places refer to the article's mentions by index
# ({"m": 3}) so that identity linking at load time shows through, as it does in one process
SCHEMAS["events"] = pa.schema([("seq", _I64), ("article_id", _S), ("idx", _I32), ("sentence_index", _I32),
                               ("start_char", _I32), ("end_char", _I32), ("trigger_start", _I32),
                               ("trigger_end", _I32), ("event", _S), ("mode", _S), ("context", _S), ("quad", _I32),
                               ("cameo", _S), ("intensity", _F64), ("actor", _S), ("recipient", _S),
                               ("attribution", _S), ("negated", pa.bool_()), ("modality", _S), ("date", _S),
                               ("date_precision", _S), ("date_source", _S), ("location", _S), ("locations", _S),
                               ("fatalities", _I64), ("injured", _I64), ("quantities", _S), ("confidence", _F64),
                               ("explain", _S)])


def to_table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SCHEMAS[name])


# -- encoding ------------------------------------------------------------------------------------------------------
def article_row(seq: int, a: Article, raw_hash: str, url: str | None, minhash: MinHashed | None) -> dict[str, Any]:
    d = asdict(a)
    for k in ("duplicate_of", "similarity"):  # decided when the article is stored, against the whole store
        d.pop(k)
    d.update(seq=seq, raw_hash=raw_hash, item_url=url, minhash=minhash[0] if minhash else None,
             lsh_bands=[b for b, _ in minhash[1]] if minhash else None,
             lsh_buckets=[h for _, h in minhash[1]] if minhash else None)
    return d


def reject_row(seq: int, r: Reject, raw_hash: str | None = None) -> dict[str, Any]:
    return {"seq": seq, **asdict(r), "raw_hash": raw_hash}


def annotation_rows(seq: int, result: Annotation | tuple[str, str]) -> dict[str, list[dict[str, Any]]]:
    """The annotated, sentences, mentions and events rows of one article's annotation (or its failure)."""
    if not isinstance(result, Annotation):
        return {"annotated": [{"seq": seq, "article_id": result[0], "model": None, "tokens": None, "mentions": None,
                               "events": None, "error": result[1]}]}
    ann = result
    aid = ann.article_id
    out: dict[str, list[dict[str, Any]]] = {
        "annotated": [{"seq": seq, "article_id": aid, "model": ann.model, "tokens": ann.tokens,
                       "mentions": len(ann.mentions), "events": len(ann.events), "error": None}],
        "sentences": [{"seq": seq, "article_id": aid, "idx": s.index, "start_char": s.start, "end_char": s.end}
                      for s in ann.sentences],
        "mentions": [],
        "events": [],
    }
    index: dict[int, int] = {}
    for n, m in enumerate(ann.mentions):
        index.setdefault(id(m), n)
        row = {"seq": seq, "article_id": aid, "idx": n}
        row.update({_MCOL.get(k, k): v for k, v in asdict(m).items()})
        out["mentions"].append(row)

    def ref(m: Mention | None) -> Any:
        if m is None:
            return None
        n = index.get(id(m))
        return {"m": n} if n is not None else {"mention": asdict(m)}  # a party the coder made for this event

    for n, ev in enumerate(ann.events):
        out["events"].append({
            "seq": seq, "article_id": ev.article_id, "idx": n, "sentence_index": ev.sentence_index,
            "start_char": ev.start, "end_char": ev.end, "trigger_start": ev.trigger[0], "trigger_end": ev.trigger[1],
            "event": ev.event, "mode": ev.mode, "context": _dumps(ev.context), "quad": ev.quad, "cameo": ev.cameo,
            "intensity": ev.intensity, "actor": _dumps([ref(m) for m in ev.actor]),
            "recipient": _dumps([ref(m) for m in ev.recipient]), "attribution": _dumps(ref(ev.attribution)),
            "negated": ev.negated, "modality": ev.modality, "date": ev.date, "date_precision": ev.date_precision,
            "date_source": ev.date_source, "location": _dumps(ref(ev.location)),
            "locations": _dumps([ref(m) for m in ev.locations]), "fatalities": ev.fatalities, "injured": ev.injured,
            "quantities": _dumps([asdict(q) for q in ev.quantities]), "confidence": ev.confidence,
            "explain": _dumps(ev.explain),
        })
    return out


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


# -- decoding ------------------------------------------------------------------------------------------------------
_ARTICLE_FIELDS = tuple(f.name for f in fields(Article) if f.name not in ("duplicate_of", "similarity"))


def built_from_article(row: dict[str, Any]) -> Built:
    kw = {k: row[k] for k in _ARTICLE_FIELDS}
    kw["removed"] = [RemovedSpan(**s) for s in row["removed"] or []]
    if isinstance(kw["published"], str):
        kw["published"] = date.fromisoformat(kw["published"])
    a = Article(**kw)
    minhash = None
    if row.get("minhash") is not None:
        minhash = (bytes(row["minhash"]), list(zip(row["lsh_bands"], row["lsh_buckets"])))
    return Built(a.source, a.locator, row["raw_hash"], a, row["item_url"], minhash)


def reject_from_row(row: dict[str, Any]) -> Reject | Built:
    r = Reject(row["source"], row["locator"], row["reason"], row["detail"] or "")
    if row.get("raw_hash"):  # a document that was read but could not be built: recognised like ingest does
        return Built(r.source, r.locator, row["raw_hash"], r)
    return r


def _mention(row: dict[str, Any]) -> Mention:
    return Mention(**{n: row[_MCOL.get(n, n)] for n in MENTION_COLUMNS})


def annotation_from_rows(annotated: dict[str, Any], sentences: list[dict[str, Any]], mentions: list[dict[str, Any]],
                         events: list[dict[str, Any]]) -> Annotation | tuple[str, str]:
    """The Annotation (with its events) as the annotator made it, parties shared with the mention list."""
    if annotated["error"] is not None:
        return (annotated["article_id"], annotated["error"])
    ms = [_mention(r) for r in sorted(mentions, key=lambda r: r["idx"])]

    def deref(v: Any) -> Mention | None:
        if v is None:
            return None
        return ms[v["m"]] if "m" in v else Mention(**v["mention"])

    evs = []
    for r in sorted(events, key=lambda r: r["idx"]):
        evs.append(Event(
            article_id=r["article_id"], sentence_index=r["sentence_index"], start=r["start_char"], end=r["end_char"],
            trigger=(r["trigger_start"], r["trigger_end"]), event=r["event"], mode=r["mode"],
            context=json.loads(r["context"]), quad=r["quad"], cameo=r["cameo"], intensity=r["intensity"],
            actor=[deref(v) for v in json.loads(r["actor"])], recipient=[deref(v) for v in json.loads(r["recipient"])],
            attribution=deref(json.loads(r["attribution"])), negated=r["negated"], modality=r["modality"],
            date=r["date"], date_precision=r["date_precision"], date_source=r["date_source"],
            location=deref(json.loads(r["location"])), locations=[deref(v) for v in json.loads(r["locations"])],
            fatalities=r["fatalities"], injured=r["injured"],
            quantities=[Quantity(**q) for q in json.loads(r["quantities"])], confidence=r["confidence"],
            explain=json.loads(r["explain"])))
    sents = [Sentence(r["idx"], r["start_char"], r["end_char"]) for r in sorted(sentences, key=lambda r: r["idx"])]
    return Annotation(annotated["article_id"], sents, ms, annotated["tokens"], annotated["model"], evs)


# -- where the files live ------------------------------------------------------------------------------------------
def filesystem(location: str) -> tuple[Any, str]:
    """(pyarrow filesystem, path) for a local path or any URI pyarrow (s3://, gs://, hdfs://, file://) or, when
    installed, fsspec understands."""
    import pyarrow.fs as pafs

    if "://" not in location:
        return pafs.LocalFileSystem(), os.path.abspath(location)
    try:
        return pafs.FileSystem.from_uri(location)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
        try:
            import fsspec
        except ImportError:
            raise ValueError(f"{location}: no filesystem for this URI ({exc})") from exc
        fs, path = fsspec.core.url_to_fs(location)
        return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path


class Layout:
    """The folder of a `sitrep process` output (a local path or a URI): runs, manifests and partition files."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.fs, self.root = filesystem(location)

    def _dir(self, table: str, run: str) -> str:
        return f"{self.root}/{table}/run={run}"

    def path(self, table: str, run: str, part: str) -> str:
        return f"{self._dir(table, run)}/{part}.parquet"

    def _atomic(self, final: str, write: Any) -> None:
        """Write under a temporary name, then rename: a reader (or a resumed run) sees the whole file or none."""
        folder = final.rsplit("/", 1)[0]
        self.fs.create_dir(folder, recursive=True)
        tmp = f"{folder}/.tmp-{uuid.uuid4().hex}-{final.rsplit('/', 1)[1]}"
        try:
            write(tmp)
            self.fs.move(tmp, final)
        except BaseException:
            try:
                self.fs.delete_file(tmp)
            except OSError:
                pass
            raise

    def write(self, table: str, run: str, part: str, tbl: pa.Table) -> None:
        self._atomic(self.path(table, run, part),
                     lambda p: pq.write_table(tbl, p, filesystem=self.fs, compression="zstd"))

    def read(self, table: str, run: str, part: str) -> pa.Table:
        """A part file in this version's schema (a column an older sitrep did not write reads as nulls)."""
        tbl = pq.read_table(self.path(table, run, part), filesystem=self.fs)
        schema = SCHEMAS[table]
        cols = [tbl.column(f.name).cast(f.type) if f.name in tbl.column_names else pa.nulls(tbl.num_rows, f.type)
                for f in schema]
        return pa.Table.from_arrays(cols, schema=schema)

    def exists(self, table: str, run: str, part: str) -> bool:
        import pyarrow.fs as pafs

        return self.fs.get_file_info(self.path(table, run, part)).type == pafs.FileType.File

    def parts(self, table: str, run: str) -> list[str]:
        """Finished part files of a table in a run (temporary files of unfinished writes are not listed)."""
        import pyarrow.fs as pafs

        sel = pafs.FileSelector(self._dir(table, run), allow_not_found=True)
        names = [i.base_name for i in self.fs.get_file_info(sel) if i.type == pafs.FileType.File]
        return sorted(n[:-len(".parquet")] for n in names if n.startswith("part-") and n.endswith(".parquet"))

    def batches(self, run: str) -> pa.Table:
        """The commit records of a run's finished batches (a batch's data files are complete when its record is)."""
        tables = [self.read("batches", run, p) for p in self.parts("batches", run)]
        return pa.concat_tables(tables) if tables else SCHEMAS["batches"].empty_table()

    # -- manifests ----------------------------------------------------------------------------------------------
    def _manifest_path(self, run: str) -> str:
        return f"{self.root}/_runs/{run}.json"

    def manifest(self, run: str) -> dict[str, Any] | None:
        import pyarrow.fs as pafs

        path = self._manifest_path(run)
        if self.fs.get_file_info(path).type != pafs.FileType.File:
            return None
        with self.fs.open_input_stream(path) as fh:
            return json.loads(fh.read().decode("utf-8"))

    def write_manifest(self, run: str, manifest: dict[str, Any]) -> None:
        data = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")

        def put(p: str) -> None:
            with self.fs.open_output_stream(p) as fh:
                fh.write(data)
        self._atomic(self._manifest_path(run), put)

    def attempt(self, run: str) -> str | None:
        """The attempt that owns the run now (a small file of its own: every batch commit reads it)."""
        import pyarrow.fs as pafs

        path = f"{self.root}/_runs/{run}.attempt"
        if self.fs.get_file_info(path).type != pafs.FileType.File:
            return None
        with self.fs.open_input_stream(path) as fh:
            return fh.read().decode("utf-8").strip()

    def write_attempt(self, run: str, attempt: str) -> None:
        def put(p: str) -> None:
            with self.fs.open_output_stream(p) as fh:
                fh.write(attempt.encode("utf-8"))
        self._atomic(f"{self.root}/_runs/{run}.attempt", put)

    def runs(self) -> list[str]:
        """The runs in this folder, in the order they were first started."""
        import pyarrow.fs as pafs

        sel = pafs.FileSelector(f"{self.root}/_runs", allow_not_found=True)
        names = [i.base_name[:-5] for i in self.fs.get_file_info(sel)
                 if i.type == pafs.FileType.File and i.base_name.endswith(".json") and not i.base_name.startswith(".")]
        manifests = {n: self.manifest(n) or {} for n in names}
        return sorted(names, key=lambda n: (manifests[n].get("created", ""), n))

    def tidy(self, run: str, keep: set[str]) -> int:
        """Remove a run's temporary files and the data files of batches that were never committed (a killed run's
        leftovers, redone since under the same or another name). Returns the number of files removed."""
        import pyarrow.fs as pafs

        removed = 0
        for table in TABLES:
            sel = pafs.FileSelector(self._dir(table, run), allow_not_found=True)
            for info in self.fs.get_file_info(sel):
                name = info.base_name
                stale = name.startswith(".tmp-") or (name.endswith(".parquet") and name[:-8] not in keep)
                if info.type == pafs.FileType.File and stale:
                    self.fs.delete_file(info.path)
                    removed += 1
        return removed


def iter_rows(tbl: pa.Table) -> Iterator[dict[str, Any]]:
    yield from tbl.to_pylist()

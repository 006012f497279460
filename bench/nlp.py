"""Language-layer throughput against bare spaCy, in the same run, on the same texts, with the same processes.

1. Ingest a fixed sample of Timeline17 articles (default 400, first in sorted path order) with `--no-nlp`.
2. Bare spaCy: `nlp.pipe` over the clean texts with the same model and its default components
   (`n_process` = workers). Tokens per second.
3. sitrep's language layer (`LanguageLayer`, the code `sitrep ingest` runs) with the same number of workers
   over the same articles, writing to the store: first without the event coder, then with it (what `ingest`
   does). Tokens per second, the ratio to bare spaCy, and the time the coder adds (with one worker, also the
   time spent inside the coder itself, measured around its calls).
Peak RSS of this process and of its largest worker process is reported after the layer (which runs first)
and again after bare spaCy.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from timeline17_to_jsonl import DEFAULT_DATA, convert, dataset_root

from sitrep import Sitrep
from sitrep.nlp.layer import LanguageConfig, LanguageLayer
from sitrep.nlp.models import DEFAULT_MODEL


def bare_spacy(texts: list[str], model: str, workers: int) -> tuple[int, float]:
    import spacy

    nlp = spacy.load(model)  # default components, as shipped
    t0 = time.perf_counter()
    tokens = sum(len(doc) for doc in nlp.pipe(texts, batch_size=32, n_process=workers))
    return tokens, time.perf_counter() - t0


def _peaks() -> dict[str, int]:
    """Peak RSS so far of this process and of its largest (reaped) child, in MiB."""
    return {"self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "largest_child": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=400)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    root = dataset_root(args.data)
    with tempfile.TemporaryDirectory(prefix="sitrep-nlp-") as tmp:
        jsonl, db = Path(tmp) / "sample.jsonl", Path(tmp) / "bench.duckdb"
        with jsonl.open("w", encoding="utf-8") as fh:
            convert(root, fh, args.limit)
        with Sitrep(db) as s:
            ingested = s.ingest([str(jsonl)], language=None).new
            ids = s.store.pending_annotation("", "")  # English articles (others carry a skip_reason)
            texts = [t for _, t, _ in s.store.texts_for(ids)]
            plain_cfg = LanguageConfig(model=args.model, workers=args.workers, events=False)
            cfg = LanguageConfig(model=args.model, workers=args.workers)
            # model and knowledge loading is outside the timed part for all (bare spaCy loads before its clock)
            from sitrep.nlp.layer import make_annotator

            annotator = make_annotator(cfg) if args.workers == 1 else None
            coder, inside = (annotator.coder, [0.0]) if annotator is not None else (None, [0.0])
            if annotator is not None:
                annotator.coder = None
            t0 = time.perf_counter()
            LanguageLayer(s.store, plain_cfg).run(annotator=annotator, ids=ids)
            p_secs = time.perf_counter() - t0
            if annotator is not None:
                code = coder.code

                def timed(*a, **k):
                    t = time.perf_counter()
                    try:
                        return code(*a, **k)
                    finally:
                        inside[0] += time.perf_counter() - t
                coder.code = timed
                annotator.coder = coder
            t0 = time.perf_counter()
            rep = LanguageLayer(s.store, cfg).run(annotator=annotator, ids=ids)
            l_secs = time.perf_counter() - t0
            stats = s.store.language_stats()
            events = s.store.event_stats()
            # the layer runs first, so these peaks are the layer's (with the ingest before it), not bare spaCy's
            layer_rss = _peaks()
            in_process = annotator is not None
            del annotator
            b_tokens, b_secs = bare_spacy(texts, args.model, args.workers)
    figures = {
        "ingested": ingested, "articles": len(texts), "workers": args.workers, "model": args.model,
        "bare_spacy": {"tokens": b_tokens, "seconds": round(b_secs, 2), "tokens_per_second": round(b_tokens / b_secs)},
        "sitrep_layer": {"tokens": rep.tokens, "seconds": round(l_secs, 2), "tokens_per_second": round(rep.tokens / l_secs),
                         "articles_per_second": round(rep.articles / l_secs, 2), "mentions": stats["mentions"],
                         "unresolved": stats["unresolved"]},
        "ratio_to_bare_spacy": round((rep.tokens / l_secs) / (b_tokens / b_secs), 3),
        "layer_without_coder": {"seconds": round(p_secs, 2), "tokens_per_second": round(rep.tokens / p_secs)},
        "coder": {"events": events["events"], "by_type": events["by_type"],
                  "added_seconds": round(l_secs - p_secs, 2), "added_share": round((l_secs - p_secs) / p_secs, 3),
                  "seconds_inside_coder": round(inside[0], 2) if in_process else None,
                  "inside_share": round(inside[0] / (l_secs - inside[0]), 3) if in_process else None},
        "layer_peak_rss_mib": layer_rss,
        "peak_rss_mib_after_bare_spacy": _peaks(),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for k, v in figures.items():
            print(f"{k:>24}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

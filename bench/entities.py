"""Accuracy of actor, place and time resolution on the team's labelled seed mentions
(`tests/data/labelled_mentions.jsonl`), and actor-code agreement with the PETRARCH-2 gold standard records
(`../shared/datasets/petr2_gsr`).

Seeds: each seed goes through the real ingest (cleanup, dates) and the language layer; a label counts as found
when a mention of its kind overlaps it, and as correct when the resolution matches (actors: the full code;
places: country and gazetteer kind; times: the value, null for "must stay unresolved").
PETR2: each record's sentence is annotated with its date as the publication date; agreement is the share of gold
source/target codes whose country part (first three letters) is among the sentence's actor mentions.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
LABELS = ROOT / "tests" / "data" / "labelled_mentions.jsonl"


def seed_accuracy(shared: Path, verbose: bool = False) -> dict[str, Any]:
    from sitrep import Sitrep

    labels = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    stats: dict[str, Counter[str]] = defaultdict(Counter)
    misses: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, Sitrep(Path(tmp) / "seeds.duckdb") as s:
        s.ingest([str(shared / "seeds")])
        arts = {Path(a["source"]).name: a for a in (s.article(r["id"]) for r in s.articles(limit=100)[0])}
        for lab in labels:
            art = arts.get(lab["seed"])
            kind = lab["kind"]
            stats[kind]["labels"] += 1
            span = _clean_span(art, lab) if art else None
            if span is None:
                stats[kind]["not_in_clean_text"] += 1
                continue
            stats[kind]["scored"] += 1
            start, end = span
            cands = [m for m in s.mentions(art["id"]) if m.start < end and m.end > start]
            same = [m for m in cands if m.kind == kind]
            exp = lab["expect"]
            if kind == "time" and exp.get("value") is None:
                ok = not any(m.value for m in same)
                stats[kind]["found"] += 1
                stats[kind]["correct"] += ok
                if not ok and verbose:
                    misses.append(f"{lab['seed'][:3]} time {lab['text']!r}: expected unresolved, got {[m.value for m in same]}")
                continue
            if not same:
                if verbose:
                    misses.append(f"{lab['seed'][:3]} {kind} {lab['text']!r}: not found "
                                  f"(other kinds: {[(m.kind, m.code or m.name) for m in cands]})")
                continue
            stats[kind]["found"] += 1
            m = same[0]
            if kind == "actor":
                ok = m.code == exp.get("code")
                stats[kind]["country_agree"] += (m.country or (m.code or "")[:3]) == (exp.get("country") or exp.get("code", "")[:3])
                got = m.code
            elif kind == "place":
                ok = m.country == exp.get("country") and m.place_kind == exp.get("place_kind")
                stats[kind]["country_agree"] += m.country == exp.get("country")
                got = f"{m.name} {m.place_kind} {m.country}"
            else:
                ok = m.value == exp.get("value")
                got = m.value
            stats[kind]["correct"] += ok
            if not ok and verbose:
                misses.append(f"{lab['seed'][:3]} {kind} {lab['text']!r}: expected {exp}, got {got} ({m.reason or m.method})")
    out = {}
    for kind, c in stats.items():
        n = c["scored"]
        out[kind] = {"labels": c["labels"], "scored": n, "found": c["found"], "correct": c["correct"],
                     "accuracy": round(c["correct"] / n, 3) if n else None,
                     "found_rate": round(c["found"] / n, 3) if n else None}
        if kind in ("actor", "place"):
            out[kind]["country_accuracy"] = round(c["country_agree"] / n, 3) if n else None
    total = sum(c["scored"] for c in stats.values())
    out["all"] = {"scored": total, "accuracy": round(sum(c["correct"] for c in stats.values()) / total, 3)}
    if verbose:
        out["misses"] = misses
    return out


def _clean_span(art: dict[str, Any], lab: dict[str, Any]) -> tuple[int, int] | None:
    """The label's span in the clean text: the nth occurrence in the raw text, mapped through the cuts."""
    raw, clean, text = art["raw_text"], art["text"], lab["text"]
    pos = -1
    for _ in range(lab.get("occurrence", 1)):
        pos = raw.find(text, pos + 1)
        if pos < 0:
            return None
    shift = 0
    for cut in sorted(art["removed"], key=lambda c: c["start"]):
        if cut["end"] <= pos:
            shift += cut["end"] - cut["start"]
        elif cut["start"] < pos + len(text):
            return None  # the label sits in removed boilerplate
    start = pos - shift
    if clean[start:start + len(text)] == text:
        return start, start + len(text)
    # cleanup also normalises whitespace: fall back to the occurrence nearest the mapped offset
    found = [m.start() for m in re.finditer(re.escape(text), clean)]
    if not found:
        return None
    best = min(found, key=lambda p: abs(p - start))
    return best, best + len(text)


def petr2_agreement(shared: Path, limit: int | None = None) -> dict[str, Any]:
    from sitrep.nlp.annotate import Annotator

    path = shared / "datasets" / "petr2_gsr" / "PETR2_GSR_validation.xml"
    text = path.read_text(encoding="utf-8", errors="replace")
    # the file is not well-formed XML (comment banners, stray tags): read the three record tags in order
    records: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    tag = re.compile(r"<Sentence\b([^>]*)>|<EventCoding\b([^>]*)/?>|<Text>(.*?)</Text>", re.S)
    for m in tag.finditer(text):
        if m.group(1) is not None:
            d = re.search(r'date="(\d+)"', m.group(1))
            cur = {"date": d.group(1) if d else None, "codes": [], "text": None}
            records.append(cur)
        elif m.group(2) is not None and cur is not None:
            src = re.search(r'sourcecode="([^"]*)"', m.group(2))
            tgt = re.search(r'targetcode="([^"]*)"', m.group(2))
            cur["codes"].append((src.group(1) if src else "", tgt.group(1) if tgt else ""))
        elif m.group(3) is not None and cur is not None and cur["text"] is None:
            cur["text"] = " ".join(m.group(3).split())
    records = [r for r in records if r["text"] and r["codes"]][:limit]
    ann = Annotator()
    c: Counter[str] = Counter()
    for r in records:
        d = r["date"] or ""
        pub = date(int(d[:4]), int(d[4:6]), int(d[6:8])) if re.fullmatch(r"\d{8}", d) else None
        a = ann.annotate(r["text"], pub)
        codes = {m.code for m in a.mentions if m.kind == "actor" and m.code}
        countries = {(m.country or (m.code or "")[:3]) for m in a.mentions if m.kind == "actor"} | {x[:3] for x in codes}
        for role, gold in (("source", r["codes"][0][0]), ("target", r["codes"][0][1])):
            if not gold or gold in ("---",):
                continue
            c[f"{role}_n"] += 1
            c[f"{role}_country"] += gold[:3] in countries
            c[f"{role}_full"] += gold in codes
    res: dict[str, Any] = {"records": len(records)}
    for role in ("source", "target"):
        n = c[f"{role}_n"]
        res[role] = {"n": n, "country_part": round(c[f"{role}_country"] / n, 3) if n else None,
                     "full_code": round(c[f"{role}_full"] / n, 3) if n else None}
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--verbose", "-v", action="store_true", help="list every miss")
    ap.add_argument("--no-petr2", action="store_true")
    args = ap.parse_args()
    if not (args.shared / "seeds").is_dir():
        sys.exit(f"no seeds under {args.shared}")
    res: dict[str, Any] = {"seeds": seed_accuracy(args.shared, args.verbose)}
    if not args.no_petr2:
        res["petr2_gsr"] = petr2_agreement(args.shared)
    misses = res["seeds"].pop("misses", [])
    print(json.dumps(res, indent=2))
    for line in misses:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

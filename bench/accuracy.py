"""Event-coding accuracy of `sitrep code` on the PETRARCH-2 gold standard sentences (PLOVER type, CAMEO root, actor
countries) and on the NGEC synthetic stories (document-level PLOVER type), each beside the most-frequent class."""
from __future__ import annotations

import argparse
import csv
import json
import re
import shlex
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from _doc import write_section  # noqa: E402  (bench/ is on sys.path when run as a script)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DOC = ROOT / "docs" / "accuracy.md"
BEGIN, END = "<!-- events:begin -->", "<!-- events:end -->"
TYPES = ("AGREE CONSULT SUPPORT CONCEDE COOPERATE AID RETREAT REQUEST ACCUSE REJECT THREATEN PROTEST SANCTION "
         "MOBILIZE COERCE ASSAULT").split()
# first three letters of Phoenix/CAMEO codes that name no country: unknown ("---"), international and transnational
# actors, and agent codes written without their country
NOT_COUNTRY = {"---", "IGO", "IMG", "NGO", "NGM", "MNC", "UIS", "INT", "GOV", "MIL", "REB", "OPP", "CVL", "LEG", "JUD",
               "BUS", "EDU", "MED", "COP", "PPL", "SPY", "UAF", "HRI", "MUS", "CHR", "JEW", "REF", "ELI", "CRM", "LAB"}
Event = dict[str, Any]
Row = dict[str, Any]


def read_jsonl(path: Path) -> list[Event]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def coded(items: list[Row], name: str, given: Path | None, args: argparse.Namespace) -> dict[str, list[Event]]:
    """The items' events in text order by the input id of their first evidence: read from `given`, or from running
    `sitrep code` on the items (written to --inputs or a temporary folder)."""
    if given:
        raw = read_jsonl(given)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            folder = args.inputs or Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            src, out = folder / f"{name}.jsonl", folder / f"{name}.events.jsonl"
            src.write_text("".join(json.dumps(it, ensure_ascii=False) + "\n" for it in items), encoding="utf-8")
            cmd = [str(ROOT / ".venv" / "bin" / "sitrep"), "code", str(src), "-o", str(out)]
            cmd += ["--workers", str(args.workers)] if args.workers else []
            if subprocess.run(cmd, cwd=ROOT).returncode:
                sys.exit(f"`{shlex.join(cmd)}` failed")
            raw = read_jsonl(out)
    ids = {str(it["id"]) for it in items}
    events: dict[str, list[Event]] = defaultdict(list)
    for e in raw:
        if (doc := str(((e.get("evidence") or [{}])[0]).get("doc_id"))) in ids:
            events[doc].append(e)
    if raw and not events:
        print(f"warning: no {name} event has an input id as its evidence doc_id", file=sys.stderr)
    return events


def plover_table(path: Path) -> dict[str, str]:
    """CAMEO code -> PLOVER type; where a code is listed twice (the root "08") the first line wins."""
    table: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"(\d{2,4}):\s*([A-Z]+)", line):
            table.setdefault(m.group(1), m.group(2))
    return table


def to_plover(code: str, table: dict[str, str]) -> str | None:
    if code[:2] in ("01", "02"):  # statements and appeals: no PLOVER type
        return None
    return next((table[code[:n]] for n in range(len(code), 1, -1) if code[:n] in table), None)


def petr2_records(path: Path) -> list[Row]:
    """Sentence records in file order. The file is not well-formed XML: its record tags are read with regexes."""
    text = re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8", errors="replace"), flags=re.S)
    text = text[text.find("<Sentences>"):]  # the banner above it mentions <EventCoding...> too
    tag = re.compile(r"<Sentence\b([^>]*)>|<EventCoding\b([^>]*)>|<Text>(.*?)</Text>|<Parse>(.*?)</Parse>", re.S)
    recs: list[Row] = []
    cur: Row | None = None
    for m in tag.finditer(text):
        a = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1) or m.group(2) or ""))
        if m.group(1) is not None:
            d = a.get("date", "")  # one record has a six-digit date: left undated
            cur = {"id": a.get("id") or f"petr2-{len(recs)}", "gold": [], "text": None, "evaluate": a.get("evaluate"),
                   "date": f"{d[:4]}-{d[4:6]}-{d[6:]}" if re.fullmatch(r"(19|20)\d{6}", d) else None}
            recs.append(cur)
        elif cur is None:
            continue
        elif m.group(2) is not None and a.get("eventcode"):  # the other form is noevents="True"
            cur["gold"].append((a["eventcode"], a.get("sourcecode", ""), a.get("targetcode", "")))
        elif m.group(3) is not None and cur["text"] is None:
            cur["text"] = " ".join(m.group(3).split())
        elif m.group(4) is not None and not cur["text"]:  # one record's text is empty: rebuilt from its parse
            toks = [ln.split("\t")[1] for ln in m.group(4).strip().splitlines() if ln.count("\t") >= 9]
            cur["text"] = re.sub(r" (?=[.,;:!?])", "", " ".join(toks))
    return [r for r in recs if r["text"] and r["evaluate"] != "false"]


def conf(e: Event) -> float:
    return float(e.get("confidence") or 0.0)


def country(code: str) -> str | None:
    c = code[:3]
    return c if re.fullmatch(r"[A-Z]{3}", c) and c not in NOT_COUNTRY else None


def baseline(golds: list[set[str]]) -> tuple[str, int]:
    """The label in most gold sets (ties: alphabetical) and the number of sets it is in (its correct predictions)."""
    counts = Counter(x for g in golds for x in g)
    label = min(counts, key=lambda k: (-counts[k], k)) if counts else "-"
    return label, counts[label]


def petr2_scores(recs: list[Row], events: dict[str, list[Event]], table: dict[str, str]) -> dict[str, Any]:
    """A sentence's prediction is its highest-confidence non-negated event (ties: the first), right when it matches
    any of the sentence's gold events; no event is wrong."""
    c: Counter[str] = Counter()
    types: list[set[str]] = []
    roots: list[set[str]] = []
    for r in recs:
        ev = max((e for e in events.get(r["id"], []) if not e.get("negated")), key=conf, default=None)  # first max
        if not r["gold"]:
            c["none_n"] += 1
            c["none_coded"] += ev is not None
            continue
        roots.append({code[:2] for code, _, _ in r["gold"]})
        c["root_ok"] += ev is not None and str(ev.get("cameo") or "")[:2] in roots[-1]
        gold_types = {t for code, _, _ in r["gold"] if (t := to_plover(code, table))}
        if not gold_types:
            continue
        types.append(gold_types)
        c["coded"] += ev is not None
        if ev is None or ev.get("event") not in gold_types:
            continue
        c["type_ok"] += 1
        match = [g for g in r["gold"] if to_plover(g[0], table) == ev["event"]]
        for role, key, i in (("source", "actor", 1), ("target", "recipient", 2)):
            if gold_c := {x for g in match if (x := country(g[i]))}:
                c[f"{role}_n"] += 1
                c[f"{role}_ok"] += any(a.get("country") == g or str(a.get("code") or "").startswith(g)
                                       for a in ev.get(key) or [] for g in gold_c)
    return {"c": c, "types": types, "roots": roots, "base_type": baseline(types), "base_root": baseline(roots)}


def ngec_rows(path: Path, limit: int | None) -> list[Row]:
    """Stories with ids by file row; a limit takes evenly spaced rows of the file ordered by type (stratified)."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = [{"id": f"ngec-{i}", "text": r["text"], "label": r["label"]} for i, r in enumerate(csv.DictReader(f))]
    if limit and limit < len(rows):
        by_type = sorted(rows, key=lambda r: r["label"])  # stable: file order within a type
        rows = [by_type[i * len(rows) // limit] for i in range(limit)]
    return rows


def doc_type(events: list[Event]) -> str | None:
    """The type with the highest sum of confidence / (1 + rank of the sentence) over the non-negated events."""
    start = lambda e: int(((e.get("evidence") or [{}])[0]).get("start") or 0)  # noqa: E731
    rank = {s: i for i, s in enumerate(sorted({start(e) for e in events}))}
    score: dict[str, float] = defaultdict(float)
    for e in events:
        if not e.get("negated") and e.get("event") in TYPES:
            score[e["event"]] += conf(e) / (1 + rank[start(e)])
    return max(sorted(score), key=lambda t: score[t]) if score else None


def prf(gold: list[str], pred: list[str | None]) -> tuple[dict[str, tuple[int, int, float, float, float]], float]:
    """Per type (support, predicted, precision, recall, F1) and macro-F1 over the types in gold or predictions."""
    per: dict[str, tuple[int, int, float, float, float]] = {}
    for t in TYPES:
        tp = sum(g == p == t for g, p in zip(gold, pred))
        sup, npred = gold.count(t), pred.count(t)
        p, r = tp / npred if npred else 0.0, tp / sup if sup else 0.0
        per[t] = (sup, npred, p, r, 2 * p * r / (p + r) if p + r else 0.0)
    seen = [t for t, v in per.items() if v[0] or v[1]]
    return per, sum(per[t][4] for t in seen) / len(seen) if seen else 0.0


def ratio(a: int, b: int) -> float | str:
    return a / b if b else "-"


def md(head: list[str], rows: list[list[Any]]) -> str:
    fmt = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    return "\n".join(lines + ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows])


def petr2_section(args: argparse.Namespace) -> str:
    recs = petr2_records(args.shared / "datasets" / "petr2_gsr" / "PETR2_GSR_validation.xml")
    items = [{"id": r["id"], "text": r["text"], **({"date": r["date"]} if r["date"] else {})} for r in recs]
    events = coded(items, "petr2", args.events, args)
    s = petr2_scores(recs, events, plover_table(args.shared / "reference" / "plover" / "CAMEO2PLOVER-2021.txt"))
    c, nt, nr = s["c"], len(s["types"]), len(s["roots"])
    (bt, bt_ok), (br, br_ok) = s["base_type"], s["base_root"]
    rows = [["event type (PLOVER)", nt, ratio(c["type_ok"], nt), f"{bt_ok / nt:.3f} ({bt})" if nt else "-"],
            ["CAMEO root", nr, ratio(c["root_ok"], nr), f"{br_ok / nr:.3f} ({br})" if nr else "-"],
            ["coverage: typed sentences given an event", nt, ratio(c["coded"], nt), ""],
            ["right type where an event was given", c["coded"], ratio(c["type_ok"], c["coded"]), ""],
            ["source country agrees (type right)", c["source_n"], ratio(c["source_ok"], c["source_n"]), ""],
            ["target country agrees (type right)", c["target_n"], ratio(c["target_ok"], c["target_n"]), ""],
            ["no-event sentences given an event", c["none_n"], ratio(c["none_coded"], c["none_n"]), ""]]
    return (f"**PETRARCH-2 gold standard.** {len(recs)} sentences, {nr} with a gold event ({nt} with a PLOVER type: "
            f"CAMEO roots 01 and 02 have none; codes mapped by CAMEO2PLOVER-2021); "
            f"{sum(map(len, events.values()))} events coded. A sentence's prediction is its highest-confidence "
            "non-negated event, right when its type (CAMEO root) is that of any gold event of the sentence; actor "
            "countries are compared where the type is right.\n\n"
            + md(["PETR-2 measure", "n", "sitrep", "baseline (class)"], rows))


def ngec_section(args: argparse.Namespace) -> str:
    rows = ngec_rows(args.shared / "datasets" / "ngec_synthetic" / "gpt_synthetic_events_2023-10-19_19.csv",
                     args.ngec_limit)
    events = coded([{"id": r["id"], "text": r["text"]} for r in rows], "ngec", args.ngec_events, args)
    gold = [r["label"] for r in rows]
    pred = [doc_type(events.get(r["id"], [])) for r in rows]
    top, n = baseline([{g} for g in gold])[0], len(gold)
    (per, macro), (_, base_macro) = prf(gold, pred), prf(gold, [top] * n)
    acc = lambda p: sum(g == x for g, x in zip(gold, p)) / n if n else 0.0  # noqa: E731
    summary = md(["NGEC stories", "n", "accuracy", "macro-F1", "given a type"],
                 [["sitrep", n, acc(pred), macro, ratio(sum(p is not None for p in pred), n)],
                  [f"baseline ({top})", n, acc([top] * n), base_macro, 1.0]])
    per_rows = [[t, *per[t]] for t in sorted(TYPES, key=lambda t: -per[t][0])]
    return (f"**NGEC synthetic stories.** {n} stories (text only: the titles carry placeholders), "
            f"{sum(map(len, events.values()))} events coded. A story's type is the one with the highest sum of "
            f"confidence / (1 + sentence rank) over its non-negated events.\n\n{summary}\n\n"
            + md(["type", "support", "predicted", "precision", "recall", "F1"], per_rows))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=SHARED, help="the shared folder (datasets, reference)")
    ap.add_argument("--events", type=Path, help="`sitrep code` output for the PETR-2 sentences (skips the coder)")
    ap.add_argument("--ngec-events", type=Path, help="`sitrep code` output for the NGEC stories (skips the coder)")
    ap.add_argument("--ngec-limit", type=int, help="score N stories, a stratified sample (default: all)")
    ap.add_argument("--workers", type=int, help="passed to `sitrep code`")
    ap.add_argument("--inputs", type=Path, help="keep the coder inputs and outputs in this folder")
    ap.add_argument("--no-petr2", action="store_true")
    ap.add_argument("--no-ngec", action="store_true")
    ap.add_argument("--no-write", action="store_true", help="print only: leave docs/accuracy.md as it is")
    args = ap.parse_args()
    if not (args.shared / "datasets" / "petr2_gsr").is_dir():
        sys.exit(f"no datasets under {args.shared}: pass --shared DIR")
    command = shlex.join([".venv/bin/python", "bench/accuracy.py", *sys.argv[1:]])
    parts = [f"`{command}` (measured {date.today().isoformat()}).",
             *([] if args.no_petr2 else [petr2_section(args)]), *([] if args.no_ngec else [ngec_section(args)])]
    body = "\n\n".join(parts)
    print(body)
    if not args.no_write:
        write_section(DOC, BEGIN, END, "Event coding", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

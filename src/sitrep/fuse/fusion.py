"""Event fusion: the coded mentions that report one real-world event become one event that keeps every mention as
evidence, counts its articles and sources, and records where the reports disagree.

The result is a function of the set of mentions, never of the order they arrived in: mentions that may report the
same event (`may_merge`) form connected blocks, and each block is clustered by one deterministic pass in a fixed
order. New articles only re-cluster the blocks they touch, so incremental ingests and one big ingest agree.
"""
from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from .rules import FusionRules

_PRECISION = {"day": 3, "month": 2, "year": 1}
_WORD = re.compile(r"[a-z][a-z-]+")


@dataclass
class Report:
    """One coded mention as fusion sees it: the keys that decide whether two mentions are one event."""

    id: str
    article_id: str
    source_key: str  # the outlet, or the article where the outlet is unknown
    published: date | None
    start: int
    type: str
    group: str
    negated: bool
    realis: int
    roots: frozenset[str]  # country or group of each actor
    recipient_roots: frozenset[str]
    countries: frozenset[str]  # of the places tied to the event
    places: frozenset[str]  # specific places (below country level)
    lo: date | None
    hi: date | None
    identity: str | None
    mode: str | None
    confidence: float
    record: dict[str, Any]
    words: frozenset[str] = frozenset()  # uncommon words of the sentence, minus the parties' and places' names

    @property
    def order(self) -> tuple[Any, ...]:
        return (self.published or date.max, self.article_id, self.start, self.id)

    def keys(self) -> dict[str, Any]:
        """What the store keeps to find this mention's fusion candidates later."""
        return {"type_group": self.group, "day_lo": self.lo, "day_hi": self.hi, "actor_roots": sorted(self.roots),
                "identity": self.identity}


def parse_day(value: str | None) -> tuple[date | None, date | None, str | None]:
    """(first day, last day, precision) of 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'."""
    if not value:
        return None, None, None
    parts = value.split("-")
    try:
        y = int(parts[0])
        if len(parts) == 1:
            return date(y, 1, 1), date(y, 12, 31), "year"
        m = int(parts[1])
        if len(parts) == 2:
            last = (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1))
            return date(y, m, 1), last, "month"
        d = date(y, m, int(parts[2]))
        return d, d, "day"
    except (ValueError, IndexError):
        return None, None, None


def _root(p: dict[str, Any]) -> str | None:
    if p.get("country"):
        return str(p["country"])
    code = p.get("code") or ""
    return code if len(code) > 3 else None  # a group code (NATO, COALITION); a bare sector (GOV) says too little


def report(rec: dict[str, Any], article_id: str, outlet: str | None, published: date | None,
           rules: FusionRules) -> Report:
    """The fusion keys of one mention record (the `record` column of the store's `events` table)."""
    lo, hi, _ = parse_day(rec.get("date"))
    if lo is not None and hi is not None:
        if rec.get("date_source") == "publication":
            lo, hi = lo - timedelta(days=rules.slack_pub_before), hi + timedelta(days=rules.slack_pub_after)
        else:
            lo, hi = lo - timedelta(days=rules.slack_expression), hi + timedelta(days=rules.slack_expression)
    places = [p for p in rec.get("locations") or [] if p]
    identity = None
    trigger = str((rec.get("explain") or {}).get("trigger") or "").lower()
    if rec["event"] in rules.identity_types and trigger in rules.identity_triggers:
        persons = sorted(p["actor_id"] for p in rec["recipient"]
                         if str(p.get("actor_id") or "").startswith(rules.person_prefix))
        if persons:
            identity = f"{rec['event']}|{persons[0]}"
    ev = rec["evidence"][0]
    return Report(
        id=rec["id"], article_id=article_id, source_key=(outlet or "").lower() or f"article:{article_id}",
        published=published, start=int(ev["trigger"][0] if ev.get("trigger") else ev["start"]),
        type=rec["event"], group=rules.group(rec["event"]), negated=bool(rec["negated"]),
        realis=rules.modality_groups.get(rec["modality"], -1),
        roots=frozenset(r for p in rec["actor"] if (r := _root(p))),
        recipient_roots=frozenset(r for p in rec["recipient"] if (r := _root(p))),
        countries=frozenset(p["country"] for p in places if p.get("country")),
        places=frozenset(p.get("place_id") or p["name"] for p in places if p.get("kind") != "country"),
        lo=lo, hi=hi, identity=identity, mode=rec.get("mode"), confidence=float(rec["confidence"]), record=rec,
        words=_words(ev.get("sentence") or "", rec, rules))


def _words(sentence: str, rec: dict[str, Any], rules: FusionRules) -> frozenset[str]:
    names = " ".join(p.get("text") or "" for p in rec["actor"] + rec["recipient"] + (rec.get("locations") or []))
    skip = set(_WORD.findall(names.lower())) | rules.common_words
    return frozenset(w for w in _WORD.findall(sentence.lower()) if len(w) >= 6 and w not in skip)


def may_merge(a: Report, b: Report) -> str | None:
    """Why `a` and `b` may report one event, or None. Symmetric; the edges of the fusion blocks."""
    if a.group != b.group or a.negated != b.negated or a.realis != b.realis:
        return None
    if a.identity and a.identity == b.identity:
        return f"the same once-only event ({a.identity.split('|', 1)[1]})"
    same_article = a.article_id == b.article_id
    if not (a.roots and b.roots):
        if not same_article:
            return None  # an actor-less mention joins only its own article's events, or by identity
    elif not a.roots & b.roots:
        return None
    why = ["same article"] if same_article else []
    if a.roots and b.roots:
        why.append("actor " + "/".join(sorted(a.roots & b.roots)))
    if a.countries and b.countries:
        if not a.countries & b.countries:
            return None
        why.append("place " + "/".join(sorted(a.countries & b.countries)))
    shared_places = a.places & b.places
    same_mode = bool(a.mode and a.mode == b.mode)
    if a.recipient_roots and b.recipient_roots:
        if a.recipient_roots & b.recipient_roots:
            why.append("recipient " + "/".join(sorted(a.recipient_roots & b.recipient_roots)))
        elif not (same_article and (shared_places or same_mode or a.countries & b.countries)):
            return None  # in one article, differently named targets of one attack ("Iraqi bases", "the coalition")
    if a.lo is not None and b.lo is not None and a.hi is not None and b.hi is not None:
        if a.lo > b.hi or b.lo > a.hi:
            return None
        why.append("dates agree")
    elif not same_article:
        # with no date to tell them apart, the reports must share something particular: the target, a named
        # place, the mode in the same country, or an uncommon word
        words = a.words & b.words
        if a.recipient_roots & b.recipient_roots or shared_places or (same_mode and a.countries & b.countries):
            why.append("no date to tell them apart, " + ("same named place" if shared_places else
                                                          "same target" if a.recipient_roots & b.recipient_roots
                                                          else f"same mode ({a.mode}) and country"))
        elif words:
            why.append("no date to tell them apart, shared words " + ", ".join(sorted(words)[:3]))
        else:
            return None
    return f"{a.type}: " + ", ".join(why)


def _gap(a: Report, b: Report) -> int:
    if a.lo is None or b.lo is None or a.hi is None or b.hi is None:
        return 0
    return max(0, (a.lo - b.hi).days, (b.lo - a.hi).days)


@dataclass
class Cluster:
    members: list[Report] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)

    def vetoes(self, m: Report, rules: FusionRules) -> bool:
        identities = {x.identity for x in self.members if x.identity}
        for x in self.members:
            if m.roots and x.roots and not m.roots & x.roots:
                return True
            if m.countries and x.countries and not m.countries & x.countries:
                return True
            if not (m.identity and m.identity in identities) and _gap(m, x) > rules.max_spread_days:
                return True
        return False

    def affinity(self, m: Report, links: int) -> tuple[int, ...]:
        modes = {x.mode for x in self.members if x.mode}
        places = set().union(*(x.places for x in self.members))
        recips = set().union(*(x.recipient_roots for x in self.members))
        idents = {x.identity for x in self.members if x.identity}
        return (int(bool(m.identity and m.identity in idents)), links + 2 * int(m.mode in modes)
                + len(m.places & places) + len(m.recipient_roots & recips), -len(self.members))


def cluster_block(block: list[Report], rules: FusionRules) -> list[Cluster]:
    """Cluster one block deterministically: mentions in a fixed order (earliest report first), each joining the
    most related compatible cluster or starting its own.

    A mention is tried only against the clusters holding a mention it may merge with, found through the same
    buckets as `blocks` (type group and article, actor root or identity; overlapping date windows), not against
    every member of every cluster: the clusters it skips are clusters it has no link to, which the rule skips
    anyway, so the result is the same, at a cost that grows with the block rather than with its square."""
    ordered = sorted(block, key=lambda r: r.order)
    placer = Placer(rules)
    placer.place_all(ordered, partners(ordered))
    return placer.clusters


class Placer:
    """The clustering pass of `cluster_block`, which can also resume: given the clusters a block's pass ended
    with (`resume`), placing mentions that come after all of the block's members in the order gives what
    re-running the whole pass would (each mention only looks at the clusters before it)."""

    def __init__(self, rules: FusionRules) -> None:
        self.rules = rules
        self.clusters: list[Cluster] = []
        self.home: dict[str, tuple[int, int]] = {}  # mention id -> (cluster index, position in its members)

    def resume(self, cluster: Cluster) -> None:
        for pos, m in enumerate(cluster.members):
            self.home[m.id] = (len(self.clusters), pos)
        self.clusters.append(cluster)

    def place_all(self, ordered: list[Report], partners: dict[str, list[Report]]) -> None:
        for m in ordered:
            self.place(m, partners[m.id])

    def place(self, m: Report, partners: list[Report]) -> Cluster:
        clusters, home = self.clusters, self.home
        linked: dict[int, list[tuple[int, Report, str]]] = {}
        for x in partners:
            where = home.get(x.id)
            if where is None:  # not placed yet: later in the order
                continue
            why = may_merge(m, x)
            if why:
                linked.setdefault(where[0], []).append((where[1], x, why))
        best: tuple[tuple[int, ...], Cluster, str] | None = None
        for ci in sorted(linked):
            c = clusters[ci]
            if c.vetoes(m, self.rules):
                continue
            links = sorted(linked[ci], key=lambda t: t[0])
            score = c.affinity(m, len(links))
            if best is None or score > best[0]:
                best = (score, c, f"{links[0][2]} (with {links[0][1].id})")
        if best is None:
            c = Cluster()
            c.members.append(m)
            c.reasons[m.id] = "first report"
            home[m.id] = (len(clusters), 0)
            clusters.append(c)
            return c
        target = best[1]
        home[m.id] = (home[target.members[0].id][0], len(target.members))
        target.members.append(m)
        target.reasons[m.id] = best[2]
        return target


def partners(reports: list[Report]) -> dict[str, list[Report]]:
    """For each mention, the mentions it may merge with at all: those sharing a type group and an article, an
    actor root or an identity, with overlapping date windows or no date (a superset of `may_merge`)."""
    buckets: dict[tuple[str, ...], list[Report]] = defaultdict(list)
    for r in reports:
        for k in [("a", r.group, r.article_id)] + [("r", r.group, k) for k in r.roots] + (
                [("i", r.identity)] if r.identity else []):
            buckets[k].append(r)
    out: dict[str, dict[str, Report]] = {r.id: {} for r in reports}
    for bucket in buckets.values():
        if len(bucket) < 64:
            for r in bucket:
                mine = out[r.id]
                for x in bucket:
                    if x.id != r.id:
                        mine[x.id] = x
            continue
        short = sorted((x for x in bucket if x.lo is not None and x.hi is not None
                        and (x.hi - x.lo).days <= _LONG_WINDOW), key=lambda x: x.lo)  # type: ignore[operator]
        rest = [x for x in bucket if x.lo is None or x.hi is None or (x.hi - x.lo).days > _LONG_WINDOW]
        starts = [x.lo for x in short]
        for r in bucket:
            mine = out[r.id]
            if r.lo is None or r.hi is None:
                cands: Any = bucket
            else:
                i = bisect.bisect_left(starts, r.lo - timedelta(days=_LONG_WINDOW))
                j = bisect.bisect_right(starts, r.hi)
                cands = itertools.chain(short[i:j], rest)
            for x in cands:
                if x.id != r.id:
                    mine[x.id] = x
    return {k: list(v.values()) for k, v in out.items()}


_LONG_WINDOW = 40  # days: windows longer than this (a stated month or year) are compared with every mention


def blocks(reports: list[Report], known: dict[str, str]) -> list[list[Report]]:
    """Connected components of `may_merge` over `reports`; `known` maps mention ids to the block they were already
    in (members of one old block stay connected).

    Only pairs that can merge are tried: two mentions may merge only when they share a type group and an
    article, an actor root or an identity (the buckets below), and two dated mentions only when their date windows
    overlap, so within a bucket a dated mention is tried against the mentions whose windows start at most
    `_LONG_WINDOW` days before its own window ends (and against every long-window or undated one). The pairs
    skipped are pairs `may_merge` rejects, so the components are those of trying every pair."""
    parent = {r.id: r.id for r in reports}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    by_old: dict[str, str] = {}
    for r in reports:
        if (old := known.get(r.id)) is not None:
            if old in by_old:
                union(by_old[old], r.id)
            else:
                by_old[old] = r.id
    buckets: dict[tuple[str, ...], list[Report]] = defaultdict(list)
    for r in reports:
        keys = [("a", r.group, r.article_id)] + [("r", r.group, k) for k in r.roots] + (
            [("i", r.identity)] if r.identity else [])
        for k in keys:
            buckets[k].append(r)
    for bucket in buckets.values():
        new = [r for r in bucket if r.id not in known]
        if not new:
            continue
        if len(bucket) < 64:
            for r in new:
                for x in bucket:
                    if x.id != r.id and find(x.id) != find(r.id) and may_merge(r, x):
                        union(r.id, x.id)
            continue
        short = sorted((x for x in bucket if x.lo is not None and x.hi is not None
                        and (x.hi - x.lo).days <= _LONG_WINDOW), key=lambda x: x.lo)  # type: ignore[operator]
        rest = [x for x in bucket if x.lo is None or x.hi is None or (x.hi - x.lo).days > _LONG_WINDOW]
        starts = [x.lo for x in short]
        for r in new:
            if r.lo is None or r.hi is None:
                cands: Any = bucket
            else:
                i = bisect.bisect_left(starts, r.lo - timedelta(days=_LONG_WINDOW))
                j = bisect.bisect_right(starts, r.hi)
                cands = itertools.chain(short[i:j], rest)
            for x in cands:
                if x.id != r.id and find(x.id) != find(r.id) and may_merge(r, x):
                    union(r.id, x.id)
    groups: dict[str, list[Report]] = defaultdict(list)
    for r in reports:
        groups[find(r.id)].append(r)
    return [sorted(g, key=lambda r: r.id) for _, g in sorted(groups.items())]


def fused_id(members: list[Report]) -> str:
    return hashlib.sha1(("event|" + min(m.id for m in members)).encode()).hexdigest()[:16]


# -- the fused record ---------------------------------------------------------------------------------
def _support(values: dict[Any, set[str]], sources: dict[str, str]) -> dict[Any, int]:
    return {v: len({sources[d] for d in docs}) for v, docs in values.items()}


def _quantity_label(q: dict[str, Any]) -> str:
    v = q.get("value")
    num = (str(int(v)) if isinstance(v, (int, float)) and v == int(v) else str(v)) if v is not None else q["text"]
    bound = q.get("bound")
    if bound and not any(ch.isdigit() for ch in q.get("text", "")) and q.get("text", "").lower().split()[0] in (
            "dozens", "hundreds", "thousands", "scores", "several", "many", "tens", "millions"):
        return q["text"].lower()  # "dozens of missiles" is itself the report
    if bound == "min":
        return f"at least {num}"
    if bound == "max":
        return f"at most {num}"
    if bound == "approx" or q.get("approx"):
        return f"about {num}"
    return num


def _consistent(exact: float, q: dict[str, Any]) -> bool:
    v, bound = q.get("value"), q.get("bound")
    if v is None:
        return False
    if bound == "min":
        return exact >= v
    if bound == "max":
        return exact <= v
    if bound == "approx" or q.get("approx"):
        return 0.5 * v <= exact <= 1.5 * v
    return exact == v


def _unit(q: dict[str, Any]) -> str | None:
    u = (q.get("unit") or "").lower().strip()
    if not u:
        return None
    return u[:-1] if u.endswith("s") and not u.endswith("ss") else u


def _choose_quantity(reports: list[tuple[str, dict[str, Any]]], sources: dict[str, str]
                     ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The best-supported figure among the reports of one unit, and the conflict when they differ."""
    by_label: dict[str, set[str]] = defaultdict(set)
    example: dict[str, dict[str, Any]] = {}
    for doc, q in reports:
        lab = _quantity_label(q)
        by_label[lab].add(doc)
        example.setdefault(lab, q)
    if len(by_label) == 1:
        lab = next(iter(by_label))
        return example[lab], None
    all_docs = {sources[d] for docs in by_label.values() for d in docs}

    def score(lab: str) -> tuple[int, int, int, str]:
        q = example[lab]
        exact = q.get("value") is not None and not q.get("bound") and not q.get("approx")
        if exact:
            agree = {sources[d] for other, docs in by_label.items() for d in docs if _consistent(q["value"], example[other])}
        else:
            agree = {sources[d] for d in by_label[lab]}
        return (len(agree), int(exact), len({sources[d] for d in by_label[lab]}), lab)

    best = max(by_label, key=score)
    if len(set().union(*by_label.values())) < 2:
        return example[best], None
    s = score(best)
    rule = (f"the exact figure consistent with {s[0]} of {len(all_docs)} sources" if s[1]
            else f"reported by {s[0]} of {len(all_docs)} sources")
    conflict = {"field": f"quantity:{_unit(example[best]) or example[best]['text']}",
                "values": [{"value": lab, "doc_ids": sorted(docs)} for lab, docs in sorted(by_label.items())],
                "chosen": best, "chosen_by": rule}
    return example[best], conflict


def _choose_date(members: list[Report], sources: dict[str, str]) -> tuple[Report | None, dict[str, Any] | None]:
    dated = [m for m in members if m.record.get("date")]
    if not dated:
        return None, None
    stated = [m for m in dated if m.record.get("date_source") == "expression"] or dated
    values: dict[str, set[str]] = defaultdict(set)
    for m in stated:
        values[m.record["date"]].add(m.article_id)
    spans = {v: parse_day(v) for v in values}

    def supports(a: str, b: str) -> bool:  # a report of `a` agrees with `b`: same day, or a wider span holding it
        (alo, ahi, _), (blo, bhi, _) = spans[a], spans[b]
        return alo is not None and blo is not None and alo <= blo and bhi <= ahi  # type: ignore[operator]

    def score(v: str) -> tuple[int, int, str]:
        srcs = {sources[d] for w, docs in values.items() if supports(w, v) for d in docs}
        return (len(srcs), _PRECISION.get(spans[v][2] or "", 0), "~" + v)  # ties: precise, then earlier

    chosen = max(values, key=score)
    pick = min((m for m in stated if m.record["date"] == chosen), key=lambda m: m.order)
    disagree = [v for v in values if not supports(v, chosen) and not supports(chosen, v)]
    total = len({sources[d] for docs in values.values() for d in docs})
    if not disagree or len(set().union(*values.values())) < 2:  # one article giving two dates is our reading
        return pick, None
    conflict = {"field": "date",
                "values": [{"value": v, "doc_ids": sorted(docs)} for v, docs in sorted(values.items())],
                "chosen": chosen, "chosen_by": f"reported by {score(chosen)[0]} of {total} sources that state a date"
                                               + ("; the more precise date wins a tie" if len(values) > 1 else "")}
    return pick, conflict


def _vote(members: list[Report], key: Any, sources: dict[str, str], field_name: str
          ) -> tuple[Any, dict[str, Any] | None]:
    values: dict[Any, set[str]] = defaultdict(set)
    for m in members:
        v = key(m)
        if v is not None:
            values[v].add(m.article_id)
    if not values:
        return None, None
    sup = _support(values, sources)
    chosen = max(values, key=lambda v: (sup[v], str(v)))
    total = len({sources[d] for docs in values.values() for d in docs})
    if len(values) == 1 or len(set().union(*values.values())) < 2:
        return chosen, None
    return chosen, {"field": field_name,
                    "values": [{"value": v, "doc_ids": sorted(d)} for v, d in sorted(values.items(), key=str)],
                    "chosen": chosen, "chosen_by": f"reported by {sup[chosen]} of {total} sources"}


def _parties(members: list[Report], key: str, exclude: set[str] = frozenset()) -> list[dict[str, Any]]:  # type: ignore[assignment]
    count: Counter[str] = Counter()
    first: dict[str, dict[str, Any]] = {}
    for m in members:
        for p in m.record[key]:
            if p["code"] in exclude:
                continue
            count[p["code"]] += 1
            first.setdefault(p["code"], p)
    return [first[c] for c, _ in sorted(count.items(), key=lambda kv: (-kv[1], kv[0]))]


def fuse_record(cluster: Cluster) -> dict[str, Any]:
    """The event record (event.schema.json) of one cluster of mentions, with its evidence and conflicts."""
    members = sorted(cluster.members, key=lambda r: r.order)
    sources = {m.article_id: m.source_key for m in members}
    voiced = [m for m in members if m.roots] or members
    rep = max(voiced, key=lambda m: (m.confidence, -members.index(m)))
    type_votes = Counter(m.type for m in voiced)
    etype = max(type_votes, key=lambda t: (type_votes[t], t == rep.type, t))
    rec = json.loads(json.dumps(rep.record))  # a copy
    base = next((m for m in voiced if m.type == etype and m.confidence == max(x.confidence for x in voiced
                                                                                if x.type == etype)), rep)
    for k in ("event", "quad", "cameo", "intensity", "context"):
        rec[k] = base.record.get(k)
    modes = Counter(m.mode for m in voiced if m.mode and m.type == etype)
    rec["mode"] = max(modes, key=lambda k: (modes[k], k)) if modes else None
    mods = Counter(m.record["modality"] for m in members)
    rec["modality"] = "asserted" if "asserted" in mods else max(mods, key=lambda k: (mods[k], k))
    conflicts: list[dict[str, Any]] = []
    actors = _parties(voiced, "actor")
    rec["actor"] = actors
    rec["recipient"] = _parties(members, "recipient", {p["code"] for p in actors})
    roots_by_article: dict[str, str] = {}
    for m in voiced:
        if m.roots:
            roots_by_article.setdefault(m.article_id, "/".join(sorted(m.roots)))
    if len(set(roots_by_article.values())) > 1 and not any(
            set(a.split("/")) & set(b.split("/")) for a in roots_by_article.values() for b in roots_by_article.values()
            if a != b):
        _, c = _vote([m for m in voiced if m.article_id in roots_by_article],
                     lambda m: roots_by_article.get(m.article_id), sources, "actor")
        if c:
            conflicts.append(c)
    pick, c = _choose_date(members, sources)
    if pick is not None:
        rec["date"], rec["date_precision"] = pick.record["date"], pick.record.get("date_precision")
        rec["date_source"] = "fusion" if c else pick.record.get("date_source")
        if c:
            conflicts.append(c)
    else:
        rec["date"] = rec["date_precision"] = rec["date_source"] = None
    located = [m for m in members if m.record.get("location")]
    country, c = _vote(located, lambda m: m.record["location"].get("country"), sources, "place")
    if c:
        names = defaultdict(set)
        for m in located:
            names[m.record["location"]["name"]].add(m.article_id)
        c["values"] = [{"value": v, "doc_ids": sorted(d)} for v, d in sorted(names.items())]
        c["chosen"] = next(m.record["location"]["name"] for m in located
                           if m.record["location"].get("country") == country)
        conflicts.append(c)
    if located:
        main = next((m for m in located if m.record["location"].get("country") == country), located[0])
        rec["location"] = main.record["location"]
    seen: set[str] = set()
    rec["locations"] = []
    for m in members:
        for p in m.record.get("locations") or []:
            if p["name"] not in seen:
                seen.add(p["name"])
                rec["locations"].append(p)
    attrs: dict[str, Any] = {"fatalities": None, "injured": None, "quantities": []}
    for name in ("fatalities", "injured"):
        reps = [(m.article_id, {"value": m.record["attributes"][name], "text": str(m.record["attributes"][name])})
                for m in members if (m.record.get("attributes") or {}).get(name) is not None]
        if reps:
            q, c = _choose_quantity(reps, sources)
            attrs[name] = q["value"]
            if c:
                c["field"] = name
                conflicts.append(c)
    by_unit: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for m in members:
        for q in (m.record.get("attributes") or {}).get("quantities") or []:
            by_unit[_unit(q) or q["text"].lower()].append((m.article_id, q))
    for unit in sorted(by_unit):
        q, c = _choose_quantity(by_unit[unit], sources)
        attrs["quantities"].append(q)
        if c:
            conflicts.append(c)
    rec["attributes"] = attrs
    rec["negated"] = rep.negated
    rec["attribution"] = next((m.record.get("attribution") for m in members if m.record.get("attribution")), None)
    rec["evidence"] = [m.record["evidence"][0] | {"mention_id": m.id} for m in members]
    rec["num_mentions"] = len(members)
    rec["num_articles"] = len({m.article_id for m in members})
    rec["num_sources"] = len(set(sources.values()))
    pubs = [m.published for m in members if m.published]
    rec["first_reported"] = min(pubs).isoformat() if pubs else None
    rec["conflicts"] = conflicts
    best: dict[str, float] = {}
    for m in voiced:
        best[m.article_id] = max(best.get(m.article_id, 0.0), m.confidence)
    miss = 1.0
    for v in best.values():
        miss *= 1.0 - v
    rec["confidence"] = round(min(0.99, 1.0 - miss), 3)
    rec["id"] = fused_id(members)
    rec["explain"] = {"rule": "fusion", "representative": rep.id,
                      "members": [{"mention": m.id, "doc_id": m.article_id, "reason": cluster.reasons[m.id]}
                                  for m in members]}
    rec["story_id"] = None
    rec["listed"] = any(m.roots or m.record["actor"] for m in members)
    return rec

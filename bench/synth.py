"""Realistic synthetic news at scale: articles with their sentences, actor/place/time mentions and coded event
mentions, written into a real sitrep store through the store's own writing code (as the language layer would,
without spaCy), for the scale benchmark (`bench/scale.py`) and `tests/test_scale.py`.

Every distribution comes from a real run, read at run time from real stores: the Timeline17 stores
`bench/.cache/t17/*.duckdb` when present (built by `bench/timelines.py`), else a store built once by ingesting
`examples/corpus` and `../shared/seeds` (`bench/.cache/synth-profile.duckdb`). A *topic* is one real outlet's
stream in one real store; topics of stores sharing a name prefix (`bpoil_bbc`, `bpoil_reuters`, ...) are one
real *story* covered by several outlets. What is drawn from them:

- a synthetic story copies a real story: its outlets, each outlet's number of articles (within +-25%) and
  their publication days (the real day offsets from the topic's first day, resampled);
- per article: the number of sentences, the sentence lengths, the number of coded events, and the numbers of
  actor, place and time mentions, resampled from that topic's articles;
- per new real-world event: a real coded event of that topic, resampled whole (type, mode, CAMEO, quad,
  intensity, trigger, negation, modality, confidence, its actors and recipients with their codes, countries
  and identities, its places with coordinates, its counts), dated by the real offsets between stated dates
  and publication dates;
- repeats: the share of reports that are another article's report of an event already reported, and the
  share that are a second mention in the same article, from the real fused events (num_articles,
  num_mentions); a repeat picks an event of its story first reported as many days before as real later reports
  follow the first one (the more reported events more often); each report
  states its date as real reports do (publication date, or a stated day, month or year, in the real
  proportions), with the real rate of stated days that disagree, and its counts with the real rate of
  disagreeing figures;
- the density of the archive: stories start one after another so that articles per day match what a real
  article sees around it (the median over real articles of the articles a day within 15 days of it); the
  archive grows in time as the store grows, as a live feed does.

Sentences are templated from the drawn actors, triggers, places, dates and counts, so evidence and timeline
queries have text (and offsets, and mentions) to show. The generator streams: it holds one story's state at a
time, never the corpus. Each event record's `explain` carries the synthetic ground truth (`truth`: the story and
the real-world event it reports) for tests; fusion never reads it.

    .venv/bin/python bench/synth.py --db /tmp/synth.duckdb --events 20000 [--seed 7] [--fuse]
"""
from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from sitrep.ingest.dedup import NearDupIndex, content_hash  # noqa: E402
from sitrep.model import Annotation, Article, Event, Mention, Quantity, Sentence  # noqa: E402

T17 = ROOT / "bench" / ".cache" / "t17"
FALLBACK = ROOT / "bench" / ".cache" / "synth-profile.duckdb"
MODEL = "synthetic"
KNOWLEDGE = "synthetic"
MAX_SENTENCES = 150  # a few real pages are enormous (690,000 characters); synthetic articles stop here
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_CLAUSES = ("the situation remained tense", "talks were expected to continue", "officials declined to comment",
            "the figures were revised later", "markets reacted cautiously", "the committee met again",
            "aid deliveries resumed slowly", "the investigation continued", "residents described long queues",
            "the statement gave no further details", "analysts expected more pressure", "the vote was postponed",
            "the company published a new estimate", "schools stayed closed", "the talks ended without a deal",
            "prices rose for a third week", "the inquiry heard new evidence", "crews worked through the night")
_PADS = ("according to people familiar with the matter", "a spokesman said", "the report added",
         "as the week went on", "in a statement released later", "despite earlier assurances",
         "with little sign of change", "according to local media", "as officials had warned")


# -- the profile: distributions read from real stores ---------------------------------------------------------
@dataclass
class Topic:
    """One real outlet's stream in one real store."""

    name: str
    story: str
    outlet: str
    span: int  # days from the first to the last publication
    pub_offsets: list[int]
    sent_counts: list[int]
    sent_lens: list[int]
    ev_counts: list[int]
    actor_counts: list[int]
    place_counts: list[int]
    time_counts: list[int]
    specs: list[dict[str, Any]]  # real coded events, resampled whole
    actors: list[dict[str, Any]]  # real actor mentions (resolved or not), for the other sentences
    places: list[dict[str, Any]]
    times: list[tuple[str, int]]  # (precision, days from publication) of real time mentions


@dataclass
class Profile:
    sources: list[str]
    topics: list[Topic]
    p_repeat: float  # a report is another article's report of an event already reported
    p_same: float  # a report is a further mention in the same article
    p_date_error: float  # a stated day that differs from the day most reports of the same event state
    p_qty_variant: float  # a count that differs from the count most reports of the same event give
    date_kinds: list[tuple[str, str]]  # (date_source, precision) of real reports, resampled
    day_offsets: list[int]  # stated day minus publication day, in real reports
    date_errors: list[int]  # a disagreeing stated day minus the day most reports state
    repeat_lags: list[int]  # days from an event's first report to a later article's report of it
    density: float  # articles a day around a real article (the median over articles, +-15 days)
    stories: dict[str, list[Topic]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.stories = defaultdict(list)
        for t in self.topics:
            self.stories[t.story].append(t)
        self.stories = dict(sorted(self.stories.items()))

    def summary(self) -> dict[str, Any]:
        arts = sum(len(t.pub_offsets) for t in self.topics)
        evs = sum(len(t.specs) for t in self.topics)
        return {"sources": self.sources, "topics": len(self.topics), "stories": len(self.stories),
                "articles": arts, "events": evs, "p_repeat": round(self.p_repeat, 4),
                "p_same": round(self.p_same, 4), "p_date_error": round(self.p_date_error, 4),
                "p_qty_variant": round(self.p_qty_variant, 4), "articles_per_day": round(self.density, 2)}


def real_stores() -> list[Path]:
    """The Timeline17 stores if present, else the example corpus and the seeds ingested once."""
    stores = sorted(T17.glob("*.duckdb"))
    if stores:
        return stores
    if not FALLBACK.exists():
        from sitrep import Sitrep
        from sitrep.nlp.layer import LanguageConfig

        inputs = [str(ROOT / "examples" / "corpus")]
        if (ROOT.parent / "shared" / "seeds").exists():
            inputs.append(str(ROOT.parent / "shared" / "seeds"))
        FALLBACK.parent.mkdir(parents=True, exist_ok=True)
        with Sitrep(FALLBACK) as s:
            s.ingest(inputs, language=LanguageConfig(workers=1))
    return [FALLBACK]


def _party(p: dict[str, Any]) -> dict[str, Any]:
    return {k: p.get(k) for k in ("text", "name", "code", "country", "sector", "wikidata", "actor_id")}


def _offset(value: str | None, published: date | None) -> int | None:
    if not value or published is None or len(value) != 10:
        return None
    try:
        return (date.fromisoformat(value) - published).days
    except ValueError:
        return None


def load_profile(paths: list[Path] | None = None) -> Profile:
    """Read the distributions of real stores (read-only; nothing is written to them)."""
    import duckdb

    paths = paths or real_stores()
    topics: list[Topic] = []
    E = R = M = 0
    date_pairs = date_diff = qty_events = qty_conflicts = 0
    date_kinds: list[tuple[str, str]] = []
    day_offsets: list[int] = []
    date_errors: list[int] = []
    repeat_lags: list[int] = []
    pub_days: Counter[date] = Counter()
    for path in paths:
        con = duckdb.connect(str(path), read_only=True)
        try:
            arts = con.execute(
                "SELECT a.id, a.published, coalesce(a.outlet, 'unknown') FROM articles a "
                "JOIN annotated n ON n.article_id = a.id WHERE a.published IS NOT NULL ORDER BY a.published, a.id"
            ).fetchall()
            per: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
            for q, key in (("SELECT article_id, count(*) FROM sentences GROUP BY 1", "sent"),
                           ("SELECT article_id, count(*) FROM events GROUP BY 1", "ev"),
                           ("SELECT article_id, count(*) FROM mentions WHERE kind = 'actor' GROUP BY 1", "actor"),
                           ("SELECT article_id, count(*) FROM mentions WHERE kind = 'place' GROUP BY 1", "place"),
                           ("SELECT article_id, count(*) FROM mentions WHERE kind = 'time' GROUP BY 1", "time")):
                for aid, n in con.execute(q).fetchall():
                    per[key]["n"][aid] = n
            pub = {a: p for a, p, _ in arts}
            outlets = sorted({o for _, _, o in arts})
            lens = [n for (n,) in con.execute(
                "SELECT end_char - start_char FROM sentences USING SAMPLE 4000 ROWS (reservoir, 7)").fetchall()]
            actor_rows = con.execute(
                "SELECT article_id, text, name, code, country, sector, wikidata, actor_id, actor_kind, role, reason, "
                "method, label FROM mentions WHERE kind = 'actor' ORDER BY article_id, idx").fetchall()
            place_rows = con.execute(
                "SELECT article_id, text, name, country, place_id, geonameid, lat, lon, place_kind, precision, reason, "
                "method, label FROM mentions WHERE kind = 'place' ORDER BY article_id, idx").fetchall()
            time_rows = con.execute(
                "SELECT article_id, precision, value FROM mentions WHERE kind = 'time' ORDER BY article_id, idx"
            ).fetchall()
            ev_rows = con.execute("SELECT article_id, record FROM events ORDER BY article_id, id").fetchall()
            fused = con.execute("SELECT num_articles, num_mentions FROM fused_events WHERE listed").fetchall()
            # the reports of events several articles reported: how often their stated days and counts disagree
            lag_rows = con.execute(
                "SELECT l.event_id, min(a.published) FROM event_links l JOIN articles a ON a.id = l.article_id "
                "JOIN fused_events f ON f.id = l.event_id WHERE f.listed AND f.num_articles > 1 "
                "AND a.published IS NOT NULL GROUP BY l.event_id, l.article_id ORDER BY 1, 2").fetchall()
            multi = con.execute(
                "SELECT l.event_id, l.article_id, e.date, e.date_source, e.date_precision, "
                "json_extract(e.record, '$.attributes.quantities')::VARCHAR FROM event_links l "
                "JOIN events e ON e.id = l.mention_id JOIN fused_events f ON f.id = l.event_id "
                "WHERE f.listed AND f.num_articles > 1 ORDER BY 1, 2").fetchall()
        finally:
            con.close()
        for _, p, _ in arts:
            pub_days[p] += 1
        groups = [(outlet, [a for a, _, o in arts if o == outlet]) for outlet in outlets]
        if not any(len(g) >= 5 for _, g in groups):
            # a small store (the seeds and the example corpus: a few articles per outlet) is one topic
            groups = [("mixed", [a for a, _, _ in arts])]
        for outlet, ids in groups:
            if len(ids) < 5:
                continue
            idset = set(ids)
            first = min(pub[a] for a in ids)
            specs = []
            for aid, rec in ev_rows:
                if aid not in idset:
                    continue
                r = json.loads(rec)
                ev = r["evidence"][0]
                specs.append({
                    "event": r["event"], "mode": r["mode"], "context": r["context"], "quad": r["quad"],
                    "cameo": r["cameo"], "intensity": r["intensity"], "trigger_text": ev.get("trigger_text") or "",
                    "trigger": (r.get("explain") or {}).get("trigger") or ev.get("trigger_text") or "",
                    "negated": r["negated"], "modality": r["modality"], "confidence": r["confidence"],
                    "actor": [_party(p) for p in r["actor"]], "recipient": [_party(p) for p in r["recipient"]],
                    "location": r.get("location"), "locations": r.get("locations") or [],
                    "quantities": (r.get("attributes") or {}).get("quantities") or [],
                    "fatalities": (r.get("attributes") or {}).get("fatalities"),
                    "injured": (r.get("attributes") or {}).get("injured"),
                    "date_source": r.get("date_source"), "date_precision": r.get("date_precision"),
                    "offset": _offset(r.get("date"), pub[aid])})
                if r.get("date_source") and r.get("date_precision"):
                    date_kinds.append((r["date_source"], r["date_precision"]))
                if r.get("date_source") == "expression" and (off := _offset(r.get("date"), pub[aid])) is not None:
                    day_offsets.append(max(-60, min(30, off)))
            if not specs:
                continue
            names = ("text", "name", "code", "country", "sector", "wikidata", "actor_id", "actor_kind", "role",
                     "reason", "method", "label")
            pnames = ("text", "name", "country", "place_id", "geonameid", "lat", "lon", "place_kind", "precision",
                      "reason", "method", "label")
            topics.append(Topic(
                name=f"{path.stem}:{outlet}", story=path.stem.split("_")[0], outlet=outlet,
                span=max(1, (max(pub[a] for a in ids) - first).days),
                pub_offsets=[(pub[a] - first).days for a in ids],
                sent_counts=[max(1, per["sent"]["n"][a]) for a in ids], sent_lens=lens or [120],
                ev_counts=[per["ev"]["n"][a] for a in ids],
                actor_counts=[per["actor"]["n"][a] for a in ids], place_counts=[per["place"]["n"][a] for a in ids],
                time_counts=[per["time"]["n"][a] for a in ids],
                specs=specs,
                actors=[dict(zip(names, r[1:])) for r in actor_rows if r[0] in idset],
                places=[dict(zip(pnames, r[1:])) for r in place_rows if r[0] in idset and r[6] is not None],
                times=[(prec, off) for aid, prec, v in time_rows if aid in idset and prec in ("day", "month", "year")
                       and (off := _offset(v if prec == "day" else (v + "-01-01")[:10] if v else None,
                                           pub[aid])) is not None]))
        for num_articles, num_mentions in fused:
            E += 1
            R += num_articles
            M += num_mentions
        first_pub: dict[str, date] = {}
        for eid, pub_day in lag_rows:  # each event's articles, earliest first: the lag of every later report
            if eid in first_pub:
                repeat_lags.append((pub_day - first_pub[eid]).days)
            else:
                first_pub[eid] = pub_day
        by_event: dict[str, list[tuple]] = defaultdict(list)
        for row in multi:
            by_event[row[0]].append(row[1:])
        for rows in by_event.values():
            days = {aid: d for aid, d, src, prec, _ in rows if src == "expression" and prec == "day"}
            if len(days) > 1:
                modal = Counter(days.values()).most_common(1)[0][0]
                date_pairs += len(days)
                for d in days.values():
                    if d != modal:
                        date_diff += 1
                        date_errors.append((date.fromisoformat(d) - date.fromisoformat(modal)).days)
            qty: dict[str, str] = {}
            for aid, _, _, _, q in rows:
                for x in json.loads(q or "[]"):
                    qty.setdefault(f"{aid}|{x.get('unit')}", f"{x.get('value')}|{x.get('bound')}")
            units: dict[str, list[str]] = defaultdict(list)
            for key, v in qty.items():
                units[key.split("|", 1)[1]].append(v)
            for vals in units.values():
                if len(vals) > 1:
                    modal = Counter(vals).most_common(1)[0][0]
                    qty_events += len(vals)
                    qty_conflicts += sum(1 for v in vals if v != modal)
    if not topics:
        raise SystemExit("no usable real store (annotated, dated articles with events) to draw distributions from")
    # the density of news an article sees: articles a day within 15 days of it, over all the real stores, the
    # median over articles (the busiest month of Timeline17 has twice as many, the whole span a quarter)
    flat = sorted(pub_days.elements())
    local = sorted((bisect.bisect_right(flat, d + timedelta(days=15)) - bisect.bisect_left(flat, d - timedelta(days=15)))
                   / 31.0 for d in flat)
    return Profile(
        sources=[str(p) for p in paths], topics=topics,
        p_repeat=(R - E) / M if M else 0.1, p_same=(M - R) / M if M else 0.1,
        p_date_error=date_diff / date_pairs if date_pairs else 0.05,
        p_qty_variant=qty_conflicts / qty_events if qty_events else 0.05,
        date_kinds=date_kinds or [("publication", "day")], day_offsets=day_offsets or [0, -1],
        date_errors=date_errors or [-1, 1], repeat_lags=repeat_lags or [0, 1, 2],
        density=local[len(local) // 2])


# -- building one article's text, sentences and mentions with offsets -------------------------------------------
class _Text:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.sentences: list[Sentence] = []
        self.mentions: list[Mention] = []

    def add(self, s: str) -> tuple[int, int]:
        start = self.pos
        self.parts.append(s)
        self.pos += len(s)
        return start, self.pos

    def sentence(self, pieces: list[Any]) -> tuple[int, int, dict[str, Any]]:
        """Append a sentence of strings and (role, Mention-or-None, text) pieces; returns (start, end, spans)."""
        idx = len(self.sentences)
        if idx:
            self.add("\n\n" if idx % 4 == 0 else " ")
        start = self.pos
        spans: dict[str, Any] = {}
        for p in pieces:
            if isinstance(p, str):
                self.add(p)
                continue
            role, m, text = p
            s, e = self.add(text)
            if m is not None:
                m.start, m.end, m.sentence_index = s, e, idx
                self.mentions.append(m)
            spans.setdefault(role, []).append((s, e, m))
        self.sentences.append(Sentence(idx, start, self.pos))
        return start, self.pos, spans

    def text(self) -> str:
        return "".join(self.parts)


def _day_text(d: date) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _date_text(value: str, precision: str) -> str:
    parts = value.split("-")
    if precision == "day":
        return _day_text(date.fromisoformat(value))
    if precision == "month":
        return f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return parts[0]


def _actor_mention(p: dict[str, Any]) -> Mention:
    code = p.get("code") or None
    return Mention(kind="actor", text=p.get("text") or p.get("name") or code or "they", start=0, end=0,
                   sentence_index=0, name=p.get("name"), code=code, country=p.get("country"), sector=p.get("sector"),
                   wikidata=p.get("wikidata"), actor_id=p.get("actor_id"), actor_kind=p.get("actor_kind"),
                   role=p.get("role"), reason=p.get("reason") if not code else None,
                   method=p.get("method") or "dictionary", label=p.get("label"))


def _place_mention(p: dict[str, Any]) -> Mention:
    return Mention(kind="place", text=p.get("text") or p.get("name") or "there", start=0, end=0, sentence_index=0,
                   name=p.get("name"), country=p.get("country"), place_id=p.get("place_id"),
                   geonameid=p.get("geonameid"), lat=p.get("lat"), lon=p.get("lon"),
                   place_kind=p.get("place_kind") or p.get("kind"), precision=p.get("precision"),
                   reason=p.get("reason"), method=p.get("method") or "gazetteer", label=p.get("label") or "GPE")


def _time_mention(value: str, precision: str, anchor: date) -> Mention:
    return Mention(kind="time", text=_date_text(value, precision), start=0, end=0, sentence_index=0,
                   precision=precision, value=value, anchor=anchor.isoformat(), method="pattern", label="DATE")


# -- the generator ------------------------------------------------------------------------------------------------
@dataclass
class _World:
    """A real-world event of one synthetic story: what every report of it starts from."""

    uid: str
    spec: dict[str, Any]
    day: date  # when it happened
    first: date  # when it was first reported
    reports: int = 0


@dataclass
class Generated:
    """One synthetic article, ready for the store."""

    article: Article
    annotation: Annotation
    signature: bytes
    bands: list[tuple[int, int]]


class Generator:
    """Streams synthetic articles, story after story, deterministically from `seed`."""

    def __init__(self, profile: Profile, seed: int = 7, start: date = date(1990, 1, 1),
                 density: float | None = None, neardup: bool = True) -> None:
        self.p = profile
        self.seed = seed
        self.start = start
        self.density = density or profile.density
        self.neardup = NearDupIndex() if neardup else None
        self.stories = list(profile.stories)
        sizes = [sum(len(t.pub_offsets) for t in ts) for ts in profile.stories.values()]
        self.mean_articles = sum(sizes) / len(sizes)
        self.gap = self.mean_articles / self.density  # days between story starts, for the real density
        self.version = f"synthetic; seed {seed}"

    def articles(self, first_story: int = 0) -> Iterator[Generated]:
        k = first_story
        while True:
            yield from self.story(k)
            k += 1

    def story(self, k: int) -> Iterator[Generated]:
        rng = random.Random(self.seed * 1_000_003 + k)
        name = self.stories[rng.randrange(len(self.stories))]
        topics = self.p.stories[name]
        begin = self.start + timedelta(days=int(k * self.gap + rng.uniform(0, self.gap)))
        plan: list[tuple[date, int, Topic]] = []
        for t in topics:
            n = max(1, round(len(t.pub_offsets) * rng.uniform(0.75, 1.25)))
            for _ in range(n):
                plan.append((begin + timedelta(days=rng.choice(t.pub_offsets)), rng.randrange(len(t.pub_offsets)), t))
        plan.sort(key=lambda x: (x[0], x[2].outlet, x[1]))
        pool: list[_World] = []
        for i, (pub, j, t) in enumerate(plan):
            yield self._article(rng, k, name, i, pub, j, t, pool)

    # one article
    def _article(self, rng: random.Random, k: int, story: str, i: int, pub: date, j: int, t: Topic,
                 pool: list[_World]) -> Generated:
        aid = hashlib.sha256(f"synthetic|{self.seed}|{k}|{i}".encode()).hexdigest()[:16]
        n_sent = min(MAX_SENTENCES, t.sent_counts[j])
        n_ev = min(t.ev_counts[j], n_sent)
        budget = {"actor": t.actor_counts[j], "place": t.place_counts[j], "time": t.time_counts[j]}
        event_at = set(rng.sample(range(n_sent), n_ev)) if n_ev else set()
        tx = _Text()
        events: list[Event] = []
        mine: list[_World] = []
        title = None
        for s in range(n_sent):
            target = t.sent_lens[rng.randrange(len(t.sent_lens))]
            if s in event_at:
                world, repeat = self._pick(rng, k, pub, t, pool, mine)
                ev = self._event_sentence(rng, tx, aid, pub, world, repeat, target, budget)
                events.append(ev)
                if title is None:
                    title = tx.text()[ev.start:ev.end].rstrip(".")[:120]
            else:
                self._filler(rng, tx, pub, t, target, budget)
        text = tx.text()
        art = Article(
            id=aid, source=f"synthetic:{self.seed}/story-{k:05d}-{story}", locator=f"article {i}", fmt="synthetic",
            url=f"https://{t.outlet}.example/synthetic/{self.seed}/{k}/{i}", title=title or f"{story} report {i}",
            author=None, outlet=t.outlet, published=pub, date_source="metadata",
            date_note=f"synthetic story {k} ({story}), drawn from {t.name}", language="en", language_score=1.0,
            skip_reason=None, text=text, raw_text=text, removed=[], content_hash=content_hash(text))
        ann = Annotation(article_id=aid, sentences=tx.sentences, mentions=sorted(tx.mentions, key=lambda m: m.start),
                         tokens=len(text.split()), model=MODEL, events=events)
        sig, bands = self.neardup.signature(text) if self.neardup else (b"", [])
        return Generated(art, ann, sig, bands)

    def _pick(self, rng: random.Random, k: int, pub: date, t: Topic, pool: list[_World],
              mine: list[_World]) -> tuple[_World, str]:
        p = self.p
        r = rng.random()
        if mine and r < p.p_same:
            return rng.choice(mine), "same-article"
        if r < p.p_same + p.p_repeat:
            # an event first reported `lag` days ago (the real lags between reports of one event)
            first = pub - timedelta(days=p.repeat_lags[rng.randrange(len(p.repeat_lags))])
            taken = {id(x) for x in mine}
            recent = [w for w in pool[-400:] if w.first == first and id(w) not in taken]
            if recent:
                weights = [1 + w.reports for w in recent]
                w = rng.choices(recent, weights)[0]
                w.reports += 1
                mine.append(w)
                return w, "repeat"
        spec = t.specs[rng.randrange(len(t.specs))]
        if spec["date_source"] == "expression":  # its first report states the day, as the real one did
            off = spec["offset"] if spec["offset"] is not None else p.day_offsets[rng.randrange(len(p.day_offsets))]
        else:  # its first report is dated by its publication: it happened by then
            off = -rng.randint(0, 1)
        w = _World(uid=f"{k}:{len(pool)}", spec=spec, day=pub + timedelta(days=max(-60, min(30, off))), first=pub,
                   reports=1)
        pool.append(w)
        if len(pool) > 2000:
            del pool[:1000]  # old events are not reported again; the story's state stays bounded
        mine.append(w)
        return w, "new"

    def _event_sentence(self, rng: random.Random, tx: _Text, aid: str, pub: date, w: _World, repeat: str,
                        target: int, budget: dict[str, int]) -> Event:
        p, spec = self.p, w.spec
        actors = [_actor_mention(a) for a in spec["actor"]]
        if repeat == "same-article" and actors and rng.random() < 0.5:
            actors = []  # a later sentence refers back without naming the actor ("the attack ...")
        recips = [_actor_mention(a) for a in spec["recipient"]]
        locs = [_place_mention(x) for x in spec["locations"]]
        loc_main = spec["location"]
        # how this report dates the event
        if repeat == "new":
            source, precision = spec["date_source"] or "publication", spec["date_precision"] or "day"
        else:
            source, precision = p.date_kinds[rng.randrange(len(p.date_kinds))]
            if source == "publication" and (pub - w.first).days > 3:
                # real later reports that were fused with the first one more than the publication slack (3 days)
                # after it state the day; one dated by its publication would not be the same event
                source, precision = "expression", "day"
        if source == "publication":
            value, precision = pub.isoformat(), "day"
        else:
            day = w.day
            if repeat != "new" and precision == "day" and rng.random() < p.p_date_error:
                day = day + timedelta(days=p.date_errors[rng.randrange(len(p.date_errors))])
            value = day.isoformat() if precision == "day" else day.isoformat()[:7] if precision == "month" \
                else str(day.year)
        tm = _time_mention(value, precision, pub) if source == "expression" else None
        quantities = []
        for q in spec["quantities"]:
            q = dict(q)
            if repeat != "new" and isinstance(q.get("value"), (int, float)) and rng.random() < p.p_qty_variant:
                v = q["value"]
                low = max(1, int(v * rng.uniform(0.5, 0.9)))
                q = rng.choice(({"text": f"at least {low} {q.get('unit') or ''}".strip(), "value": low,
                                 "unit": q.get("unit"), "approx": True, "bound": "min"},
                                {"text": f"about {int(v)} {q.get('unit') or ''}".strip(), "value": int(v),
                                 "unit": q.get("unit"), "approx": True, "bound": "approx"},
                                {"text": f"{low} {q.get('unit') or ''}".strip(), "value": low,
                                 "unit": q.get("unit"), "approx": False, "bound": None}))
            quantities.append(q)
        trig = spec["trigger_text"] or spec["trigger"] or spec["event"].lower()
        pieces: list[Any] = []
        lead = rng.random()
        if tm is not None and lead < 0.3:
            pieces += ["On " if precision == "day" else "In ", ("time", tm, tm.text), ", "]
        elif lead < 0.45:
            pieces.append("Officials said ")
        if actors:
            for n, m in enumerate(actors):
                pieces += [" and " if n else "", ("actor", m, m.text)]
            pieces += [" ", ("trigger", None, trig)]
        else:
            pieces += ["The " if not pieces else "the ", ("trigger", None, trig)]
        for n, m in enumerate(recips):
            pieces += [" " if n == 0 else " and ", ("recipient", m, m.text)]
        for n, m in enumerate(locs):
            pieces += [" in " if n == 0 else " and ", ("place", m, m.text)]
        if tm is not None and not (lead < 0.3):
            pieces += [" on " if precision == "day" else " in ", ("time", tm, tm.text)]
        for q in quantities:
            pieces.append(f", {q['text']}")
        if spec["fatalities"]:
            pieces.append(f", leaving {spec['fatalities']} dead")
        pieces.append(self._pad(rng, pieces, target))
        pieces.append(".")
        if pieces and isinstance(pieces[0], str) and pieces[0][:1].islower():
            pieces[0] = pieces[0][:1].upper() + pieces[0][1:]
        start, end, spans = tx.sentence(pieces)
        ts, te, _ = spans["trigger"][0]
        for kind, n in (("actor", len(actors) + len(recips)), ("place", len(locs)), ("time", int(tm is not None))):
            budget[kind] -= n
        loc = next((m for m in locs if loc_main and m.name == loc_main.get("name")), None)
        if loc is None and loc_main:
            loc = _place_mention(loc_main)
        return Event(
            article_id=aid, sentence_index=len(tx.sentences) - 1, start=start, end=end, trigger=(ts, te),
            event=spec["event"], mode=spec["mode"], context=list(spec["context"] or []), quad=spec["quad"],
            cameo=spec["cameo"], intensity=spec["intensity"], actor=actors, recipient=recips, attribution=None,
            negated=spec["negated"], modality=spec["modality"], date=value, date_precision=precision,
            date_source=source, location=loc, locations=locs,
            fatalities=spec["fatalities"], injured=spec["injured"],
            quantities=[Quantity(q.get("text") or "", q.get("value"), q.get("unit"), bool(q.get("approx")),
                                 q.get("bound")) for q in quantities],
            confidence=spec["confidence"],
            explain={"rule": "synthetic", "trigger": spec["trigger"], "truth": {"event": w.uid, "report": repeat}})

    def _filler(self, rng: random.Random, tx: _Text, pub: date, t: Topic, target: int,
                budget: dict[str, int]) -> None:
        pieces: list[Any] = []
        if budget["actor"] > 0 and t.actors:
            a = _actor_mention(t.actors[rng.randrange(len(t.actors))])
            pieces += ["According to ", ("actor", a, a.text), ", "]
            budget["actor"] -= 1
        clause = _CLAUSES[rng.randrange(len(_CLAUSES))]
        pieces.append(clause if pieces else clause[:1].upper() + clause[1:])
        if budget["actor"] > 0 and t.actors and rng.random() < 0.5:
            a = _actor_mention(t.actors[rng.randrange(len(t.actors))])
            pieces += [" for ", ("actor", a, a.text)]
            budget["actor"] -= 1
        if budget["place"] > 0 and t.places:
            pl = _place_mention(t.places[rng.randrange(len(t.places))])
            pieces += [" in ", ("place", pl, pl.text)]
            budget["place"] -= 1
        if budget["time"] > 0 and t.times:
            prec, off = t.times[rng.randrange(len(t.times))]
            d = pub + timedelta(days=max(-3650, min(365, off)))
            value = d.isoformat() if prec == "day" else d.isoformat()[:7] if prec == "month" else str(d.year)
            tm = _time_mention(value, prec, pub)
            pieces += [" on " if prec == "day" else " in ", ("time", tm, tm.text)]
            budget["time"] -= 1
        pieces.append(self._pad(rng, pieces, target))
        pieces.append(".")
        tx.sentence(pieces)

    @staticmethod
    def _pad(rng: random.Random, pieces: list[Any], target: int) -> str:
        n = sum(len(p) if isinstance(p, str) else len(p[2]) for p in pieces)
        out = []
        while n < target - 20 and len(out) < 6:
            pad = _PADS[rng.randrange(len(_PADS))]
            out.append(", " + pad)
            n += len(pad) + 2
        return "".join(out)


# -- writing into a store ---------------------------------------------------------------------------------------
def write(store: Any, items: list[Generated], run_id: int | None, version: str) -> int:
    """One transaction: the articles (with their near-duplicate signatures and input items), then their
    sentences, mentions and events through `put_annotations`, as the language layer writes them."""
    with store.transaction():
        store.insert_articles([g.article for g in items], run_id,
                              signatures=[(g.signature, g.bands) for g in items])
        store.put_annotations([g.annotation for g in items], KNOWLEDGE, run_id, version)
    return sum(len(g.annotation.events) for g in items)


def grow(store: Any, stream: Iterator[Generated], events: int, *, batch: int = 200, version: str = "synthetic",
         run_id: int | None = None, progress: Any = None) -> dict[str, int]:
    """Add articles from `stream` until at least `events` more coded events are stored; batches of `batch`
    articles. Returns what was added."""
    added = {"articles": 0, "events": 0, "mentions": 0, "sentences": 0}
    buf: list[Generated] = []
    pending = 0
    for g in stream:
        buf.append(g)
        pending += len(g.annotation.events)
        if len(buf) >= batch or added["events"] + pending >= events:
            added["events"] += write(store, buf, run_id, version)
            added["articles"] += len(buf)
            added["mentions"] += sum(len(x.annotation.mentions) for x in buf)
            added["sentences"] += sum(len(x.annotation.sentences) for x in buf)
            buf, pending = [], 0
            if progress:
                progress(added)
            if added["events"] >= events:
                break
    return added


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True, help="the store to grow (created if absent)")
    ap.add_argument("--events", type=int, default=10_000, help="coded events to add")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--first-story", type=int, default=0, help="continue a stream at this story")
    ap.add_argument("--fuse", action="store_true", help="fuse the new mentions afterwards")
    ap.add_argument("--profile", action="store_true", help="print the distributions drawn from and stop")
    args = ap.parse_args()
    prof = load_profile()
    print(json.dumps(prof.summary(), indent=1))
    if args.profile:
        return
    from sitrep.store import Store

    gen = Generator(prof, seed=args.seed)
    t0 = time.perf_counter()
    with Store(args.db) as st:
        run = st.start_run("bench/synth.py")
        added = grow(st, gen.articles(args.first_story), args.events, version=gen.version, run_id=run,
                     progress=lambda a: print(f"\r{a['events']} events, {a['articles']} articles", end="",
                                              flush=True))
        st.finish_run(run, added)
        print(f"\n{added} in {time.perf_counter() - t0:.1f}s")
        if args.fuse:
            from sitrep.fuse.update import Fuser
            print(Fuser(st).update().to_dict())


if __name__ == "__main__":
    main()

"""Timelines: the dates that matter most for a selection of articles (a story, an actor, a query), each with a
short extractive summary that cites its articles.

Dates are ranked by how many sentences refer to them (day expressions the language layer resolved), how many
articles were published on them, and how many articles report a fused event on them. Each date's summary is
picked from the sentences that refer to it and the leads of the articles published on it: the sentences closest
to the centre of that date's candidates (static embeddings), without repeating one another.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class TimelineRules:
    ref_weight: float = 1.0  # per sentence that refers to the date
    ref_article_weight: float = 1.0  # per article that refers to it
    pub_weight: float = 1.0  # per article published on it
    event_weight: float = 0.25  # per article reporting a fused event on it
    min_words: int = 6
    max_words: int = 60
    redundancy: float = 0.85  # a sentence this similar to one already chosen is skipped
    ref_bonus: float = 0.1  # sentences that name the date are preferred over leads


def rank_dates(signals: list[tuple[date, int, int, int]], event_days: dict[date, int], rules: TimelineRules,
               since: date | None = None, until: date | None = None) -> list[tuple[date, float]]:
    """Days by score, best first (ties: earlier first)."""
    scores: dict[date, float] = {}
    for day, sents, arts, pubs in signals:
        scores[day] = rules.ref_weight * sents + rules.ref_article_weight * arts + rules.pub_weight * pubs
    for day, n in event_days.items():
        scores[day] = scores.get(day, 0.0) + rules.event_weight * n
    return sorted(((d, s) for d, s in scores.items() if (since is None or d >= since) and (until is None or d <= until)),
                  key=lambda x: (-x[1], x[0]))


def candidate_pool(cands: Any, lo: int, hi: int, rules: TimelineRules) -> tuple[list[int], list[str]]:
    """The candidates (`TimelineCandidates` entries lo..hi, one day's) that may summarise their day: 6 to 60 words
    (the stored count, else counted), no repeated text (whitespace and case aside). Returns their positions and
    their texts with whitespace collapsed."""
    words = cands.words[lo:hi]
    keep = np.flatnonzero((words < 0) | ((words >= rules.min_words) & (words <= rules.max_words))) + lo
    pos: list[int] = []
    clean: list[str] = []
    seen: set[str] = set()
    for k, w in zip(keep.tolist(), cands.words[keep].tolist()):
        text = " ".join(cands.text[k].split())
        n = w if w >= 0 else len(_WORDS.findall(text))
        key = text.lower()
        if n < rules.min_words or n > rules.max_words or key in seen:
            continue
        seen.add(key)
        pos.append(k)
        clean.append(text)
    return pos, clean


def choose(vecs: Any, refers: Any, articles: Any, sentences: Any, k: int, rules: TimelineRules,
           query_vec: Any = None) -> list[int]:
    """Up to `k` of a day's pool (its vectors, whether each names the day, its articles and sentence indexes), as
    positions in it: nearest the pool's centre (pulled toward the query), sentences naming the day first, ties by
    article and sentence, no near-repeats."""
    if not len(vecs):
        return []
    centre = vecs.mean(axis=0)
    if query_vec is not None:
        centre = centre + 0.5 * query_vec
    norm = float(np.linalg.norm(centre)) or 1.0
    score = vecs @ (centre / norm) + np.where(refers, rules.ref_bonus, 0.0)
    _, article_rank = np.unique(articles, return_inverse=True)
    order = np.lexsort((sentences, article_rank, -score))
    chosen: list[int] = []
    for i in order.tolist():
        if len(chosen) == k:
            break
        if any(float(vecs[i] @ vecs[j]) > rules.redundancy for j in chosen):
            continue
        chosen.append(i)
    return chosen


def as_stored(vecs: Any) -> Any:
    """Vectors as the store keeps them (float16), so stored and freshly computed vectors rank alike."""
    return np.asarray(vecs, dtype=np.float16).astype(np.float32)


def build_timeline(store: Any, embed: Any, *, story: str | None = None, actor: str | None = None,
                   query: str | None = None, since: date | None = None, until: date | None = None,
                   max_dates: int = 10, per_date: int = 2, rules: TimelineRules = TimelineRules(),
                   index: Any = None) -> list[dict[str, Any]]:
    """The timeline of a selection: `[{"date", "summary", "events", "sources", "citations", "score"}]` by date.

    The best days are read in chunks (one query for a chunk's candidate sentences, one embedding call for all of
    them, one query for their events) until `max_dates` of them have a summary. With an `index` (a
    `TimelineIndex` of this store), the selection, its day signals and its events come from it, and the store
    is asked only for the sentences of the chunk's articles on the chunk's days: the same timeline, faster."""
    if index is not None:
        isel = index.select(store, story=story, actor=actor, query=query, since=since, until=until)
        if not isel.size:
            return []
        ievents = index.events(isel)
        days: Any = index.ranked_days(isel, ievents, rules, since, until)
        on_days = lambda days: index.fused_on_days(ievents, days)  # noqa: E731
        reading = lambda days: index.article_ids(isel, days)  # noqa: E731
    else:
        sel = store.timeline_selection(story=story, actor=actor, query=query, since=since, until=until)
        if not sel.num_rows:
            return []
        events = store.selection_events(sel)
        days = rank_dates(store.date_signals(sel), dict(store.fused_days(sel, events)), rules, since, until)
        on_days = lambda days: store.fused_on_days(sel, days, events)  # noqa: E731
        reading = lambda days: sel  # noqa: E731
    qv = embed([query])[0] if query else None
    out = []
    pos = 0
    chunk = max_dates  # a day without candidate sentences is rare: then the next few are read
    while pos < len(days) and len(out) < max_dates:
        part = days[pos:pos + chunk]
        pos += len(part)
        part_days = [d for d, _ in part]
        arts = reading(part_days)
        cands = store.timeline_material(arts, part_days)
        pools = {d: candidate_pool(cands, *cands.days.get(d, (0, 0)), rules) for d in part_days}
        members = np.asarray([k for d in part_days for k in pools[d][0]], dtype=np.int64)
        clean = [t for d in part_days for t in pools[d][1]]
        rows = cands.row[members]
        missing = np.flatnonzero(rows < 0)
        fresh = as_stored(embed([clean[i] for i in missing.tolist()])) if len(missing) else None
        vecs = np.zeros((len(members), fresh.shape[1] if fresh is not None else cands.matrix.shape[1]), dtype=np.float32)
        have = np.flatnonzero(rows >= 0)
        if len(have):
            vecs[have] = cands.matrix[rows[have]]
        if fresh is not None:
            vecs[missing] = fresh
        at = 0
        picked_days = []
        for day, score in part:
            n = len(pools[day][0])
            span = members[at:at + n]
            picked = [(cands.article[span[i]], int(cands.sentence[span[i]]), clean[at + i])
                      for i in choose(vecs[at:at + n], cands.refers[span], cands.article[span], cands.sentence[span],
                                      per_date, rules, qv)]
            at += n
            if not picked:
                continue
            picked_days.append((day, score, picked))
            if len(out) + len(picked_days) == max_dates:
                break
        on_day = on_days([d for d, _, _ in picked_days]) if picked_days else {}
        for day, score, picked in picked_days:
            out.append({"date": day.isoformat(), "summary": [p[2] for p in picked], "events": on_day[day],
                        "sources": list(dict.fromkeys(p[0] for p in picked)),
                        "citations": [{"article_id": p[0], "sentence_index": p[1]} for p in picked],
                        "score": round(score, 3)})
        chunk = 2 * (max_dates - len(out))
    return sorted(out, key=lambda e: e["date"])

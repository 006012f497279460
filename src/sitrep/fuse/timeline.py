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


def candidate_pool(cands: list[tuple[str, int, str, bool, Any]], rules: TimelineRules,
                   words: dict[tuple[str, int], tuple[int, int]] | None = None) -> list[tuple[str, int, str, bool]]:
    """The sentences of one date that may summarise it: 6 to 60 words, no repeated text (`words` gives the word
    counts the store keeps, by (article, sentence), as `Store.timeline_material` returns them)."""
    pool = []
    seen: set[str] = set()
    for aid, idx, text, refers, _ in cands:
        clean = " ".join(text.split())
        known = words.get((aid, idx)) if words else None
        n = known[1] if known is not None else len(_WORDS.findall(clean))
        key = clean.lower()
        if n < rules.min_words or n > rules.max_words or key in seen:
            continue
        seen.add(key)
        pool.append((aid, idx, clean, refers))
    return pool


def choose(pool: list[tuple[str, int, str, bool]], vecs: Any, k: int, rules: TimelineRules,
           query_vec: Any = None) -> list[tuple[str, int, str]]:
    """Up to `k` sentences of a pool (with their vectors): nearest the pool's centre (pulled toward the query),
    sentences naming the date first, no near-repeats."""
    if not pool:
        return []
    centre = vecs.mean(axis=0)
    if query_vec is not None:
        centre = centre + 0.5 * query_vec
    norm = float(np.linalg.norm(centre)) or 1.0
    score = vecs @ (centre / norm) + np.array([rules.ref_bonus if p[3] else 0.0 for p in pool])
    order = sorted(range(len(pool)), key=lambda i: (-score[i], pool[i][0], pool[i][1]))
    chosen: list[int] = []
    for i in order:
        if len(chosen) == k:
            break
        if any(float(vecs[i] @ vecs[j]) > rules.redundancy for j in chosen):
            continue
        chosen.append(i)
    return [(pool[i][0], pool[i][1], pool[i][2]) for i in chosen]


def as_stored(vecs: Any) -> Any:
    """Vectors as the store keeps them (float16), so stored and freshly computed vectors rank alike."""
    return np.asarray(vecs, dtype=np.float16).astype(np.float32)


def summarise(cands: list[tuple[str, int, str, bool, Any]], k: int, embed: Any, rules: TimelineRules,
              query: str | None = None) -> list[tuple[str, int, str]]:
    """Up to `k` sentences (article id, sentence index, text) for one date."""
    pool = candidate_pool(cands, rules)
    if not pool:
        return []
    return choose(pool, as_stored(embed([p[2] for p in pool])), k, rules, embed([query])[0] if query else None)


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
    chunk = max_dates + 2
    while pos < len(days) and len(out) < max_dates:
        part = days[pos:pos + chunk]
        pos += len(part)
        part_days = [d for d, _ in part]
        arts = reading(part_days)
        cands, stored, mat = store.timeline_material(arts, part_days)
        pools = {d: candidate_pool(cands[d], rules, stored) for d, _ in part}
        flat = [p for d, _ in part for p in pools[d]]
        missing = [i for i, p in enumerate(flat) if (p[0], p[1]) not in stored]
        fresh = as_stored(embed([flat[i][2] for i in missing])) if missing else None
        vecs = None
        if flat:
            vecs = np.zeros((len(flat), fresh.shape[1] if fresh is not None else mat.shape[1]), dtype=np.float32)
            have = [(i, stored[(p[0], p[1])][0]) for i, p in enumerate(flat) if (p[0], p[1]) in stored]
            if have:
                vecs[[i for i, _ in have]] = mat[[r for _, r in have]]
            if missing:
                vecs[missing] = fresh
        at = 0
        picked_days = []
        for day, score in part:
            pool = pools[day]
            picked = choose(pool, vecs[at:at + len(pool)], per_date, rules, qv) if pool else []
            at += len(pool)
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
        chunk = max(chunk, 2 * (max_dates - len(out)))
    return sorted(out, key=lambda e: e["date"])

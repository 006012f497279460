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


def summarise(cands: list[tuple[str, int, str, bool, Any]], k: int, embed: Any, rules: TimelineRules,
              query: str | None = None) -> list[tuple[str, int, str]]:
    """Up to `k` sentences (article id, sentence index, text) for one date."""
    pool = []
    seen: set[str] = set()
    for aid, idx, text, refers, _ in cands:
        clean = " ".join(text.split())
        n = len(_WORDS.findall(clean))
        key = clean.lower()
        if n < rules.min_words or n > rules.max_words or key in seen:
            continue
        seen.add(key)
        pool.append((aid, idx, clean, refers))
    if not pool:
        return []
    vecs = embed([p[2] for p in pool])
    centre = vecs.mean(axis=0)
    if query:
        qv = embed([query])[0]
        centre = centre + 0.5 * qv
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


def build_timeline(store: Any, embed: Any, *, story: str | None = None, actor: str | None = None,
                   query: str | None = None, since: date | None = None, until: date | None = None,
                   max_dates: int = 10, per_date: int = 2, rules: TimelineRules = TimelineRules()
                   ) -> list[dict[str, Any]]:
    """The timeline of a selection: `[{"date", "summary", "events", "sources", "citations", "score"}]` by date."""
    ids = store.selection_articles(story=story, actor=actor, query=query, since=since, until=until)
    if not ids:
        return []
    days = rank_dates(store.date_signals(ids), dict(store.fused_days(ids)), rules, since, until)
    out = []
    for day, score in days:
        if len(out) == max_dates:
            break
        picked = summarise(store.sentences_for_day(ids, day), per_date, embed, rules, query)
        if not picked:
            continue
        out.append({"date": day.isoformat(), "summary": [p[2] for p in picked],
                    "events": store.fused_on_day(ids, day),
                    "sources": list(dict.fromkeys(p[0] for p in picked)),
                    "citations": [{"article_id": p[0], "sentence_index": p[1]} for p in picked],
                    "score": round(score, 3)})
    return sorted(out, key=lambda e: e["date"])

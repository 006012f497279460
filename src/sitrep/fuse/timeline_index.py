"""What timelines read about a selection of articles, held in memory as arrays by a process that answers many
requests (the API server, through its `ResultCache`): which articles name an actor, the days each article refers
to, the fused events each article reports. With it, the selection, its day signals and its events cost
milliseconds whatever the selection's size, where the queries over the store read every selected article (at a
million events, a common actor is named in most of the 170,000 articles). It gives the same timelines as the store
queries (tests/test_fusion.py checks), and is rebuilt when the store changes (2 to 3 s at a million events).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa


def _ordinal(d: date) -> int:
    return d.toordinal()


@dataclass
class Selection:
    """A timeline's articles, as a mask over the index's articles."""

    mask: np.ndarray

    @property
    def size(self) -> int:
        return int(self.mask.sum())


class TimelineIndex:
    """Read-only once built; shared between threads."""

    def __init__(self, tables: dict[str, Any]) -> None:
        arts = tables["articles"]
        self.ids = np.asarray(arts["id"], dtype=object)
        self.number = {aid: i for i, aid in enumerate(self.ids.tolist())}
        self.published = np.asarray(arts["day"], dtype=np.int32)
        self.eligible = np.asarray(arts["eligible"], dtype=bool)
        act = tables["actors"]
        self.actor_articles = np.asarray(act["article"], dtype=np.int32)  # sorted by key, then article
        keys = np.asarray(act["key"], dtype=np.int64)
        self.keys, starts = np.unique(keys, return_index=True)
        self.key_start = starts
        self.key_end = np.append(starts[1:], len(keys))
        cand = tables["candidates"]
        self.cand_article = np.asarray(cand["article"], dtype=np.int32)
        self.cand_day = np.asarray(cand["day"], dtype=np.int32)
        self.cand_refers = np.asarray(cand["refers"], dtype=np.int64)
        self.cand_by_day = np.argsort(self.cand_day, kind="stable")  # the candidates of a day, as one slice
        self.cand_day_sorted = self.cand_day[self.cand_by_day]
        ev = tables["events"]
        self.event_ids = np.asarray(ev["id"], dtype=object)
        self.event_day = np.asarray(ev["day"], dtype=np.int32)
        self.event_articles = np.asarray(ev["num_articles"], dtype=np.int64)
        self.event_sources = np.asarray(ev["num_sources"], dtype=np.int64)
        self.event_precise = np.asarray(ev["precise"], dtype=bool)
        self.event_rank = np.empty(len(self.event_ids), dtype=np.int64)  # each id's place in id order
        self.event_rank[np.argsort(self.event_ids, kind="stable")] = np.arange(len(self.event_ids))
        links = tables["links"]
        self.link_article = np.asarray(links["article"], dtype=np.int32)
        self.link_event = np.asarray(links["event"], dtype=np.int32)
        # days are counted as offsets from the first day any table holds
        known = [a[a >= 0] for a in (self.published, self.cand_day, self.event_day)]
        lo = [int(a.min()) for a in known if len(a)]
        hi = [int(a.max()) for a in known if len(a)]
        self.first_day = min(lo) if lo else 0
        self.span = (max(hi) - self.first_day + 1) if hi else 0
        # the candidates that refer to their day, with each day's totals over all of them: a selection's counts are
        # summed over whichever is smaller, its articles' rows or the others' (subtracted from the totals)
        refs = (self.cand_refers > 0) & (self.cand_day >= 0)
        self.ref_article = self.cand_article[refs]
        self.ref_day = (self.cand_day[refs] - self.first_day).astype(np.intp)
        self.ref_count = self.cand_refers[refs].astype(np.float64)
        self.ref_sents = np.bincount(self.ref_day, weights=self.ref_count, minlength=self.span)
        self.ref_arts = np.bincount(self.ref_day, minlength=self.span).astype(np.float64)

    @classmethod
    def load(cls, store: Any) -> "TimelineIndex":
        return cls(store.timeline_index_tables())

    @property
    def nbytes(self) -> int:
        return sum(v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))

    # -- the selection ------------------------------------------------------------------------------------
    def select(self, store: Any, *, story: str | None = None, actor: str | None = None, query: str | None = None,
               since: date | None = None, until: date | None = None, slack_days: int = 2) -> Selection:
        """As `Store.timeline_selection`: the articles of a story, naming an actor, matching a full-text query (all
        when none is given), published within since/until (a little slack after `until`), annotated and not
        duplicates. The actor is matched on the store's small table of names; the rest is array arithmetic."""
        mask = self.eligible.copy()
        if story:
            mask &= self._mask_of(store.selection_articles(story=story))
        if actor:
            mask &= self._actor_mask(store.selection_keys(actor))
        if query:
            mask &= self._mask_of(store.selection_articles(query=query))
        pub = self.published
        if since:
            mask &= (pub < 0) | (pub >= _ordinal(since))
        if until:
            mask &= (pub < 0) | (pub <= _ordinal(until + timedelta(days=slack_days)))
        return Selection(mask)

    def _mask_of(self, ids: list[str]) -> np.ndarray:
        m = np.zeros(len(self.ids), dtype=bool)
        nums = [self.number[i] for i in ids if i in self.number]
        m[nums] = True
        return m

    def _actor_mask(self, keys: list[int]) -> np.ndarray:
        m = np.zeros(len(self.ids), dtype=bool)
        if not keys or not len(self.keys):
            return m
        want = np.asarray(sorted(set(keys)), dtype=np.int64)
        pos = np.searchsorted(self.keys, want)
        inside = pos < len(self.keys)
        pos = pos[inside][self.keys[pos[inside]] == want[inside]]  # the keys some article names
        if len(pos):
            m[np.concatenate([self.actor_articles[self.key_start[p]:self.key_end[p]] for p in pos])] = True
        return m

    def article_ids(self, sel: Selection, days: list[date]) -> Any:
        """The selection's articles with timeline candidates on one of these days (all that
        `Store.timeline_material` reads for them), as a `timeline_selection` table."""
        ords = np.asarray([_ordinal(d) for d in days], dtype=np.int32)
        lo, hi = np.searchsorted(self.cand_day_sorted, ords, "left"), np.searchsorted(self.cand_day_sorted, ords, "right")
        arts = self.cand_article[np.concatenate([self.cand_by_day[a:b] for a, b in zip(lo, hi)] or [[]]).astype(np.intp)]
        nums = np.unique(arts[sel.mask[arts]])
        return pa.table({"article_id": pa.array(self.ids[nums].tolist(), pa.string())})

    def ranked_days(self, sel: Selection, events: np.ndarray, rules: Any, since: date | None = None,
                    until: date | None = None) -> "RankedDays":
        """As `fuse.timeline.rank_dates` over `Store.date_signals` and `Store.fused_days`, in arrays: the same scores (the same
        float operations in the same order) and the same order (score, then day), with dates made only for the
        days a timeline reads."""
        on = sel.mask[self.ref_article]
        n_on = int(np.count_nonzero(on))
        rows = np.flatnonzero(on if 2 * n_on <= len(on) else ~on)
        sents = np.bincount(self.ref_day[rows], weights=self.ref_count[rows], minlength=self.span)
        arts = np.bincount(self.ref_day[rows], minlength=self.span).astype(np.float64)
        if 2 * n_on > len(on):  # counts are whole numbers, so the difference is exact
            sents, arts = self.ref_sents - sents, self.ref_arts - arts
        pub = self.published[sel.mask]
        pubs = np.bincount(pub[pub >= 0] - self.first_day, minlength=self.span).astype(np.float64)
        ev = events[self.event_precise[events]]
        ev = ev[self.event_day[ev] >= 0]
        ev_day = self.event_day[ev] - self.first_day
        on = np.bincount(ev_day, weights=self.event_articles[ev], minlength=self.span)
        has_event = np.bincount(ev_day, minlength=self.span) > 0
        score = rules.ref_weight * sents + rules.ref_article_weight * arts + rules.pub_weight * pubs
        score = np.where(has_event, score + rules.event_weight * on, score)
        keep = (arts > 0) | (pubs > 0) | has_event
        if since is not None:
            keep &= np.arange(self.span) >= _ordinal(since) - self.first_day
        if until is not None:
            keep &= np.arange(self.span) <= _ordinal(until) - self.first_day
        days = np.flatnonzero(keep)
        order = np.lexsort((days, -score[days]))
        return RankedDays(days[order] + self.first_day, score[days][order])

    def events(self, sel: Selection) -> np.ndarray:
        """The listed fused events the selection's articles report (index numbers, ascending)."""
        hit = np.zeros(len(self.event_ids), dtype=bool)
        hit[self.link_event[sel.mask[self.link_article]]] = True
        return np.flatnonzero(hit)

    def fused_on_days(self, events: np.ndarray, days: list[date]) -> dict[date, list[str]]:
        """As `Store.fused_on_days`: each day's events, most sources first."""
        out: dict[date, list[str]] = {d: [] for d in days}
        on = events[np.isin(self.event_day[events], [_ordinal(d) for d in days], kind="table")]
        on = on[np.lexsort((self.event_rank[on], -self.event_sources[on], self.event_day[on]))]
        for e in on.tolist():
            out[date.fromordinal(int(self.event_day[e]))].append(self.event_ids[e])
        return out


class RankedDays:
    """Days by score, best first, as (date, score) pairs made on demand (a selection can span twenty thousand days,
    of which a timeline reads a dozen)."""

    def __init__(self, ordinals: np.ndarray, scores: np.ndarray) -> None:
        self.ordinals, self.scores = ordinals, scores

    def __len__(self) -> int:
        return len(self.ordinals)

    def __getitem__(self, part: slice) -> list[tuple[date, float]]:
        return [(date.fromordinal(d), s) for d, s in zip(self.ordinals[part].tolist(), self.scores[part].tolist())]

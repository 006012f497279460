"""Stories: articles about one developing situation, grouped by content (static word embeddings of title and lead),
shared people and places, and closeness in time. A story is a connected group of linked articles, so adding
articles in any order gives the same stories; each story gets a title, key actors, places and a date span."""
from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class StoryRules:
    """When two articles belong to one story (see docs/fusion.md for how these were chosen)."""

    similar: float = 0.62  # cosine of title-and-lead vectors that links two articles published close together
    similar_with_key: float = 0.5  # enough when they also share a named person or a specific place
    undated_with_key: float = 0.55  # an undated article needs a shared person or place and this much,
    undated_similar: float = 0.75  # or content this close
    window_days: int = 7
    lead_chars: int = 1200


_WORDS = re.compile(r"\w+")  # as sitrep.fuse.timeline counts words


class Embedder:
    """wordllama's static embeddings (weights in the package, no download), 256 dimensions, unit length."""

    def __init__(self) -> None:
        import wordllama
        self.model = wordllama.WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.embed(texts, norm=True), dtype=np.float32)


def preload_embedder() -> Future[Embedder]:
    """Start loading the `Embedder` in a thread (wordllama's import and weights, about half a second) for a caller
    that will need it after other work, such as an ingest while its language layer runs in worker processes."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="sitrep-embedder")
    try:
        return pool.submit(Embedder)
    finally:
        pool.shutdown(wait=False)


def story_id(article_ids: list[str]) -> str:
    return hashlib.sha1(("story|" + min(article_ids)).encode()).hexdigest()[:16]


def strong(keys: list[str] | set[str]) -> set[str]:
    """The identities that tie articles together: named people and named sites (bases, airports); cities and
    regions are shared by too many unrelated stories."""
    return {k for k in keys if k.startswith(("person-", "base-", "airport-"))}


def linked(a_vec: np.ndarray, a_day: date | None, a_keys: set[str], b_vec: np.ndarray, b_day: date | None,
           b_keys: set[str], rules: StoryRules) -> str | None:
    """Why two articles are in one story, or None."""
    cos = float(a_vec @ b_vec)
    shared = strong(a_keys) & strong(b_keys)
    if a_day is not None and b_day is not None:
        if abs((a_day - b_day).days) > rules.window_days:
            return None
        if cos >= rules.similar:
            return f"similar content ({cos:.2f}) within {rules.window_days} days"
        if cos >= rules.similar_with_key and shared:
            return f"related content ({cos:.2f}) and shared {', '.join(sorted(shared)[:3])}"
        return None
    if cos >= rules.undated_with_key and shared:
        return f"undated; related content ({cos:.2f}) and shared {', '.join(sorted(shared)[:3])}"
    if cos >= rules.undated_similar:
        return f"undated; very similar content ({cos:.2f})"
    return None


class StoryBuilder:
    """Adds new articles to the store's stories, merging stories an article links; rebuilds stories that lost
    articles. Each batch is one transaction."""

    def __init__(self, store: Any, rules: StoryRules | None = None,
                 embedder: Embedder | Future[Embedder] | None = None) -> None:
        self.store = store
        self.rules = rules or StoryRules()
        self._embedder = embedder

    @property
    def embedder(self) -> Embedder:
        """The embedder given (waiting for it when it is still loading), else one loaded now."""
        if self._embedder is None:
            self._embedder = Embedder()
        elif isinstance(self._embedder, Future):
            self._embedder = self._embedder.result()
        return self._embedder

    def update(self, batch: int = 256) -> dict[str, Any]:
        t0 = time.perf_counter()
        st = self.store
        added, changed = 0, set()
        broken = st.broken_stories()
        if broken:
            with st.transaction():
                members = st.drop_stories(broken)  # re-linked from their vectors below
            for chunk in _chunks(members, batch):
                with st.transaction():
                    changed |= self._link(chunk)
        while pending := st.articles_without_vectors(limit=batch):
            with st.transaction():
                texts = [(t or "") + "\n" + (x or "")[: self.rules.lead_chars] for _, t, x, _ in pending]
                vecs = self.embedder.embed(texts)
                keys = st.article_keys([p[0] for p in pending])
                st.put_article_vectors([p[0] for p in pending], [p[3] for p in pending], vecs,
                                       [sorted(keys[p[0]]) for p in pending])
                changed |= self._link([p[0] for p in pending])
            added += len(pending)
        if changed:
            with st.transaction():
                for chunk in _chunks(sorted(changed), batch):
                    material = st.story_material(chunk)
                    st.put_stories([rec for sid in chunk if (rec := describe(sid, material[sid])) is not None])
        sentences = self.update_sentence_vectors()
        clustered = st.cluster_timeline()["clustered"]
        return {"articles": added, "stories_changed": len(changed), "rebuilt": len(broken),
                "sentence_vectors": sentences, "timeline_clustered": clustered,
                "seconds": round(time.perf_counter() - t0, 3)}

    def update_sentence_vectors(self, batch: int = 512) -> int:
        """Embed the timeline candidates (each article's first sentences and those naming a day, as
        `timeline_candidates` holds them) that have no vectors yet, one transaction a batch; returns the number of
        sentences. Timelines read these instead of embedding their candidates on every request."""
        st = self.store
        n = 0
        while pending := st.candidates_without_vectors(limit=batch):
            texts = [" ".join(t.split()) for *_, ts in pending for t in ts]
            vecs = self.embedder.embed(texts) if texts else np.zeros((0, 0), dtype=np.float32)
            rows, at = [], 0
            for aid, day, _, ts in pending:
                clean = texts[at:at + len(ts)]
                rows.append((aid, day, [len(_WORDS.findall(t)) for t in clean], vecs[at:at + len(ts)]))
                at += len(ts)
            with st.transaction():
                st.put_timeline_vectors(rows)
            n += len(texts)
        return n

    def _link(self, ids: list[str]) -> set[str]:
        """Put these articles (vectors stored) into stories, in order, each as if alone: it joins, and merges, the
        stories of the articles it links among those that have a story by then. The batch is read in two queries
        and written in three statements; returns the ids of the stories written."""
        st = self.store
        rules = self.rules
        if not ids:
            return set()
        days = st.vector_days(ids)
        cands, mat = st.story_candidates([days[a] for a in ids], rules.window_days)
        row_of = {c[0]: i for i, c in enumerate(cands)}
        ordinal = np.array([c[1].toordinal() if c[1] is not None else -1 for c in cands], dtype=np.int64)
        story: dict[str, str] = {c[0]: c[3] for c in cands if c[3] is not None}
        first = st.story_first_members(sorted(set(story.values())))  # story -> its first article, as story_id hashes
        merged_into: dict[str, str] = {}
        # the lowest threshold any link needs; pairs below it are not looked at (linked() decides the rest exactly)
        floor = min(rules.similar, rules.similar_with_key, rules.undated_with_key, rules.undated_similar) - 1e-4

        def current(sid: str) -> str:
            while sid in merged_into:
                sid = merged_into[sid]
            return sid

        placed: dict[str, tuple[str, str]] = {}
        dropped: set[str] = set()
        changed: set[str] = set()
        for aid in ids:
            r = row_of[aid]
            v, day, keys = mat[r], cands[r][1], set(cands[r][2])
            near = np.ones(len(cands), dtype=bool) if day is None else (
                (ordinal < 0) | (np.abs(ordinal - day.toordinal()) <= rules.window_days))
            near[r] = False
            rows = np.flatnonzero(near)
            rows = rows[mat[rows] @ v >= floor]
            groups: dict[str, list[str]] = {}
            reasons: list[str] = []
            for row in rows.tolist():  # in id order, as the candidates are
                cid, cday, ckeys, _ = cands[row]
                csid = story.get(cid)
                if csid is None:
                    continue
                why = linked(v, day, keys, mat[row], cday, set(ckeys), rules)
                if why:
                    groups.setdefault(current(csid), []).append(cid)
                    reasons.append(f"{why} (with {cid})")
            old = sorted(groups)
            head = min([aid, *(first[s] for s in old)])
            new = story_id([head])
            first[new] = head
            for s in old:
                if s != new:
                    merged_into[s] = new
            story[aid] = new
            placed[aid] = (new, reasons[0] if reasons else "first article of the story")
            dropped.update(old)
            changed -= set(old)
            changed.add(new)
        st.set_stories([(aid, current(sid), why) for aid, (sid, why) in placed.items()],
                       {s: current(s) for s in merged_into}, sorted(dropped))
        return changed


def describe(sid: str, m: dict[str, Any]) -> dict[str, Any] | None:
    """Title, date span, key actors and places, and top events of one story, from `Store.story_material`."""
    arts, vecs = m["articles"], m["vectors"]
    if not arts:
        return None
    central = arts[int(np.argmax(vecs @ vecs.mean(axis=0)))] if len(vecs) == len(arts) else arts[0]
    days = [a["published"] for a in arts if a["published"]]
    actors: Counter[tuple[str, str]] = Counter()
    places: Counter[tuple[str, str]] = Counter()
    for row in m["entities"]:
        (actors if row["kind"] == "actor" else places)[(row["code"] or row["name"], row["name"])] += row["n"]
    events = m["events"]
    return {
        "id": sid, "title": central["title"] or central["text"][:80], "num_articles": len(arts),
        "first_day": min(days).isoformat() if days else None, "last_day": max(days).isoformat() if days else None,
        "actors": [{"code": k[0], "name": k[1], "mentions": n} for k, n in actors.most_common(8)],
        "places": [{"name": k[1], "mentions": n} for k, n in places.most_common(8)],
        "num_events": len(events),
        "top_events": [e["id"] for e in sorted(events, key=lambda e: (-e["num_sources"], -e["num_mentions"],
                                                                      e["id"]))[:10]],
        "articles": [a["id"] for a in sorted(arts, key=lambda a: (a["published"] or date.max, a["id"]))],
        "outlets": sorted({a["outlet"] for a in arts if a["outlet"]}),
    }


def _chunks(xs: list[str], n: int) -> list[list[str]]:
    return [xs[i:i + n] for i in range(0, len(xs), n)]

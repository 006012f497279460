"""Keeping fused events current: fuse the mentions of newly coded articles into the events already in the store,
and rebuild the blocks a recode or a deletion changed. One implementation for every path (ingest, recode, delete,
`sitrep refuse`).

New articles are fused in batches (oldest publication first, up to `batch_mentions` mentions or `batch_articles`
articles a batch): one candidate query for the whole batch, one load of the blocks it touches, one replacement,
one transaction, so a killed run resumes with the batches it had not finished. A batch gives exactly the events
of fusing its articles one by one: the blocks are the connected components of `may_merge` over all the mentions,
and each block is clustered from its set of mentions alone (`sitrep.fuse.fusion`)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .fusion import Cluster, Placer, Report, blocks, cluster_block, fuse_record, may_merge, partners, report
from .rules import FusionRules


@dataclass
class FusionReport:
    articles: int = 0
    mentions: int = 0
    blocks_rebuilt: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"articles": self.articles, "mentions": self.mentions, "blocks_rebuilt": self.blocks_rebuilt,
                "seconds": round(self.seconds, 3)}


class Fuser:
    """Fuses a store's coded mentions into events (see `sitrep.fuse.fusion` for the rules)."""

    def __init__(self, store: Any, rules: FusionRules | None = None, incremental: bool = True) -> None:
        self.store = store
        self.rules = rules or FusionRules.load()
        self.incremental = incremental  # False: always re-cluster the touched blocks whole (the reference path)

    def update(self, everything: bool = False, *, batch_mentions: int = 4000, batch_articles: int = 1000
               ) -> FusionReport:
        """Fuse whatever is not fused yet (everything again with `everything`, after the rules changed), in
        batches of articles (`batch_articles=1` fuses one article a transaction, as before batching)."""
        t0 = time.perf_counter()
        out = FusionReport()
        st = self.store
        stale = st.stale_fusion_blocks() if not everything else None
        with st.transaction():
            if everything:
                st.drop_all_fusion()
            elif stale:
                st.drop_fusion_blocks(stale)  # their surviving mentions are unfused now and fused again below
        out.blocks_rebuilt = len(stale or [])
        batch: list[str] = []
        size = 0
        for aid, n in st.unfused_article_counts():
            if batch and (size + n > batch_mentions or len(batch) >= batch_articles):
                with st.transaction():
                    out.mentions += self._fuse_articles(batch)
                out.articles += len(batch)
                batch, size = [], 0
            batch.append(aid)
            size += n
        if batch:
            with st.transaction():
                out.mentions += self._fuse_articles(batch)
            out.articles += len(batch)
        out.seconds = time.perf_counter() - t0
        return out

    def _report(self, row: tuple[Any, ...]) -> Report:
        rec, article_id, outlet, published = row[:4]
        return report(rec, article_id, outlet, published, self.rules)

    def _fuse_articles(self, article_ids: list[str]) -> int:
        st = self.store
        rows = st.mentions_for_fusion(article_ids)
        fingerprints = {r[0]["id"]: r[4] for r in rows}
        new = [self._report(r) for r in rows]
        keys = [{**r.keys(), "article_id": r.article_id} for r in new]
        if self.incremental and self._append(new, keys, fingerprints):
            return len(new)
        touched = sorted(st.fusion_candidate_blocks(keys))
        old_rows = st.block_members(touched) if touched else []
        known = {r[0]["id"]: r[5] for r in old_rows}
        fingerprints.update({r[0]["id"]: r[4] for r in old_rows})
        reports = [self._report(r) for r in old_rows] + [r for r in new if r.id not in known]
        events, links = [], []
        for comp in blocks(reports, known):
            block = min(r.id for r in comp)
            for cl in cluster_block(comp, self.rules):
                rec = fuse_record(cl)
                events.append((block, rec))
                for m in cl.members:
                    links.append({"mention_id": m.id, "event_id": rec["id"], "block": block,
                                  "article_id": m.article_id, "fingerprint": fingerprints[m.id],
                                  "reason": cl.reasons[m.id], **m.keys()})
        st.drop_fusion_blocks(touched)
        st.put_fused(events, links)
        return len(new)

    def _append(self, new: list[Report], keys: list[dict[str, Any]], fingerprints: dict[str, str]) -> bool:
        """Fuse new mentions that all come after every member of the blocks they may join, in fusion's order (the
        usual case: news arrives in publication order). Then each old block's clustering pass is a prefix of the
        pass over the block with the new mentions, so the new mentions are placed into the clusters the store
        holds, loading only the clusters that hold a mention they may merge with, and only the events that change
        are written again. Returns False (nothing done) when the condition does not hold; `_fuse_articles` then
        re-clusters the touched blocks whole. Either way the events are the same."""
        st = self.store
        cands = st.fusion_candidate_mentions(keys)
        if any(m in fingerprints for m, _, _ in cands):
            return False  # some of these mentions are fused already (an article partly rebuilt)
        blocks_hit = sorted({b for _, _, b in cands})
        first = min(r.order for r in new) if new else None
        last = st.blocks_last_report(blocks_hit)
        if first is not None and any(k >= (first[0], first[1], first[2], first[3]) for k in last.values()):
            return False
        old_rows = st.event_members(sorted({e for _, e, _ in cands}))
        old: dict[str, Report] = {}
        event_of: dict[str, str] = {}
        block_of: dict[str, str] = {}
        reasons: dict[str, str] = {}
        for rec, aid, outlet, pub, fp, block, event, reason in old_rows:
            r = report(rec, aid, outlet, pub, self.rules)
            old[r.id] = r
            event_of[r.id], block_of[r.id], reasons[r.id] = event, block, reason
            fingerprints[r.id] = fp
        placer = Placer(self.rules)
        by_event: dict[str, list[Report]] = {}
        for r in sorted(old.values(), key=lambda r: r.order):
            by_event.setdefault(event_of[r.id], []).append(r)
        restored: dict[int, str] = {}  # cluster index -> the fused event it was
        for event, members in sorted(by_event.items(), key=lambda kv: kv[1][0].order):
            c = Cluster(members=list(members), reasons={m.id: reasons[m.id] for m in members})
            restored[len(placer.clusters)] = event
            placer.resume(c)
        ordered = sorted(new, key=lambda r: r.order)
        near = partners(list(old.values()) + ordered)
        # components: old blocks joined by the new mentions' links, and the new mentions
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        def node(r: Report) -> str:
            return f"b|{block_of[r.id]}" if r.id in block_of else f"m|{r.id}"

        changed: set[int] = set()
        for m in ordered:
            for x in near[m.id]:
                if (x.id in old or x.id in placer.home) and may_merge(m, x):
                    a, b = find(node(m)), find(node(x))
                    if a != b:
                        parent[max(a, b)] = min(a, b)
            c = placer.place(m, near[m.id])
            changed.add(placer.home[m.id][0])
        groups: dict[str, list[str]] = {}
        for x in {node(r) for r in ordered} | {f"b|{b}" for b in block_of.values()}:
            groups.setdefault(find(x), []).append(x)
        new_block: dict[str, str] = {}  # node -> the block id of its component (the smallest mention id in it)
        for members in groups.values():
            ids = [x[2:] for x in members]  # block ids are the smallest mention id of their block
            for x in members:
                new_block[x] = min(ids)
        renames = {b: new_block[f"b|{b}"] for b in set(block_of.values()) if new_block[f"b|{b}"] != b}
        events, links, dropped = [], [], []
        for ci in sorted(changed):
            cl = placer.clusters[ci]
            if ci in restored:
                dropped.append(restored[ci])
            block = new_block[node(cl.members[0])]
            rec = fuse_record(cl)
            events.append((block, rec))
            for m in cl.members:
                links.append({"mention_id": m.id, "event_id": rec["id"], "block": block, "article_id": m.article_id,
                              "fingerprint": fingerprints[m.id], "reason": cl.reasons[m.id], **m.keys()})
        st.drop_fused_events(dropped)
        st.rename_fusion_blocks(renames)
        st.put_fused(events, links)
        return True

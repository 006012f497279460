"""Keeping fused events current: fuse the mentions of newly coded articles into the events already in the store,
and rebuild the blocks a recode or a deletion changed. One implementation for every path (ingest, recode, delete,
`sitrep refuse`); each article is fused in its own transaction, so a killed run resumes where it stopped."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .fusion import Report, blocks, cluster_block, fuse_record, report
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

    def __init__(self, store: Any, rules: FusionRules | None = None) -> None:
        self.store = store
        self.rules = rules or FusionRules.load()

    def update(self, everything: bool = False) -> FusionReport:
        """Fuse whatever is not fused yet (everything again with `everything`, after the rules changed)."""
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
        for aid in st.unfused_articles():
            with st.transaction():
                out.mentions += self._fuse_article(aid)
            out.articles += 1
        out.seconds = time.perf_counter() - t0
        return out

    def _report(self, row: tuple[Any, ...]) -> Report:
        rec, article_id, outlet, published = row[:4]
        return report(rec, article_id, outlet, published, self.rules)

    def _fuse_article(self, article_id: str) -> int:
        st = self.store
        rows = st.mentions_for_fusion([article_id])
        fingerprints = {r[0]["id"]: r[4] for r in rows}
        new = [self._report(r) for r in rows]
        touched = sorted(st.fusion_candidate_blocks([r.keys() for r in new], article_id))
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

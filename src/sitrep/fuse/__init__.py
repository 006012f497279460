"""Across sources: event fusion, stories, timelines and briefs built from the coded mentions in the store."""
from __future__ import annotations

from typing import Any


def refresh(store: Any, events: bool = True, stories: bool = True, refuse: bool = False,
            embedder: Any = None) -> dict[str, Any]:
    """Bring fused events and stories up to date with the store's articles and coded mentions (incremental;
    `refuse` fuses every mention again, after the fusion rules changed). `embedder`: the stories' `Embedder`, or a
    `Future` of one (`stories.preload_embedder`), when the caller has one; else it is loaded when needed."""
    from .stories import StoryBuilder
    from .update import Fuser
    out: dict[str, Any] = {}
    if events:
        out["fusion"] = Fuser(store).update(everything=refuse).to_dict()
    if stories:
        out["stories"] = StoryBuilder(store, embedder=embedder).update()
    return out

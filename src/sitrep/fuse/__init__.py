"""Across sources: event fusion, stories, timelines and briefs built from the coded mentions in the store."""
from __future__ import annotations

from typing import Any


def refresh(store: Any, events: bool = True, stories: bool = True, refuse: bool = False) -> dict[str, Any]:
    """Bring fused events and stories up to date with the store's articles and coded mentions (incremental;
    `refuse` fuses every mention again, after the fusion rules changed)."""
    from .stories import StoryBuilder
    from .update import Fuser
    out: dict[str, Any] = {}
    if events:
        out["fusion"] = Fuser(store).update(everything=refuse).to_dict()
    if stories:
        out["stories"] = StoryBuilder(store).update()
    return out

"""The fusion rules as data: which coded mentions may report one real-world event, read from
`data/fuse/rules.toml` (and `$SITREP_CONFIG_DIR/fuse/rules.toml` where a user overrides it)."""
from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..resources import data_path


@dataclass(frozen=True)
class FusionRules:
    type_groups: dict[str, str]  # PLOVER type -> the group it fuses within
    slack_expression: int
    slack_pub_before: int
    slack_pub_after: int
    max_spread_days: int
    modality_groups: dict[str, int]
    identity_types: frozenset[str]
    identity_triggers: frozenset[str]
    person_prefix: str
    common_words: frozenset[str]  # words too common in news to tie two undated reports together
    digest: str  # of the rules file, so a change is visible in the store

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> "FusionRules":
        if path is None:
            user = os.environ.get("SITREP_CONFIG_DIR")
            cand = Path(user) / "fuse" / "rules.toml" if user else None
            path = cand if cand is not None and cand.exists() else data_path("fuse/rules.toml")  # type: ignore[assignment]
        raw = path.read_bytes() if hasattr(path, "read_bytes") else Path(path).read_bytes()
        try:
            cfg = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not a valid rules file: {exc}") from exc
        groups: dict[str, str] = {}
        for members in cfg.get("types", {}).get("compatible", []):
            name = "+".join(sorted(m.upper() for m in members))
            for m in members:
                groups[m.upper()] = name
        dates, ident = cfg.get("dates", {}), cfg.get("identity", {})
        modality = {m: i for i, group in enumerate(cfg.get("modality", {}).get("groups", [])) for m in group}
        return cls(
            type_groups=groups,
            slack_expression=int(dates.get("slack_expression", 1)),
            slack_pub_before=int(dates.get("slack_publication_before", 3)),
            slack_pub_after=int(dates.get("slack_publication_after", 0)),
            max_spread_days=int(dates.get("max_spread_days", 4)),
            modality_groups=modality,
            identity_types=frozenset(t.upper() for t in ident.get("types", [])),
            identity_triggers=frozenset(t.lower() for t in ident.get("triggers", [])),
            person_prefix=str(ident.get("person_prefix", "person-")),
            common_words=frozenset(w.lower() for w in cfg.get("undated", {}).get("common_words", [])),
            digest=hashlib.sha1(raw).hexdigest()[:12],
        )

    def group(self, event_type: str) -> str:
        return self.type_groups.get(event_type, event_type)

"""Loaders for the knowledge files under `sitrep/data/` (language data lives there, not in code)."""
from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=None)
def load_toml(name: str) -> dict[str, Any]:
    """Parse `sitrep/data/<name>` once per process; the result is treated as read-only."""
    with resources.files("sitrep.data").joinpath(name).open("rb") as fh:
        return tomllib.load(fh)


def data_path(name: str) -> Any:
    """A path-like handle to `sitrep/data/<name>` (for files read whole, such as the map shapes)."""
    return resources.files("sitrep.data").joinpath(name)

"""Files sitrep derives from what is installed (the GeoNames index, the tokenised dictionary names), kept in a cache
folder so that a process starts faster. Nothing is downloaded; deleting the folder loses nothing."""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cache_dir() -> Path:
    """$SITREP_CACHE_DIR, else $XDG_CACHE_HOME/sitrep, else ~/.cache/sitrep."""
    if os.environ.get("SITREP_CACHE_DIR"):
        return Path(os.environ["SITREP_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sitrep"


def derived(name: str, inputs: Iterable[str | bytes], build: Callable[[], T], kind: type) -> T:
    """What `build` makes from `inputs`, from the cache when a file made from the same inputs is there (and holds
    a `kind`); else built and cached. The file name carries a digest of the inputs, so a changed input (a package
    release, a knowledge file) is a new file; a missing or unreadable one is rebuilt, and a folder that cannot be
    written only costs the build next time."""
    h = hashlib.sha256()
    for part in inputs:
        h.update(part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    path = cache_dir() / f"{name}-{h.hexdigest()[:20]}.pickle"
    try:
        with open(path, "rb") as fh:
            value = pickle.load(fh)
        if isinstance(value, kind):
            return value
    except Exception:  # noqa: BLE001 - missing, truncated or from another version: built again below
        pass
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)  # atomic: a process reading it sees no file or the whole file
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass
    return value

"""sitrep: turn news reports into structured, sourced event data (who did what to whom, when and where)."""
__version__ = "0.2.0"

from .library import Sitrep, code  # noqa: E402 - the version is read by modules the library imports
from .model import Article, Document, Reject, RemovedSpan  # noqa: E402

__all__ = ["Article", "Document", "Reject", "RemovedSpan", "Sitrep", "__version__", "code"]

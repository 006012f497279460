"""sitrep: turn news reports into structured, sourced event data (who did what to whom, when and where)."""
from .library import Sitrep
from .model import Article, Document, Reject, RemovedSpan

__version__ = "0.1.0"
__all__ = ["Article", "Document", "Reject", "RemovedSpan", "Sitrep", "__version__"]

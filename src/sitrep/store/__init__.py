"""The DuckDB store (schema, migrations, queries): the only place sitrep speaks SQL."""
from .db import DEFAULT_DB, Ambiguous, NotFound, Store, StoreError, default_db_path
from .events import EventFilter

__all__ = ["DEFAULT_DB", "Ambiguous", "EventFilter", "NotFound", "Store", "StoreError", "default_db_path"]

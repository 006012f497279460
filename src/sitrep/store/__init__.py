"""The DuckDB store (schema, migrations, queries): the only place sitrep speaks SQL."""
from .db import DEFAULT_DB, Ambiguous, NotFound, Store, StoreError, default_db_path

__all__ = ["DEFAULT_DB", "Ambiguous", "NotFound", "Store", "StoreError", "default_db_path"]

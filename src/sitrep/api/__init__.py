"""The HTTP shell: a JSON API (FastAPI) over the `Sitrep` facade, served by `sitrep serve`."""
from .app import create_app

__all__ = ["create_app"]

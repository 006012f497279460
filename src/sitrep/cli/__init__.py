"""The `sitrep` command line: a thin Typer shell over the `Sitrep` library facade, one module per group of commands.

Exit codes: 0 all went in; 1 an error stopped the run; 2 a usage error; 3 the run finished with rejects.
"""
# importing the command modules registers their commands, in this order in `sitrep --help`
from . import articles, events, across, scale  # noqa: F401,I001
from .common import app, main

__all__ = ["app", "main"]

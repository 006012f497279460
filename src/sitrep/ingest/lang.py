"""Language identification (py3langid): which language an article is in, and how sure we are."""
from __future__ import annotations

from functools import lru_cache

SUPPORTED = frozenset({"en"})  # languages the later layers (NLP, event coding) read


@lru_cache(maxsize=1)
def _identifier():  # type: ignore[no-untyped-def]
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str, sample_chars: int = 3000) -> tuple[str | None, float | None]:
    """(ISO 639-1 code, probability) for a text; (None, None) when there is too little text to tell."""
    sample = text[:sample_chars]
    if sum(ch.isalpha() for ch in sample) < 20:
        return None, None
    lang, prob = _identifier().classify(sample)
    return str(lang), round(float(prob), 4)


def skip_reason(lang: str | None) -> str | None:
    """Why the later layers skip an article in this language (None: they read it)."""
    if lang is None:
        return "language unknown: too little text to identify"
    if lang not in SUPPORTED:
        return f"language '{lang}' is not supported yet (supported: {', '.join(sorted(SUPPORTED))})"
    return None

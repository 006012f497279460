"""Finding dictionary names in tokenised text: a token-sequence index over every alias, accent- and case-folded,
with ALL-CAPS aliases matched as written and capitalised aliases required to start with a capital in the text.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .knowledge import fold, is_case_sensitive

Ref = tuple[str, str]  # ("actor" | "place" | "adj", id)


@dataclass(frozen=True)
class Match:
    start: int  # token index
    end: int  # token index, exclusive
    refs: tuple[Ref, ...]


class PhraseIndex:
    FORMAT = 1  # bump when the index's layout changes (it is cached: sitrep.derived)

    def __init__(self, phrases: Iterable[tuple[str, str, str]], tokenize: Callable[[str], Sequence[str]]) -> None:
        # key: tuple of folded tokens -> list of (ref, case_mode, exact tokens)
        self.index: dict[tuple[str, ...], list[tuple[Ref, int, tuple[str, ...]]]] = {}
        self.first: dict[str, int] = {}  # first folded token -> longest phrase length starting with it
        for surface, kind, ident in phrases:
            toks = tuple(t for t in tokenize(surface) if t.strip())
            if not toks:
                continue
            key = tuple(fold(t) for t in toks)
            mode = 2 if is_case_sensitive(surface) else (1 if surface[:1].isupper() else 0)
            entry = ((kind, ident), mode, toks)
            lst = self.index.setdefault(key, [])
            if entry not in lst:
                lst.append(entry)
            self.first[key[0]] = max(self.first.get(key[0], 0), len(key))

    def find(self, words: Sequence[str]) -> list[Match]:
        """Longest non-overlapping matches, left to right, over a token list."""
        folded = [fold(w) for w in words]
        out: list[Match] = []
        i, n = 0, len(words)
        while i < n:
            longest = self.first.get(folded[i], 0)
            hit = None
            for length in range(min(longest, n - i), 0, -1):
                cands = self.index.get(tuple(folded[i:i + length]))
                if not cands:
                    continue
                refs = tuple(ref for ref, mode, toks in cands if _case_ok(mode, toks, words[i:i + length]))
                if refs:
                    hit = Match(i, i + length, tuple(dict.fromkeys(refs)))
                    break
            if hit:
                out.append(hit)
                i = hit.end
            else:
                i += 1
        return out


def _case_ok(mode: int, alias: tuple[str, ...], text: Sequence[str]) -> bool:
    if mode == 0:
        return True
    if mode == 2:
        return tuple(text) == alias
    first = text[0]
    return first[:1].isupper()

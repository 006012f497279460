"""What the coder knows about one parsed document: which tokens are which actor mentions, who a pronoun or a
possessive stands for, and which country a place names. Shared by every trigger of the document."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..model import Mention

# Makes a party of a country the language layer read as a place: (iso3, text, start, end) -> Mention or None.
CountryParty = Callable[[str, str, int, int], "Mention | None"]
CLAUSE_DEPS = {"relcl", "acl", "ccomp", "advcl", "xcomp", "parataxis", "punct", "mark", "cc", "csubj", "pcomp"}
PRONOUNS_PERSON = {"he", "she", "him", "her", "his", "hers"}
PRONOUNS_GROUP = {"it", "its", "they", "them", "their", "we", "our", "us"}
LOCATIVE = {"in", "near", "inside", "across", "around", "within", "throughout", "outside", "over"}


class DocContext:
    """Token-to-mention lookups for one Doc."""

    def __init__(self, doc: Any, mentions: Iterable[Mention], coder: Any,
                 country: CountryParty | None = None, prior: Iterable[Mention] = ()) -> None:
        self.doc = doc
        self.coder = coder
        self.country = country
        self.by_token: dict[int, Mention] = {}
        own = sorted(mentions, key=lambda m: m.start)
        self.mentions = sorted(prior, key=lambda m: m.start) + own  # earlier text first (pronoun antecedents)
        for m in own:
            if m.kind != "actor" or not m.code:
                continue
            span = doc.char_span(m.start, m.end, alignment_mode="expand")
            if span is None:
                continue
            for t in span:
                self.by_token.setdefault(t.i, m)

    def actor_at(self, tok: Any) -> Mention | None:
        return self.by_token.get(tok.i)

    def parties(self, tok: Any) -> list[Mention]:
        """Actor mentions an argument token stands for: its own, else the nearest in its phrase (not crossing
        into clauses), with coordinated phrases ("Russia, Iran and Syria") all included."""
        own = self.by_token.get(tok.i)
        out: list[Mention] = []
        if self.coder.instrument(tok):  # "Iran's missiles", "his country's jet fighters": the possessor acts
            out = self.possessor(tok)
        if not out and own is not None:
            out = [own]
        if not out:
            level = [tok]
            for _ in range(3):
                nxt = [c for t in level for c in t.children if c.dep_ not in CLAUSE_DEPS and c.dep_ != "conj"]
                hits: list[Mention] = []
                for c in nxt:
                    if self.coder.instrument(c) and (p := self.possessor(c)):
                        hits += p
                    elif c.i in self.by_token:
                        hits.append(self.by_token[c.i])
                if hits:
                    out = hits
                    break
                level = nxt
        for c in tok.children:
            if c.dep_ == "conj":
                out += self.parties(c)
        return unique_parties(out)

    def country_of_place(self, tok: Any, prep: str) -> list[Mention]:
        """A country the language layer read as a place, taken as a party after a non-locative preposition
        ("sanctions on Russia", "withdraw from Iraq"; not "in Iraq")."""
        if prep in LOCATIVE or self.country is None:
            return []
        for m in self.in_span(tok.idx, tok.idx + len(tok.text), "place"):
            if m.place_kind == "country" and m.country:
                made = self.country(m.country, m.text, m.start, m.end)
                return [made] if made is not None else []
        return []

    def in_span(self, start: int, end: int, kind: str) -> list[Mention]:
        return [m for m in self.mentions if m.kind == kind and m.start <= start and end <= m.end]

    def possessor(self, tok: Any) -> list[Mention]:
        """Who owns a thing: "Iran's", "its", or "his country's" (the country of the person "his" refers to)."""
        for c in tok.children:
            if c.dep_ != "poss":
                continue
            if c.i in self.by_token:
                return [self.by_token[c.i]]
            if c.lower_ in self.coder.country_nouns and self.country is not None:
                for p in c.children:
                    if p.dep_ == "poss" and (who := self.pronoun(p)) is not None and who.country:
                        made = self.country(who.country, f"{p.text} {c.text}", p.idx, c.idx + len(c.text))
                        return [made] if made is not None else []
            if (who := self.pronoun(c)) is not None:
                return [who]
        return []

    def pronoun(self, tok: Any) -> Mention | None:
        """A subject pronoun resolved to the latest fitting actor before it (people for he/she, others for it/they)."""
        low = tok.lower_
        if low not in PRONOUNS_PERSON and low not in PRONOUNS_GROUP:
            return None
        want_person = low in PRONOUNS_PERSON
        for m in reversed(self.mentions):
            if m.start >= tok.idx or m.kind != "actor" or not m.code:
                continue
            if tok.idx - m.start > 1500:
                break
            if (m.actor_kind in ("person", "role")) == want_person:
                return m
        return None

    def in_sentence(self, sent: Any, kind: str) -> list[Mention]:
        lo, hi = sent.start_char, sent.end_char
        return [m for m in self.mentions if m.kind == kind and lo <= m.start < hi]


def same_party(a: Mention, b: Mention) -> bool:
    return a is b or bool(a.actor_id and a.actor_id == b.actor_id) or (a.start == b.start and a.end == b.end)


def unique_parties(ms: list[Mention]) -> list[Mention]:
    out: list[Mention] = []
    for m in ms:
        if not any(same_party(m, o) for o in out):
            out.append(m)
    return out

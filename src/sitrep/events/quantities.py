"""Counts stated in a sentence ("22 missiles", "more than a dozen", "dozens of rockets") and the dead and injured
they report, read from the dependency parse with the number and cue words of `data/events/cues.toml`."""
from __future__ import annotations

import re
from typing import Any

from ..model import Quantity
from ..resources import load_toml


class QuantityReader:
    def __init__(self, fatality_forms: frozenset[str], injury_forms: frozenset[str]) -> None:
        cues = load_toml("events/cues.toml")
        self.numbers: dict[str, int] = {k: int(v) for k, v in load_toml("time.toml")["numbers"].items()
                                        if k not in ("a", "an")}
        self.vague: dict[str, int] = {k: int(v) for k, v in cues["vague_numbers"].items()}
        self.approx: dict[str, str] = dict(cues["approx_words"])
        self.fatal = fatality_forms
        self.injury = injury_forms

    def value(self, tok: Any) -> tuple[float | None, bool]:
        """(value, vague) of a number token: digits, number words, or vague multitudes (a lower bound)."""
        t = tok.lower_.replace(",", "")
        if re.fullmatch(r"\d+(\.\d+)?", t):
            return float(t), False
        if t in self.numbers:
            return float(self.numbers[t]), False
        if t in self.vague:
            return float(self.vague[t]), True
        if t in ("million", "thousand", "hundred") and tok.i > 0:
            prev = tok.doc[tok.i - 1]
            v, _ = self.value(prev) if prev.i != tok.i else (None, False)
            if v is not None:
                return v * {"million": 1e6, "thousand": 1e3, "hundred": 1e2}[t], False
        return None, False

    def read(self, sent: Any, scope: tuple[int, int] | None = None) -> tuple[list[Quantity], int | None, int | None]:
        """Quantities in a sentence span (within the token range `scope`), and the fatality and injury counts."""
        out: list[Quantity] = []
        fatalities: int | None = None
        injured: int | None = None
        seen: set[int] = set()
        for tok in sent:
            if tok.i in seen or not (tok.like_num or tok.lower_ in self.vague):
                continue
            if scope is not None and not scope[0] <= tok.i < scope[1]:
                continue
            value, vague = self.value(tok)
            if value is None or (tok.ent_type_ in ("DATE", "TIME", "PERCENT", "MONEY", "ORDINAL")):
                continue
            if tok.i + 1 < len(tok.doc) and tok.doc[tok.i + 1].lower_ in ("million", "thousand", "hundred"):
                continue  # "2 million": the multiplier token carries the value
            unit_tok = self._unit(tok)
            left = min([tok.i] + [c.i for c in tok.children if c.dep_ in ("quantmod", "advmod", "det", "amod")
                                  and c.i < tok.i])
            right = unit_tok.i if unit_tok is not None and unit_tok.i > tok.i else tok.i
            span = tok.doc[left:tok.i + 1].text + (" " + unit_tok.text if right > tok.i else "")
            if right > tok.i and tok.doc[tok.i + 1].lower_ == "of":
                span = tok.doc[left:right + 1].text  # "dozens of rockets"
            seen.update(range(left, right + 1))
            lead = tok.doc[max(sent.start, left - 3):tok.i].text.lower()
            bound = next((b for w, b in sorted(self.approx.items(), key=lambda x: -len(x[0]))
                          if re.search(rf"\b{re.escape(w)}\b", lead)), None)
            if vague and bound is None:
                bound = "min" if tok.lower_.endswith("s") else "approx"
            unit = unit_tok.lower_ if unit_tok is not None else None
            out.append(Quantity(span, value, unit, bound is not None, bound))
            kind = self._casualty(tok, unit_tok)
            if kind and not vague and value == int(value):
                if kind == "fatal":
                    fatalities = max(fatalities or 0, int(value))
                else:
                    injured = max(injured or 0, int(value))
        return out, fatalities, injured

    @staticmethod
    def _unit(tok: Any) -> Any:
        if tok.dep_ in ("nummod", "quantmod") and tok.head.pos_ in ("NOUN", "PROPN"):
            return tok.head
        if tok.dep_ == "compound" and tok.head.pos_ == "NUM":
            return QuantityReader._unit(tok.head)
        for c in tok.children:  # "dozens of rockets", "17 of which"
            if c.dep_ == "prep" and c.lower_ == "of":
                for p in c.children:
                    if p.dep_ == "pobj" and p.pos_ in ("NOUN", "PROPN"):
                        return p
        return None

    def _casualty(self, tok: Any, unit: Any) -> str | None:
        words = [tok, *(t for t in (unit,) if t is not None)]
        heads = [w.head for w in words] + [w.head.head for w in words]
        for w in (*words, *heads):
            low = w.lower_
            if low in self.fatal:
                return "fatal"
            if low in self.injury:
                return "injured"
        return None

"""The event ontology and trigger lexicon: PLOVER types with quads, scores and modes (`data/events/ontology.toml`)
and the verb and noun triggers (`data/events/lexicon*.tsv`, then the user's `events/*.tsv`), checked on load.
"""
from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..resources import load_toml
from ..resolve.tables import TableError, config_dir, read_table

LEXICON_COLUMNS = ("pattern", "pos", "object", "event", "mode", "context", "cameo", "note")
# Object classes a lexicon line may name instead of words: any actor the language layer resolved, any weapon.
OBJECT_CLASSES = frozenset({"@actor", "@weapon"})
CONTEXTS = frozenset(
    "military intelligence executive legislative election political_institutions pro_democracy pro_autocracy "
    "economic legal reparations human_rights rights_freedoms repression human_security gender lgbt "
    "religion_ethnicity inequality diplomatic territory peacekeeping health asylum migration disasters "
    "natural_resource environment technology terrorism cbrn cyber misinformation crime corruption illegal_drugs "
    "trafficking".split())


@dataclass(frozen=True)
class TypeInfo:
    name: str
    quad: int
    score: float
    cameo: str
    modes: dict[str, float]
    recipient_preps: frozenset[str]
    reciprocal: bool
    object_is_recipient: bool

    def intensity(self, mode: str | None) -> float:
        return self.modes.get(mode, self.score) if mode else self.score


@dataclass(frozen=True)
class Entry:
    """One lexicon line: a verb (with particles) or a noun (with modifiers) that signals an event."""

    pattern: str
    pos: str  # verb, noun
    head: str
    extras: tuple[str, ...]  # verb: particles/prepositions after it; noun: modifiers before it
    objects: frozenset[str]  # verb: allowed heads of the direct object (all inflections); empty: any
    event: str
    mode: str | None
    context: tuple[str, ...]
    cameo: str
    where: str

    @property
    def specificity(self) -> int:
        return 2 * bool(self.objects) + len(self.extras)


@dataclass
class Ontology:
    types: dict[str, TypeInfo]
    mode_aliases: dict[str, str]

    @classmethod
    def load(cls) -> "Ontology":
        raw = load_toml("events/ontology.toml")
        types = {name: TypeInfo(name, int(t["quad"]), float(t["score"]), str(t["cameo"]),
                                {k: float(v) for k, v in t.get("modes", {}).items()},
                                frozenset(t.get("recipient_preps", [])), bool(t.get("reciprocal", False)),
                                bool(t.get("object_is_recipient", True)))
                 for name, t in raw["types"].items()}
        return cls(types, dict(raw.get("mode_aliases", {})))

    def mode(self, event: str, mode: str | None) -> str | None:
        """A mode in PLOVER 2.0 spelling (older spellings translated), or None when the type has no such mode."""
        if not mode:
            return None
        m = mode.strip().lower().replace("_", "-")
        m = self.mode_aliases.get(m, self.mode_aliases.get(mode.strip().lower(), m)) or None
        return m if m and m in self.types[event].modes else None


# -- inflection: the lexicon gives base forms; text has inflected ones ----------------------------------
_VOWELS = set("aeiou")


def verb_forms(base: str, irregular: dict[str, tuple[str, ...]]) -> set[str]:
    forms = {base, *irregular.get(base, ())}
    if base.endswith("e") and not base.endswith(("ee", "ye", "oe")):
        forms |= {base + "s", base + "d", base[:-1] + "ing"}
    elif base.endswith("ee"):
        forms |= {base + "s", base + "d", base + "ing"}
    elif base.endswith("y") and len(base) > 2 and base[-2] not in _VOWELS:
        forms |= {base[:-1] + "ies", base[:-1] + "ied", base + "ing"}
    elif base.endswith(("s", "sh", "ch", "x", "z", "o")):
        forms |= {base + "es", base + "ed", base + "ing"}
    else:
        forms |= {base + "s", base + "ed", base + "ing"}
    if (len(base) >= 3 and base[-1] not in _VOWELS | {"w", "x", "y"} and base[-2] in _VOWELS
            and base[-3] not in _VOWELS):
        forms |= {base + base[-1] + "ed", base + base[-1] + "ing"}  # ban -> banned; harmless where wrong
    return forms


def noun_forms(head: str) -> set[str]:
    if head.endswith("y") and len(head) > 2 and head[-2] not in _VOWELS:
        return {head, head[:-1] + "ies"}
    if head.endswith(("s", "sh", "ch", "x", "z")):
        return {head, head + "es"}
    return {head, head + "s"}


def _package_lexicons() -> list[tuple[str, str]]:
    root = resources.files("sitrep.data").joinpath("events")
    return [(f"sitrep/data/events/{e.name}", e.read_text(encoding="utf-8"))
            for e in sorted(root.iterdir(), key=lambda e: e.name)
            if e.name.startswith("lexicon") and e.name.endswith(".tsv")]


def _irregular() -> dict[str, tuple[str, ...]]:
    text = resources.files("sitrep.data").joinpath("events/irregular.tsv").read_text(encoding="utf-8")
    return {r["verb"].lower(): tuple(f.strip().lower() for f in r["forms"].split(",") if f.strip())
            for r in read_table("sitrep/data/events/irregular.tsv", ("verb", "forms"), text)}


@dataclass
class Lexicon:
    ontology: Ontology
    verbs: dict[str, list[Entry]] = field(default_factory=dict)  # inflected form -> entries, most specific first
    nouns: dict[str, list[Entry]] = field(default_factory=dict)
    irregular: dict[str, tuple[str, ...]] = field(default_factory=dict)
    size: int = 0
    digest: str = ""

    @classmethod
    def load(cls, extra: Iterable[str | os.PathLike[str]] = ()) -> "Lexicon":
        """The shipped lexicons, then `$SITREP_CONFIG_DIR/events/*.tsv`, then `extra` files (later lines with the
        same pattern, pos and object replace earlier ones)."""
        lex = cls(Ontology.load(), irregular=_irregular())
        h = hashlib.sha256()
        sources: list[tuple[str, str | None]] = list(_package_lexicons())
        user = config_dir() / "events"
        if user.is_dir():
            sources += [(str(p), None) for p in sorted(user.glob("*.tsv"))]
        for p in extra:
            if not Path(p).is_file():
                raise TableError(f"{p}: no such file")
            sources.append((str(p), None))
        entries: dict[tuple[str, str, frozenset[str]], Entry] = {}
        for name, text in sources:
            if text is None:
                try:
                    text = Path(name).read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise TableError(f"{name}: cannot read: {exc}") from exc
            h.update(name.encode())
            h.update(text.encode())
            for row in read_table(name, LEXICON_COLUMNS, text):
                e = lex._entry(row)
                entries[(e.pattern, e.pos, e.objects)] = e
        for e in entries.values():
            forms = verb_forms(e.head, lex.irregular) if e.pos == "verb" else noun_forms(e.head)
            table = lex.verbs if e.pos == "verb" else lex.nouns
            for f in forms:
                table.setdefault(f, []).append(e)
        for table in (lex.verbs, lex.nouns):
            for lst in table.values():
                lst.sort(key=lambda e: -e.specificity)
        lex.size = len(entries)
        lex.digest = h.hexdigest()[:16]
        return lex

    def _entry(self, row: dict[str, str]) -> Entry:
        where = row["_where"]
        words = row["pattern"].lower().split()
        pos = row["pos"].lower()
        event = row["event"].upper()
        if not words or pos not in ("verb", "noun"):
            raise TableError(f"{where}: needs a pattern and pos verb or noun")
        if event not in self.ontology.types:
            raise TableError(f"{where}: unknown PLOVER type {row['event']!r}")
        mode = None
        if row["mode"]:
            mode = self.ontology.mode(event, row["mode"])
            if mode is None:
                raise TableError(f"{where}: {row['mode']!r} is not a PLOVER mode of {event}")
        context = tuple(c.strip() for c in row["context"].split(";") if c.strip())
        bad = [c for c in context if c not in CONTEXTS]
        if bad:
            raise TableError(f"{where}: unknown context(s) {', '.join(bad)}")
        cameo = row["cameo"] or self.ontology.types[event].cameo
        if not re.fullmatch(r"[0-9]{2,4}", cameo):
            raise TableError(f"{where}: CAMEO code {cameo!r} is not 2 to 4 digits")
        objects: set[str] = set()
        for o in (x.strip().lower() for x in row["object"].split("|") if x.strip()):
            if o.startswith("@"):
                if o not in OBJECT_CLASSES:
                    raise TableError(f"{where}: unknown object class {o!r}; use {', '.join(sorted(OBJECT_CLASSES))}")
                objects.add(o)
            else:
                objects |= noun_forms(o)
        head, extras = (words[0], tuple(words[1:])) if pos == "verb" else (words[-1], tuple(words[:-1]))
        return Entry(" ".join(words), pos, head, extras, frozenset(objects), event, mode, context, cameo, where)

    def forms(self, bases: Iterable[str]) -> frozenset[str]:
        """Every inflected form of the given base-form verbs (for cue lists)."""
        out: set[str] = set()
        for b in bases:
            out |= verb_forms(b, self.irregular)
        return frozenset(out)

"""The annotator: runs spaCy over article texts and turns each Doc into sentences and resolved actor, place and
time mentions with character offsets into the clean text. One instance per worker process; no shared state.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy
from rapidfuzz import fuzz
from spacy.attrs import ENT_IOB, ENT_TYPE, LOWER, NORM, SENT_START
from spacy.tokens import Doc

from ..derived import derived
from ..model import Annotation, Event, Mention, Sentence
from ..resources import load_toml
from ..resolve.knowledge import ActorEntry, Knowledge, fold
from ..resolve.matcher import Match, PhraseIndex
from ..resolve.places import Gazetteer
from .models import DEFAULT_MODEL, load_model, model_version
from .tagpos import TagPos
from .timex import find_times, resolve

ORG_KINDS = {"igo", "ngo", "group", "institution", "seat"}


@dataclass
class Atom:
    """A stretch of tokens that names something: a dictionary match, an NER entity, or both."""

    start: int
    end: int
    entry: ActorEntry | None = None  # actor dictionary entry
    adj: ActorEntry | None = None  # the entry a demonym denotes ("French" -> France)
    place_id: str | None = None  # supplement place
    label: str | None = None  # NER label
    inner: list["Atom"] = field(default_factory=list)  # matches inside an NER entity


# spaCy batches by count (32 texts), so the piece size bounds a batch's memory: 32 x 5,000 characters, about what
# a batch of ordinary articles holds. With 20,000 a worker peaked at 2.4 GiB on the Timeline17 sample; with 5,000
# at under 1 GiB, and faster.
CHUNK_CHARS = 5_000
# How far back (characters) the coder looks for a pronoun's antecedent in the article's earlier pieces.
PRIOR_CHARS = 1_500
PARSE_MODES = ("events", "all")
# What a piece of a chunk keeps from the first pass (the last one only where the parser will not run).
PIECE_ATTRS = [NORM, ENT_IOB, ENT_TYPE, SENT_START]


def _batched(it: Iterable[Any], n: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for x in it:
        batch.append(x)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch


def _pipe(proc: Any, docs: Iterable[Any], batch_size: int) -> Iterator[Any]:
    """Run one pipeline component over docs, batched where the component can batch."""
    if hasattr(proc, "pipe"):
        return proc.pipe(docs, batch_size=batch_size)
    return (proc(d) for d in docs)


def split_text(text: str, limit: int) -> list[tuple[int, str]]:
    """(offset, piece) pieces of at most `limit` characters, cut after a blank line, a line end or a full stop."""
    out: list[tuple[int, str]] = []
    pos = 0
    while len(text) - pos > limit:
        window = text[pos:pos + limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = window.rfind(". ")
        cut = cut + 1 if cut >= limit // 4 else limit
        out.append((pos, text[pos:pos + cut]))
        pos += cut
    out.append((pos, text[pos:]))
    return out


@dataclass
class _State:
    """What one article accumulates while its chunks go through spaCy."""

    article_id: str
    published: date | None
    sentences: list[Sentence] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    clusters: list["Cluster"] = field(default_factory=list)
    context: set[str] = field(default_factory=set)
    tokens: int = 0
    events: list[Event] = field(default_factory=list)
    coded: set[str] = field(default_factory=set)  # sentence texts already coded (repeated headlines)

    def finish(self, text: str, model: str) -> Annotation:
        self.mentions.sort(key=lambda m: (m.start, m.end))
        return Annotation(self.article_id, self.sentences, self.mentions, self.tokens, model, self.events)


@dataclass
class Cluster:
    """Within one article: one person, with the mentions that name them."""

    name: str
    mention: Mention
    surname: str


class Annotator:
    def __init__(self, model: str = DEFAULT_MODEL, *, actor_files: Iterable[str] = (), place_files: Iterable[str] = (),
                 nlp: Any = None, batch_size: int = 32, coder: Any = None, parse: str = "events") -> None:
        if parse not in PARSE_MODES:
            raise ValueError(f"parse must be one of {', '.join(PARSE_MODES)}, not {parse!r}")
        self.nlp = nlp if nlp is not None else load_model(model)
        self.coder = coder  # an events.coder.EventCoder, or None for mentions only
        # Which sentences the tagger and parser read: with the coder and parse="events", the runs of sentences it
        # can use (segmented first by the senter); otherwise all (segmented by the parser, as spaCy does).
        names = dict(self.nlp.components)
        selective = parse == "events" and coder is not None and "senter" in names
        self.select = coder.may_code if selective else None
        pre = ["senter", "sitrep_paragraphs", "ner"] if selective else ["ner"]
        self._pre = [names[n] for n in pre if n in names]
        strings = self.nlp.vocab.strings
        self._trigger_ids = {strings.add(w) for w in coder.trigger_words()} if selective else set()
        self._syntax = [self._fast(n, p) for n, p in self.nlp.pipeline if n not in ("senter", "ner")]
        self.model = model_version(self.nlp)
        self.kb = Knowledge(actor_files, place_files)
        self.gaz = Gazetteer(self.kb)
        self.index = self._phrase_index()
        self.cues = load_toml("resolve.toml")
        self.loc_preps = set(self.cues["locative_prepositions"])
        self.motion = set(self.cues["motion_words"])
        self.actor_deps = set(self.cues["actor_dependencies"])
        self.actor_preps = set(self.cues["actor_prepositions"])
        self.glue = set(self.cues["chain_glue"])
        self.determiners = set(self.cues["determiners"])
        self.future_aux = set(self.cues["future_auxiliaries"])
        self.actor_labels = set(self.cues["actor_labels"])
        self.place_labels = set(self.cues["place_labels"])
        self.batch_size = batch_size

    def _phrase_index(self) -> PhraseIndex:
        """The dictionary names, tokenised by this pipeline's tokenizer: built once for a given set of names,
        model and spaCy release (1.4 s for the shipped 10,000), then read from sitrep's cache folder."""
        import spacy

        tok = self.nlp.tokenizer
        phrases = list(self.kb.phrases())
        inputs = [str(PhraseIndex.FORMAT), spacy.__version__, self.model, *("\t".join(p) for p in phrases)]
        return derived("phrases", inputs, lambda: PhraseIndex(phrases, lambda s: [t.text for t in tok(s)]),
                       PhraseIndex)

    # -- entry points -------------------------------------------------------------------------
    def annotate_many(self, items: Iterable[tuple[str, str, date | None]]) -> Iterator[Annotation]:
        """(article_id, clean text, publication date) -> Annotation, streaming in batches of chunks.

        Long texts go through spaCy in chunks of at most `CHUNK_CHARS` (cut at paragraph or line ends), so memory
        stays flat whatever a page holds; offsets, sentence numbers and within-article coreference carry across.
        Every chunk gets sentences (the senter) and entities (NER); with the coder on and `parse="events"`, only
        the runs of sentences the coder can use (`EventCoder.may_code`) go through the tagger and the parser.
        """
        def chunks() -> Iterator[tuple[str, tuple[str, str, date | None, int, bool]]]:
            for aid, text, published in items:
                parts = split_text(text, CHUNK_CHARS)
                for n, (off, part) in enumerate(parts):
                    yield part, (aid, text, published, off, n == len(parts) - 1)
        state: _State | None = None
        for batch in _batched(chunks(), self.batch_size):
            docs = [self.nlp.make_doc(text) for text, _ in batch]
            for proc in self._pre:
                docs = list(_pipe(proc, docs, self.batch_size))
            pieces = [self._pieces(doc) for doc in docs]
            todo = [p for ps in pieces for p in ps if p[2]]
            for p, parsed in zip(todo, self._parse([d for d, _, _ in todo])):
                p[0] = parsed
            for ps, (_, (aid, text, published, off, last)) in zip(pieces, batch):
                if state is None or state.article_id != aid:
                    state = _State(aid, published)
                for doc, start, parse in ps:
                    self._annotate_chunk(doc, off + start, state, parse)
                if last:
                    yield state.finish(text, self.model)
                    state = None

    def annotate(self, text: str, published: date | None = None, article_id: str = "") -> Annotation:
        return next(self.annotate_many([(article_id, text, published)]))

    # -- which sentences get parsed --------------------------------------------------------------
    def _pieces(self, doc: Any) -> list[list[Any]]:
        """[doc, start_char, parse] pieces of a chunk: runs of sentences that need the parser and runs that do not.
        Read from token arrays (building Token objects for every word costs more than the test itself)."""
        if self.select is None:
            return [[doc, 0, True]]
        n = len(doc)
        if n == 0:
            return [[doc, 0, False]]
        arr = doc.to_array([LOWER, SENT_START])
        starts = [int(i) for i in numpy.flatnonzero(arr[:, 1] == 1) if i > 0]
        strings = doc.vocab.strings
        runs: list[list[Any]] = []  # [first token, end token, parse]
        for a, b in zip([0, *starts], [*starts, n]):
            ids = set(arr[a:b, 0].tolist())
            flag = bool(ids & self._trigger_ids) and self.select({strings[i] for i in ids})
            if runs and runs[-1][2] == flag:
                runs[-1][1] = b
            else:
                runs.append([a, b, flag])
        if len(runs) == 1 and not runs[0][2]:
            return [[doc, 0, False]]
        full = doc.to_array(PIECE_ATTRS)
        out = []
        for a, b, flag in runs:
            piece = Doc(doc.vocab, words=[t.text for t in doc[a:b]], spaces=[bool(t.whitespace_) for t in doc[a:b]])
            # token norms, entities and (where the parser will not run) the senter's sentence starts
            piece.from_array(PIECE_ATTRS if not flag else PIECE_ATTRS[:-1],
                             full[a:b] if not flag else full[a:b, :-1])
            out.append([piece, doc[a].idx, flag])
        return out

    @staticmethod
    def _fast(name: str, proc: Any) -> Any:
        """The attribute ruler's POS rules as array masks (same `pos_`, no MORPH or LEMMA); the ruler itself where
        its patterns use conditions TagPos does not read."""
        if name != "attribute_ruler":
            return proc
        try:
            return TagPos(proc)
        except (ValueError, KeyError):
            return proc

    def _parse(self, docs: list[Any]) -> Iterator[Any]:
        for proc in self._syntax:
            docs = _pipe(proc, docs, self.batch_size)  # type: ignore[assignment]
        return iter(docs)

    # -- one chunk of a document ---------------------------------------------------------------------
    def _annotate_chunk(self, doc: Any, offset: int, st: "_State", parsed: bool = True) -> None:
        first = len(st.sentences)
        sents = [Sentence(first + i, offset + s.start_char, offset + s.end_char) for i, s in enumerate(doc.sents)]
        local = [Sentence(x.index, x.start - offset, x.end - offset) for x in sents]
        starts = [x.start for x in local]
        atoms = self._atoms(doc, st.published, parsed)
        st.context |= self._context_countries(atoms)
        mentions: list[Mention] = []
        for chain in self._chains(doc, atoms):
            m = self._resolve_chain(doc, chain, st.context, st.clusters, parsed)
            if m is None:
                continue
            m.sentence_index = first + max(0, bisect.bisect_right(starts, m.start) - 1)
            mentions.append(m)
        mentions.extend(self._times(doc, local, mentions, st.published, parsed))
        if self.coder is not None and parsed:
            # mentions of the article's earlier pieces, moved into this piece's offsets while the coder reads it,
            # so that a pronoun finds its antecedent across a piece or chunk boundary
            prior = []
            for m in reversed(st.mentions):  # appended in text order, give or take a piece
                if m.end < offset - PRIOR_CHARS - CHUNK_CHARS:
                    break
                if m.kind == "actor" and m.end > offset - PRIOR_CHARS:
                    prior.append(m)
            for m in prior:
                m.start, m.end = m.start - offset, m.end - offset
            try:
                found = self.coder.code(doc, local, mentions, st.published, st.article_id, st.coded,
                                        self._country_party, prior=prior)
            finally:
                for m in prior:
                    m.start, m.end = m.start + offset, m.end + offset
            for ev in found:
                ev.start, ev.end = ev.start + offset, ev.end + offset
                ev.trigger = (ev.trigger[0] + offset, ev.trigger[1] + offset)
                st.events.append(ev)
        for m in mentions:
            m.start += offset
            m.end += offset
        st.sentences.extend(sents)
        st.mentions.extend(mentions)
        st.tokens += len(doc)

    # -- atoms: dictionary matches and NER entities -------------------------------------------
    def _atom_from_match(self, m: Match, when: date | None = None) -> Atom:
        actor_ids = [i for k, i in m.refs if k == "actor"]
        adj_ids = [i for k, i in m.refs if k == "adj"]
        place_ids = [i for k, i in m.refs if k == "place"]
        entry = self.kb.pick(actor_ids, when) if actor_ids else None
        adj = self.kb.actors.get(adj_ids[0]) if adj_ids else None
        return Atom(m.start, m.end, entry, adj, place_ids[0] if place_ids else None)

    def _atoms(self, doc: Any, when: date | None, parsed: bool = True) -> list[Atom]:
        """Dictionary matches (office holders picked for the article's date `when`) and NER entities."""
        words = [t.text for t in doc]
        matches = [self._atom_from_match(m, when) for m in self.index.find(words)]
        # a role word must be a noun here ("general" in "the general said", not "in general" or "general strike");
        # without tags: capitalised, or after a determiner or possessive
        matches = [a for a in matches if a.entry is None or a.entry.kind != "role" or (
            doc[a.end - 1].pos_ in ("NOUN", "PROPN") if parsed else
            (doc[a.start].is_title or (a.start > 0 and doc[a.start - 1].lower_ in self.determiners)))]
        ents = [e for e in doc.ents if e.label_ in self.actor_labels or e.label_ in self.place_labels]
        out: list[Atom] = []
        used: set[int] = set()
        for e in ents:
            inside = [a for a in matches if a.start >= e.start and a.end <= e.end]
            overlapping = [a for a in matches if a.start < e.end and a.end > e.start]
            if any(a.start <= e.start and a.end >= e.end for a in overlapping):
                for a in overlapping:
                    a.label = a.label or e.label_
                continue  # a dictionary name covers the entity: the dictionary wins
            if len(overlapping) > len(inside):
                continue  # the entity cuts through a dictionary name (e.g. "Ain al" of "Ain al-Asad"): trust the name
            rest = [t for t in e if not any(a.start <= t.i < a.end for a in inside)]
            if len(inside) == 1 and all(t.lower_ == "the" or t.is_punct for t in rest):
                only = inside[0]  # "the United States": the dictionary name, with the entity's span
                only.start, only.end, only.label = e.start, e.end, e.label_
                continue
            atom = Atom(e.start, e.end, label=e.label_, inner=inside)
            persons = [a for a in inside if a.entry is not None and a.entry.kind == "person"]
            if e.label_ == "PERSON" and persons:
                atom.entry = persons[-1].entry
                atom.inner = [a for a in inside if a is not persons[-1]]
            for a in inside:
                used.add(id(a))
            out.append(atom)
        out.extend(a for a in matches if id(a) not in used)
        out.sort(key=lambda a: a.start)
        return out

    def _context_countries(self, atoms: list[Atom]) -> set[str]:
        ctx: set[str] = set()
        for a in atoms:
            for e in (a.entry, a.adj, *[i.entry for i in a.inner], *[i.adj for i in a.inner]):
                if e is not None and e.country:
                    ctx.add(e.country)
            if a.place_id and a.place_id in self.kb.places and self.kb.places[a.place_id].country:
                ctx.add(self.kb.places[a.place_id].country)  # type: ignore[arg-type]
        return ctx

    def _chains(self, doc: Any, atoms: list[Atom]) -> list[list[Atom]]:
        chains: list[list[Atom]] = []
        for a in atoms:
            if chains:
                prev = chains[-1][-1]
                gap = [t.text for t in doc[prev.end:a.start]]
                same_sent = doc[prev.start].sent.start == doc[a.start].sent.start
                if same_sent and all(g in self.glue for g in gap) and self._joinable(prev, a):
                    chains[-1].append(a)
                    continue
            chains.append([a])
        return chains

    @staticmethod
    def _joinable(prev: Atom, nxt: Atom) -> bool:
        """Whether `prev` modifies `nxt` in one noun phrase ("French" + "Foreign Minister" + "Le Drian")."""
        if prev.place_id and not prev.entry:
            return False
        if prev.label in ("GPE", "LOC", "FAC") and nxt.label in ("GPE", "LOC", "FAC"):
            return False  # "ERBIL, Kurdistan Region" is two places
        if prev.entry is not None and prev.entry.kind == "person":
            return False
        return nxt.place_id is None or nxt.entry is not None

    # -- resolving a chain ----------------------------------------------------------------------
    def _span_text(self, doc: Any, start: int, end: int) -> tuple[str, int, int]:
        span = doc[start:end]
        return span.text, span.start_char, span.end_char

    def _resolve_chain(self, doc: Any, chain: list[Atom], context: set[str], clusters: list[Cluster],
                       parsed: bool = True) -> Mention | None:
        head = chain[-1]
        mods = chain[:-1] + head.inner
        text, s, e = self._span_text(doc, chain[0].start, head.end)
        span = doc[head.start:head.end]
        # places named by our supplement (bases, regions, crossings)
        if head.place_id and head.entry is None:
            return self._place_mention(text, s, e, self.kb.places[head.place_id], "dictionary", head.label)
        entry = head.entry
        # a bare country or capital: actor or place, by syntax
        if entry is not None and entry.kind in ("country", "capital") and not mods:
            if (self._is_locative if parsed else self._is_locative_by_words)(span, entry.kind):
                return self._place_for(text, s, e, entry, context, head.label)
            return self._actor_mention(text, s, e, entry, "dictionary", head.label)
        if entry is not None and entry.kind != "role":
            m = self._actor_mention(text, s, e, entry, "dictionary", head.label)
            if entry.kind == "person":
                self._cluster(m, clusters, entry.name)
            return m
        # a demonym on its own: the country acts ("Iranian attacks", "the French")
        if entry is None and head.adj is not None and head.label not in ("PERSON", "ORG") and not mods:
            return self._actor_mention(text, s, e, head.adj, "demonym", head.label)
        # composed: a role or unknown name, with modifiers that give the country and the sector
        country, sector, org = self._from_modifiers(mods)
        if head.label in ("PERSON", "ORG") and entry is None and not mods and org is None:
            # NER often calls a city or a base a person or an organisation ("Erbil"): a confident place wins
            choice = self.gaz.choose(span.text, context, strict=True)
            if choice.place is not None and not self._names_person(span.text, clusters):
                return self._place_mention(text, s, e, choice.place, "gazetteer", head.label)
        appositive = any(c.dep_ == "appos" for c in span.root.children)
        if entry is None and (head.label == "PERSON" or (head.label == "ORG" and appositive and not mods)):
            # NER sometimes calls a person an organisation; an apposition ("X, a spokesperson for ...") settles it
            return self._person(doc, text, s, e, span, country, sector, org, clusters)
        if head.label in self.place_labels and entry is None and self._names_person(span.text, clusters):
            return self._person(doc, text, s, e, span, country, sector, org, clusters)
        if entry is not None and entry.kind == "role":
            if org is not None:
                return self._actor_mention(text, s, e, org, "composed", head.label)
            if country is None:
                country, _, org2 = self._from_context(doc, span)
                if org2 is not None:
                    return self._actor_mention(text, s, e, org2, "composed", head.label)
            if country is None:
                found = self._role_coreference(doc, head, entry, clusters)
                if found is not None:
                    m = Mention("actor", text, s, e, 0, **_actor_fields(found), method="coreference", label=head.label)
                    m.role = entry.name
                    return m
            return self._composed(text, s, e, country, entry.sector, entry.name, head.label)
        if org is not None:  # "Iraqi Hashd": the organisation a phrase names
            return self._actor_mention(text, s, e, org, "composed", head.label)
        if head.label in self.place_labels:
            return self._place_by_name(text, s, e, span.text, context, head.label)
        if head.label in ("ORG", "NORP"):
            if country and sector:
                return self._composed(text, s, e, country, sector, None, head.label)
            m = Mention("actor", text, s, e, 0, method="ner", label=head.label,
                        reason="organisation or group not in the actor dictionary")
            if country:
                m.country, m.code = country, country
            return m
        return None

    def _from_modifiers(self, mods: list[Atom]) -> tuple[str | None, str | None, ActorEntry | None]:
        """Country, sector and organisation given by the modifiers of a phrase, the nearest one first."""
        country = sector = None
        org = None
        for a in reversed(mods):
            e = a.entry
            if e is not None and e.kind in ORG_KINDS and org is None:
                org = e
            if country is None:
                if e is not None and e.country and e.kind in ("country", "capital", "institution", "seat", "person"):
                    country = e.country
                elif a.adj is not None and a.adj.country:
                    country = a.adj.country
            if sector is None and e is not None and e.kind == "role" and e.sector:
                sector = e.sector
        return country, sector, org

    def _from_context(self, doc: Any, span: Any) -> tuple[str | None, str | None, ActorEntry | None]:
        """Country from "of X" after a role ("the parliament of Iraq") or an appositive."""
        root = span.root
        for child in root.children:
            if child.dep_ == "prep" and child.lower_ in ("of", "for", "in"):
                for obj in child.children:
                    if obj.dep_ == "pobj":
                        mods = self._atoms_in(doc, obj.left_edge.i, obj.right_edge.i + 1)
                        c, s, o = self._from_modifiers(mods)
                        if c or o:
                            return c, s, o
        return None, None, None

    def _atoms_in(self, doc: Any, start: int, end: int) -> list[Atom]:
        words = [t.text for t in doc[start:end]]
        out = []
        for m in self.index.find(words):
            a = self._atom_from_match(Match(m.start + start, m.end + start, m.refs))
            if a.entry is not None and a.entry.kind in ("country", "capital") and a.adj is None:
                a.adj = a.entry  # a country named inside a modifier acts as its demonym
            out.append(a)
        return out

    def _person(self, doc: Any, text: str, s: int, e: int, span: Any, country: str | None, sector: str | None,
                org: ActorEntry | None, clusters: list[Cluster]) -> Mention:
        # appositions and the noun a name is apposed to: "Jonathan Hoffman, spokesperson for the Department of Defense"
        root = span.root
        extra: list[Atom] = []
        for child in root.children:
            if child.dep_ == "appos":
                extra += self._atoms_in(doc, child.left_edge.i, child.right_edge.i + 1)
        if root.dep_ == "appos" and root.head.i < span.start:
            h = root.head
            extra += self._atoms_in(doc, h.left_edge.i, h.i + 1)
        if extra:
            c2, s2, o2 = self._from_modifiers(extra)
            country, sector, org = country or c2, sector or s2, org or o2
        name = span.text
        m = Mention("actor", text, s, e, 0, name=name, method="ner", label="PERSON", actor_kind="person")
        same = self._cluster(m, clusters, name)
        if same is not None and same.mention is not m:
            src = same.mention
            m.country, m.sector, m.code = src.country, src.sector, src.code
            m.name, m.wikidata, m.actor_id, m.role = src.name, src.wikidata, src.actor_id, src.role
            m.method = "coreference"
            if m.code is None and (country or org):
                self._fill_person(m, country, sector, org)
            return m
        self._fill_person(m, country, sector, org)
        return m

    def _fill_person(self, m: Mention, country: str | None, sector: str | None, org: ActorEntry | None) -> None:
        if org is not None:
            m.country = org.country
            m.sector = org.sector
            m.code = org.code
        else:
            m.country, m.sector = country, sector
            m.code = (country or "") + (sector or "") or None
        m.actor_id = m.actor_id or "person:" + re.sub(r"[^a-z0-9]+", "-", fold(m.name or m.text)).strip("-")
        if m.code is None:
            m.reason = "unknown person: the text gives no role or nationality"
        elif m.method == "ner":
            m.method = "composed"

    def _cluster(self, m: Mention, clusters: list[Cluster], name: str) -> Cluster | None:
        """The earlier person `name` refers to (same identity, same surname, or a spelling variant of the full
        name), or a new cluster for it."""
        words = fold(name).split()
        if not words:
            return None
        folded, surname = " ".join(words), words[-1]
        for c in reversed(clusters):
            if m.actor_id and c.mention.actor_id == m.actor_id:
                return c
            if len(words) == 1:
                if fuzz.ratio(surname, c.surname) >= 88:
                    return c
            elif fuzz.token_sort_ratio(folded, fold(c.name)) >= 85 or (
                    fuzz.ratio(surname, c.surname) >= 88 and fuzz.ratio(words[0], fold(c.name).split()[0]) >= 70):
                return c
        c = Cluster(name, m, surname)
        clusters.append(c)
        return c

    @staticmethod
    def _names_person(name: str, clusters: list[Cluster]) -> bool:
        """Whether `name` is a short form of a person already named in the article ("Soleimani")."""
        f = fold(name)
        return len(f.split()) == 1 and any(fuzz.ratio(f, c.surname) >= 88 for c in clusters)

    def _role_coreference(self, doc: Any, head: Atom, role: ActorEntry, clusters: list[Cluster]) -> Mention | None:
        """"the minister" after "Foreign Minister Jean-Yves Le Drian": the latest person holding that role."""
        if head.start == 0 or doc[head.start - 1].lower_ not in ("the", "this"):
            return None
        rname = fold(role.name)
        for c in reversed(clusters):
            r = fold(c.mention.role or "")
            if r and (rname in r or r in rname):
                return c.mention
        return None

    def _country_party(self, iso3: str, text: str, s: int, e: int) -> Mention | None:
        """A country as an event party where the text names it indirectly ("his country's")."""
        entry = self.kb.by_country.get(iso3)
        return self._actor_mention(text, s, e, entry, "coreference", None) if entry else None

    def _actor_mention(self, text: str, s: int, e: int, entry: ActorEntry, method: str, label: str | None) -> Mention:
        m = Mention("actor", text, s, e, 0, method=method, label=label)
        m.name, m.code, m.country, m.sector = entry.name, entry.code, entry.country, entry.sector
        m.wikidata, m.actor_id, m.actor_kind, m.role = entry.wikidata, entry.id, entry.kind, entry.role
        if entry.kind == "capital" or entry.kind == "seat":
            m.name = self.kb.composed_name(entry.country, entry.sector)
            m.actor_id = entry.code
        if entry.kind == "country" and entry.code:
            m.actor_id = entry.code
        return m

    def _composed(self, text: str, s: int, e: int, country: str | None, sector: str | None, role: str | None,
                  label: str | None) -> Mention:
        m = Mention("actor", text, s, e, 0, method="composed", label=label, actor_kind="composed", role=role)
        m.country, m.sector = country, sector
        m.code = ((country or "") + (sector or "")) or None
        m.name = self.kb.composed_name(country, sector)
        m.actor_id = m.code
        if country is None:
            m.reason = "the text names a role but not whose"
        return m

    # -- places ------------------------------------------------------------------------------------
    def _is_locative(self, span: Any, kind: str) -> bool:
        root = span.root
        while root.dep_ in ("conj", "appos") and root.head is not root and root.head.pos_ == "PROPN":
            root = root.head  # "through Iraq, Syria and Lebanon": a list shares its first member's role
        if root.dep_ == "pobj":
            prep = root.head
            if prep.lower_ in self.loc_preps:
                return True
            if prep.lower_ == "to":
                return prep.head.lower_ in self.motion or prep.head.lower_ == "from"  # "from Lebanon to Yemen"
            return False
        if kind == "capital":
            return root.dep_ not in self.actor_deps and root.dep_ not in ("compound", "amod", "nmod")
        return root.dep_ == "ROOT" and root.pos_ == "PROPN" and root.i + 1 < len(root.doc) and root.nbor().text in (",", "–", "-")

    def _is_locative_by_words(self, span: Any, kind: str) -> bool:
        """`_is_locative` for a sentence the parser did not read: from the words around the name."""
        doc = span.doc
        prev = doc[span.start - 1] if span.start > 0 else None
        if prev is not None and prev.lower_ in self.loc_preps:
            return True
        if prev is not None and prev.lower_ == "to":
            return span.start > 1 and (doc[span.start - 2].lower_ in self.motion or doc[span.start - 2].lower_ == "from")
        nxt = doc[span.end] if span.end < len(doc) else None
        initial = span.start == span.sent.start
        if kind == "capital":
            return not initial and (nxt is None or nxt.text not in ("'s", "’s"))
        return initial and nxt is not None and nxt.text in (",", "–", "-")

    def _place_for(self, text: str, s: int, e: int, entry: ActorEntry, context: set[str], label: str | None) -> Mention:
        if entry.kind == "country":
            p = self.kb.country_place.get(entry.country or "")
            if p is not None:
                return self._place_mention(text, s, e, p, "dictionary", label)
        return self._place_by_name(text, s, e, text, context | {entry.country or ""}, label)

    def _place_by_name(self, text: str, s: int, e: int, name: str, context: set[str], label: str | None) -> Mention:
        choice = self.gaz.choose(name, context)
        if choice.place is None and name.isupper():
            choice = self.gaz.choose(name.title(), context)
        if choice.place is None:
            return Mention("place", text, s, e, 0, method="gazetteer", label=label, reason=choice.reason)
        return self._place_mention(text, s, e, choice.place, "gazetteer", label)

    def _place_mention(self, text: str, s: int, e: int, p: Any, method: str, label: str | None) -> Mention:
        m = Mention("place", text, s, e, 0, method=method, label=label)
        m.name, m.place_id, m.geonameid, m.country = p.name, p.place_id, p.geonameid, p.country
        m.lat, m.lon, m.place_kind = p.lat, p.lon, p.kind
        m.precision = self.cues["precision"].get(p.kind, "site")
        return m

    # -- times -------------------------------------------------------------------------------------
    def _times(self, doc: Any, sents: list[Sentence], mentions: list[Mention], published: date | None,
               parsed: bool = True) -> list[Mention]:
        out: list[Mention] = []
        text = doc.text
        places_by_sent: dict[int, Mention] = {}
        for m in mentions:
            if m.kind == "place" and m.place_id and m.sentence_index not in places_by_sent:
                places_by_sent[m.sentence_index] = m
        for sent in sents:
            stext = text[sent.start:sent.end]
            for expr in find_times(stext):
                s, e = sent.start + expr.start, sent.start + expr.end
                tense = self._tense(doc, s, e) if parsed else self._tense_by_words(stext)
                place = places_by_sent.get(sent.index)
                zone = self.gaz.zone_of(self.gaz.by_id.get(place.place_id)) if place and place.place_id else None
                v = resolve(expr, published, tense, zone, self.gaz.city_zone)
                m = Mention("time", text[s:e], s, e, sent.index, method="pattern")
                m.value, m.precision, m.value_end, m.reason = v.value, v.precision, v.end, v.reason
                m.anchor = v.anchor
                out.append(m)
        return out

    def _tense_by_words(self, sentence: str) -> str | None:
        """The tense of a sentence the parser did not read: future where a future auxiliary stands, else unknown."""
        words = set(re.findall(r"[\w']+", sentence.lower()))
        return "future" if words & self.future_aux else None

    @staticmethod
    def _tense(doc: Any, start: int, end: int) -> str | None:
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None:
            return None
        tok = span.root
        for _ in range(6):
            if tok.pos_ in ("VERB", "AUX") or tok.dep_ == "ROOT":
                break
            tok = tok.head
        for child in tok.children:
            if child.dep_ in ("aux", "auxpass") and child.lower_ in ("will", "'ll", "shall", "wo"):
                return "future"
            if child.dep_ == "aux" and child.lower_ in ("would", "could", "might", "may"):
                return None
        if tok.tag_ in ("VBD", "VBN"):
            return "past"
        if tok.tag_ == "VBG":
            for child in tok.children:
                if child.dep_ == "aux" and child.tag_ == "VBD":
                    return "past"
        if tok.tag_ in ("VBZ", "VBP"):
            return "present"
        return None


def _actor_fields(m: Mention) -> dict[str, Any]:
    return {"name": m.name, "code": m.code, "country": m.country, "sector": m.sector, "wikidata": m.wikidata,
            "actor_id": m.actor_id, "actor_kind": m.actor_kind}

"""The event coder: reads a parsed spaCy Doc and the language layer's mentions and returns PLOVER events, each
with its trigger, its parties taken from the syntax, its negation and modality, date, places, counts and the rule
that produced it. Knowledge (lexicon, ontology, cues) comes from `data/events/`; no global state."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from ..model import Event, Mention, Sentence
from ..resources import load_toml
from .lexicon import Entry, Lexicon, TypeInfo, noun_forms
from .context import CountryParty, DocContext, same_party, unique_parties
from .quantities import QuantityReader

INHERIT_DEPS = {"xcomp", "conj", "advcl", "relcl", "acl", "pcomp", "pobj", "prep", "dobj"}
DATE_PRECISION = {"day": "day", "week": "day", "month": "month", "year": "year"}


class EventCoder:
    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lex = lexicon or Lexicon.load()
        cues = load_toml("events/cues.toml")
        forms = self.lex.forms
        self.speech = forms(cues["speech_verbs"])
        self.light = forms(cues["light_verbs"])
        self.negators = set(cues["negators"])
        self.negating = forms(cues["negating_verbs"])
        self.negating_particles = {f: p for v, p in cues["negating_particles"].items() for f in forms([v])}
        self.future_aux = set(cues["future_aux"])
        self.future_verbs = forms(cues["future_verbs"])
        self.intention = forms(cues["intention_verbs"])
        self.intention_nouns = set(cues["intention_nouns"])
        self.hyp_marks = set(cues["hypothetical_marks"])
        self.partial_types = frozenset(cues.get("partial_types", []))
        self.hyp_aux = set(cues["hypothetical_aux"])
        self.historical_days = int(cues["historical_days"])
        self.historical_words = set(cues["historical_words"])
        self.skip = [re.compile(p, re.I) for p in cues["skip_sentences"]]
        self.instruments: dict[str, str] = {}  # head noun (all forms) -> mode; two-word ones keyed "first last"
        for words, mode in cues["instruments"].items():
            *first, last = words.split()
            for f in noun_forms(last):
                self.instruments[" ".join([*first, f])] = mode
        self.country_nouns = set(cues["country_nouns"])
        self.directives = forms(cues["directive_verbs"])
        self.directive = Entry("<directive verb> + to-clause", "verb", "", (), frozenset(), "REQUEST", None, (),
                               self.lex.ontology.types["REQUEST"].cameo, "sitrep/data/events/cues.toml directive_verbs")
        self.weapon_words = {k.split()[-1] for k in self.instruments}
        self.quantities = QuantityReader(forms(cues["fatality_words"]) | set(cues["fatality_words"]),
                                         forms(cues["injury_words"]) | set(cues["injury_words"]))

    # -- entry point ---------------------------------------------------------------------------------
    def code(self, doc: Any, sentences: list[Sentence], mentions: list[Mention], published: date | None,
             article_id: str = "", seen: set[str] | None = None, country: CountryParty | None = None,
             prior: list[Mention] | None = None) -> list[Event]:
        """Events of one parsed text. `sentences` and `mentions` carry offsets into `doc.text`; `seen` holds the
        sentence texts already coded in this article (a headline repeated as a caption is not coded twice);
        `country(iso3, text, start, end)` makes a country party ("his country's jets"); `prior` are actor mentions
        before this text (negative offsets), where a pronoun may find its antecedent."""
        seen = set() if seen is None else seen
        ctx = DocContext(doc, mentions, self, country, prior or ())
        events: list[Event] = []
        for sent, info in zip(doc.sents, sentences):
            text = sent.text.strip()
            key = re.sub(r"\W+", " ", text.lower()).strip()
            if not key or key in seen or any(p.search(text) for p in self.skip):
                continue
            seen.add(key)
            if not any(t.pos_ in ("VERB", "AUX") for t in sent):
                continue  # headings, captions without a verb, bylines
            events.extend(self._sentence(ctx, sent, info, published, article_id))
        return events

    def trigger_words(self) -> set[str]:
        """Every word form that can start a trigger (a cheap first test before `may_code`)."""
        return set(self.lex.verbs) | set(self.lex.nouns) | set(self.directives)

    def may_code(self, words: set[str]) -> bool:
        """Whether a sentence with these lowercased words can yield an event, judged from the words alone: some
        trigger form with its particles or modifiers, and one of its allowed objects where the line constrains them.
        A necessary condition for `_match` (which checks the same on the parse), so the language layer parses only
        sentences that pass it and loses no event."""
        for w in words:
            for e in (*self.lex.verbs.get(w, ()), *self.lex.nouns.get(w, ())):
                if any(x not in words for x in e.extras):
                    continue
                if e.objects and not (e.objects & words or "@actor" in e.objects
                                      or ("@weapon" in e.objects and self.weapon_words & words)):
                    continue
                return True
            if w in self.directives and "to" in words:
                return True
        return False

    # -- one sentence --------------------------------------------------------------------------------
    def _sentence(self, ctx: "DocContext", sent: Any, info: Sentence, published: date | None,
                  article_id: str) -> list[Event]:
        found: list[tuple[Any, Entry]] = []
        for tok in sent:
            entry = self._match(tok, ctx)
            if entry is not None:
                found.append((tok, entry))
        if not found:
            return []
        triggers = {t.i for t, _ in found}
        types = {t.i: e.event for t, e in found}
        modes: dict[int, Entry] = {}  # verb trigger -> a same-type noun that says how ("killed in a drone strike")
        skip: set[int] = set()
        for tok, entry in found:
            gov = self._governor(tok) if entry.pos == "noun" else None
            if gov is not None and gov.i in triggers and types[gov.i] == entry.event:
                skip.add(tok.i)  # "attacked ... in an air strike": the verb codes it
                if entry.mode:
                    modes.setdefault(gov.i, entry)
        out: list[Event] = []
        coded: set[int] = set()
        # verbs first, so that a noun the verb already codes is dropped only when the verb's event stands
        for tok, entry in sorted(found, key=lambda f: (f[0].i in skip, f[0].i)):
            gov = self._governor(tok) if entry.pos == "noun" else None
            if tok.i in skip and gov is not None and gov.i in coded:
                continue  # "attacked ... in an air strike": the verb codes it
            donor = modes.get(tok.i)
            if donor is not None and not entry.mode:
                entry = replace(entry, mode=donor.mode, cameo=donor.cameo, context=entry.context or donor.context)
            ev = self._event(ctx, sent, info, tok, entry, gov, published, article_id, triggers)
            if ev is not None:
                coded.add(tok.i)
                if ev.quad in (2, 4):  # counts belong to material events ("fired 22 missiles", "killed 5")
                    ev.quantities, ev.fatalities, ev.injured = self.quantities.read(sent, self._scope(sent, ev, tok))
                out.append((tok, ev))
        return sorted(self._plover_rules(out), key=lambda e: e.trigger)

    def _plover_rules(self, found: list[tuple[Any, Event]]) -> list[Event]:
        """PLOVER's rules across the events of one sentence:
        - an announced or intended retreat is a CONCEDE ("agreed to lift the curfew", "will withdraw");
        - an AGREE whose complement is itself coded as a concession or retreat gives way to it;
        - an event nested in the purpose clause of one of the same type is the same event ("met to discuss")."""
        for tok, ev in found:
            if ev.event == "RETREAT" and ev.modality in ("future", "intended") and not ev.negated:
                t = self.lex.ontology.types["CONCEDE"]
                ev.explain["steps"].append(f"PLOVER: an announced {ev.event.lower()} is a CONCEDE (was {ev.cameo})")
                ev.event, ev.quad, ev.cameo, ev.mode, ev.intensity = "CONCEDE", t.quad, t.cameo, None, t.score
        drop: set[int] = set()
        for a_tok, a in found:
            for b_tok, b in found:
                if a is b or not _nested(b_tok, a_tok):
                    continue
                if a.event == "AGREE" and b.event in ("CONCEDE", "RETREAT") and not b.negated:
                    drop.add(id(a))
                elif a.event == b.event and not b.negated and not a.negated:
                    drop.add(id(b))
        return [ev for _, ev in found if id(ev) not in drop]

    def _match(self, tok: Any, ctx: "DocContext") -> Entry | None:
        low = tok.lower_
        if tok.pos_ == "VERB" or (tok.pos_ == "AUX" and tok.dep_ == "ROOT"):
            for e in self.lex.verbs.get(low, ()):
                if self._verb_fits(tok, e, ctx):
                    return e
            if low in self.directives and any(c.dep_ == "xcomp" and any(a.lower_ == "to" for a in c.children)
                                              for c in tok.children):
                return self.directive
        elif tok.pos_ in ("NOUN", "PROPN") and tok.ent_type_ not in ("PERSON", "GPE", "ORG", "NORP"):
            for e in self.lex.nouns.get(low, ()):
                if self._noun_fits(tok, e):
                    return e
        return None

    def _verb_fits(self, tok: Any, e: Entry, ctx: "DocContext") -> bool:
        kids = list(tok.children)
        for word in e.extras:  # particles anywhere; a preposition right after the verb ("call for", not "take part in")
            if e.objects and any(c.lower_ == word and c.dep_ == "prep" and c.head.dep_ in ("dobj", "obj")
                                 and c.head.head.i == tok.i for o in kids for c in o.children):
                continue  # "taking some personnel out of the country": the particle hangs from the object
            if not any(c.lower_ == word and (c.dep_ in ("prt", "advmod", "compound:prt")
                                             or (c.dep_ in ("prep", "dobj") and (c.i == tok.i + 1 or (
                                                 c.i == tok.i + 2 and tok.doc[tok.i + 1].pos_ == "ADV"))))
                       for c in kids):
                return False
        if e.objects:
            objs = [c for c in kids if c.dep_ in ("dobj", "nsubjpass", "obj")]
            objs += [g for c in objs for g in c.children if g.dep_ == "conj"]
            objs += [p for c in kids if c.dep_ == "prep" for p in c.children if p.dep_ == "pobj"]
            words = {o.lower_ for o in objs} | {c.lower_ for o in objs for c in o.children if c.dep_ == "compound"}
            if not words & e.objects and not (
                    ("@actor" in e.objects and any(ctx.parties(o) for o in objs if o.dep_ != "pobj"))
                    or ("@weapon" in e.objects and any(self.instrument(o) for o in objs))):
                return False
        return True

    @staticmethod
    def _noun_fits(tok: Any, e: Entry) -> bool:
        if not e.extras:
            return True
        mods = {c.lower_ for c in tok.children if c.dep_ in ("compound", "amod", "nmod", "npadvmod")}
        prev = [t.lower_ for t in tok.doc[max(0, tok.i - len(e.extras) - 1):tok.i]]
        return all(w in mods or w in prev for w in e.extras)

    def _carries(self, verb: Any, noun: Any) -> bool:
        """Whether a verb only carries a noun trigger ("launched attacks", "carried out strikes", "engaged them
        in a firefight", "took part in the talks")."""
        if verb.lower_ not in self.light:
            return False
        if noun.dep_ in ("dobj", "obj", "nsubjpass"):
            return True
        return noun.dep_ == "pobj" and noun.head.lower_ == "in" and noun.head.head.i == verb.i

    def _governor(self, noun: Any) -> Any:
        """The verb a noun trigger hangs from as object or subject ("launched attacks", "attacks continued")."""
        tok = noun
        for _ in range(3):
            if tok.dep_ in ("dobj", "obj", "nsubjpass", "attr", "pobj", "prep", "conj", "appos", "nsubj") \
                    and tok.head.i != tok.i:
                tok = tok.head
                if tok.pos_ in ("VERB", "AUX"):
                    return tok
                if tok.pos_ != "ADP" and tok.dep_ != "conj":
                    return None
            else:
                return None
        return None

    # -- building one event --------------------------------------------------------------------------
    def _event(self, ctx: "DocContext", sent: Any, info: Sentence, tok: Any, entry: Entry, gov: Any,
               published: date | None, article_id: str, triggers: set[int]) -> Event | None:
        tinfo = self.lex.ontology.types[entry.event]
        how: list[str] = [f"{entry.pos} '{tok.text}' ~ {entry.pattern!r} ({entry.where})"]
        conf = 0.6
        if entry.pos == "verb":
            actors, via = self._verb_actors(ctx, tok)
            recipients, partners = self._recipients(ctx, tok, tinfo, passive=_passive(tok))
            clause = tok
        else:
            actors, via = self._noun_actors(ctx, tok, gov)
            recipients, partners = self._noun_recipients(ctx, tok, gov, tinfo.recipient_preps), []
            clause = gov if gov is not None and self._carries(gov, tok) else tok
            conf -= 0.05
        if not actors:
            if entry.event not in self.partial_types:
                return None
            via = "none: no actor named, kept as evidence for fusion"
            conf -= 0.2
        if entry.event == "REQUEST" and entry is not self.directive and entry.pos == "verb" and not entry.objects \
                and any(c.dep_ == "xcomp" for c in tok.children) and not recipients \
                and not any(c.dep_ in ("dobj", "obj", "dative") for c in tok.children):
            return None  # "seeking to deepen a partnership" states an aim, not a demand; the aim is coded
        how.append(f"actor by {via}")
        conf += {"subject": 0.15, "agent": 0.15, "possessive": 0.12, "modifier": 0.1}.get(via.split(" ")[0], 0.0)
        if via.startswith(("pronoun", "inherited")):
            conf -= 0.1
        if entry.objects:
            conf += 0.05
        if tinfo.reciprocal and partners:  # "Merkel spoke with Trump": both are the actor (PLOVER)
            actors = unique_parties(actors + partners)
            recipients = [m for m in recipients if not any(m is p for p in partners)]
            how.append("reciprocal: partners joined to the actor")
        recipients = [m for m in recipients if not any(same_party(m, a) for a in actors)]
        if recipients:
            conf += 0.1
        negated, neg_how = self._negated(tok, clause)
        modality, mod_how = self._modality(tok, clause, triggers)
        if modality != "asserted":
            conf -= 0.05
        attribution = self._attribution(ctx, clause)
        when = self._date(ctx, sent, clause, published)
        if when[2] == "expression" and modality == "asserted" and published and when[0] and self._old(when[0], published):
            modality, mod_how = "historical", f"dated {when[0]}, over {self.historical_days} days before publication"
        places = self._places(ctx, sent, clause)
        where = next((p.country for p in places if p.country), None)
        if where and ctx.country is not None:
            actors = [_localised(m, where) for m in actors]
            recipients = [_localised(m, where) for m in recipients]
        mode = entry.mode
        if entry.event == "ASSAULT" and mode in (None, "destroy"):  # 'destroy' is PLOVER's residual mode
            weapon = self._instrument_mode(tok if entry.pos == "verb" else clause, "@weapon" in entry.objects)
            if weapon:
                mode = weapon
                how.append(f"mode {mode} from the weapon named")
        if neg_how:
            how.append(neg_how)
        if mod_how:
            how.append(mod_how)
        return Event(
            article_id=article_id, sentence_index=info.index,
            start=info.start + len(sent.text) - len(sent.text.lstrip()), end=info.start + len(sent.text.rstrip()),
            trigger=(tok.idx, tok.idx + len(tok.text)) if entry.pos == "verb" else _noun_span(tok, entry),
            event=entry.event, mode=mode, context=list(entry.context), quad=tinfo.quad, cameo=entry.cameo,
            intensity=tinfo.intensity(mode), actor=actors, recipient=recipients, attribution=attribution,
            negated=negated, modality=modality, date=when[0], date_precision=when[1], date_source=when[2],
            location=places[0] if places else None, locations=places, fatalities=None, injured=None, quantities=[],
            confidence=round(max(0.05, min(0.98, conf)), 3),
            explain={"rule": "lexicon+dependency", "trigger": entry.pattern, "lexicon": entry.where,
                     "steps": how})

    def instrument(self, tok: Any) -> str | None:
        """The mode a weapon noun implies ("jets", "jet fighters", "tear gas"), or None."""
        if tok.pos_ not in ("NOUN", "PROPN"):
            return None
        low = tok.lower_
        prev = tok.doc[tok.i - 1].lower_ if tok.i > 0 else ""
        hit = self.instruments.get(f"{prev} {low}") or self.instruments.get(low)
        if hit:
            return hit
        for c in tok.children:
            if c.dep_ == "compound" and c.lower_ in self.instruments:
                return self.instruments[c.lower_]
        return None

    def _instrument_mode(self, head: Any, objects: bool = False) -> str | None:
        """The weapon named in a trigger's phrase, or in the subject it shares ("jets targeted and destroyed");
        in the object only where the lexicon line says the object is the weapon ("fired anti-aircraft batteries")."""
        roots = [head] + ([head.head] if head.dep_ in ("conj", "xcomp") else [])
        for r in roots:
            if m := self.instrument(r):
                return m
            for c in r.children:  # not the object: "shot down two aircraft" names the target, not the weapon
                if c.dep_ in ("relcl", "ccomp", "conj") or (not objects and c.dep_ in ("dobj", "obj", "nsubjpass", "attr")):
                    continue
                for t in c.subtree:
                    if m := self.instrument(t):
                        return m
        return None

    def _scope(self, sent: Any, ev: Event, tok: Any) -> tuple[int, int]:
        """Token range a material event's counts come from: its clause, or the sentence for a main clause."""
        clause = tok if tok.pos_ != "NOUN" else (self._governor(tok) or tok)
        if clause.dep_ == "ROOT":
            return sent.start, sent.end
        return clause.left_edge.i, clause.right_edge.i + 1

    # -- parties ------------------------------------------------------------------------------------
    def _verb_actors(self, ctx: "DocContext", verb: Any) -> tuple[list[Mention], str]:
        passive = _passive(verb)
        if passive:
            for c in verb.children:
                if c.dep_ == "agent":
                    for p in c.children:
                        if p.dep_ == "pobj":
                            found = ctx.parties(p)
                            if found:
                                return found, "agent (by)"
            for c in verb.children:  # "killed in Israeli tank fire": whoever the weapon belongs to
                if c.dep_ == "prep" and c.lower_ in ("in", "by", "with"):
                    for p in c.children:
                        if p.dep_ == "pobj" and self.instrument(p) and (found := ctx.parties(p)):
                            return found, "weapon's owner"
        else:
            for c in verb.children:
                if c.dep_ in ("nsubj", "csubj"):
                    found = ctx.parties(c)
                    if found:
                        return found, "subject"
                    pron = ctx.pronoun(c)
                    if pron:
                        return [pron], f"pronoun '{c.text}'"
        # no subject of its own: borrow the one of the word it depends on ("decided to withdraw", "and fired",
        # "has no intention of withdrawing", "the bases that were hosting")
        tok = verb
        for _ in range(5):
            head = tok.head
            if tok.dep_ not in INHERIT_DEPS or head.i == tok.i:
                break
            if tok.dep_ in ("relcl", "acl") and head.pos_ in ("NOUN", "PROPN"):
                found = ctx.parties(head)
                return (found, "inherited (relative clause)") if found and not passive else ([], "")
            if tok.dep_ == "xcomp":  # object control: "urged Iran to stop", "told the US to delay"
                for c in head.children:
                    if c.dep_ in ("dobj", "obj") and (found := ctx.parties(c)):
                        return found, "inherited (object of governing verb)"
            if head.pos_ in ("VERB", "AUX") and not passive:
                subj = ("nsubj", "nsubjpass") if tok.dep_ == "xcomp" else ("nsubj",)  # "is scheduled to attend"
                for c in head.children:
                    if c.dep_ in subj:
                        found = ctx.parties(c) or ([p] if (p := ctx.pronoun(c)) else [])
                        if found:
                            return found, "inherited (subject of governing verb)"
            tok = head
        if not passive and not any(c.dep_ in ("nsubj", "nsubjpass", "csubj", "expl") for c in verb.children):
            # parser repair: "If France has ..., the Canadians and the Germans announced ...": the subject hung
            # onto the clause before the comma; take the actors between that comma and the verb
            start = verb.i
            while start > verb.sent.start and verb.doc[start - 1].text not in (",", ";", ":") \
                    and verb.doc[start - 1].pos_ not in ("VERB", "AUX"):
                start -= 1
            if start > verb.sent.start and start < verb.i:
                found = [m for t in verb.doc[start:verb.i] if (m := ctx.actor_at(t)) is not None]
                if found:
                    return unique_parties(found), "subject before the verb (parser repair)"
        return [], ""

    def _recipients(self, ctx: "DocContext", verb: Any, tinfo: TypeInfo,
                    passive: bool) -> tuple[list[Mention], list[Mention]]:
        """Recipients of a verb trigger, and those of them joined by "with" (partners of a reciprocal event)."""
        out: list[Mention] = []
        partners: list[Mention] = []
        preps = tinfo.recipient_preps
        objects = ("dobj", "obj", "dative", "iobj") if tinfo.object_is_recipient else ("dative", "iobj")
        for c in verb.children:
            if c.dep_ in objects or (passive and tinfo.object_is_recipient and c.dep_ == "nsubjpass"):
                found = ctx.parties(c)
                if not found and c.lower_ in ("who", "whom", "which", "that") and verb.dep_ == "relcl":
                    found = ctx.parties(verb.head)  # "Soleimani, who was assassinated": the relative's antecedent
                out += found
            elif c.dep_ == "prep" and c.lower_ in preps | {"with"}:
                for p in c.children:
                    if p.dep_ == "pobj":
                        found = ctx.parties(p) or ctx.country_of_place(p, c.lower_)
                        if c.lower_ == "with":
                            partners += found
                        if c.lower_ in preps or c.lower_ == "with":
                            out += found
        if not out:  # "fired missiles on two Iraqi bases": the preposition hangs from the object
            for c in verb.children:
                if c.dep_ in ("dobj", "obj"):
                    out += self._prep_parties(ctx, c, preps)
        return unique_parties(out), partners

    def _noun_actors(self, ctx: "DocContext", noun: Any, gov: Any) -> tuple[list[Mention], str]:
        for c in noun.children:
            if c.dep_ == "poss":
                found = ctx.parties(c)
                if found:
                    return found, "possessive"
        for c in noun.children:
            if c.dep_ in ("compound", "amod", "nmod") and c.i < noun.i:
                m = ctx.actor_at(c)
                if m is not None:
                    return [m], "modifier"
        for c in noun.children:
            if c.dep_ == "prep" and c.lower_ == "by":
                for p in c.children:
                    if p.dep_ == "pobj" and (found := ctx.parties(p)):
                        return found, "agent (by)"
            if c.dep_ in ("acl", "relcl"):  # "the attacks carried out by Iran"
                for a in c.children:
                    if a.dep_ == "agent":
                        for p in a.children:
                            if p.dep_ == "pobj" and (found := ctx.parties(p)):
                                return found, "agent (by)"
        if gov is not None and self._carries(gov, noun):
            found, via = self._verb_actors(ctx, gov)
            if found:
                return found, f"{via} of '{gov.text}'"
        return [], ""

    def _noun_recipients(self, ctx: "DocContext", noun: Any, gov: Any, preps: frozenset[str]) -> list[Mention]:
        out = self._prep_parties(ctx, noun, preps)
        for c in noun.children:  # "the attacks carried out ... against ... bases"
            if c.dep_ in ("acl", "relcl"):
                out += self._prep_parties(ctx, c, preps)
        if not out and gov is not None and self._carries(gov, noun):
            out = self._prep_parties(ctx, gov, preps)
            if noun.dep_ == "pobj":  # "engaged Filipino peacekeepers in a firefight": the verb's object
                out += [m for c in gov.children if c.dep_ in ("dobj", "obj") for m in ctx.parties(c)]
        return unique_parties(out)

    def _prep_parties(self, ctx: "DocContext", tok: Any, preps: frozenset[str]) -> list[Mention]:
        out: list[Mention] = []
        for c in tok.children:
            if c.dep_ == "prep" and c.lower_ in preps:
                for p in c.children:
                    if p.dep_ == "pobj":
                        out += ctx.parties(p) or ctx.country_of_place(p, c.lower_)
        return out

    def _attribution(self, ctx: "DocContext", clause: Any) -> Mention | None:
        for c in clause.children:  # "France will tell the US to delay ..., Le Drian said"
            if c.dep_ in ("parataxis", "ccomp", "advcl") and c.lower_ in self.speech and c.i > clause.i:
                for s in c.children:
                    if s.dep_ == "nsubj" and (found := ctx.parties(s)):
                        return found[0]
        tok = clause
        for _ in range(4):
            for c in tok.children:  # "according to the Iraqi military"
                if c.dep_ == "prep" and c.lower_ == "according":
                    for to in c.children:
                        for p in to.children:
                            if p.dep_ == "pobj" and (found := ctx.parties(p)):
                                return found[0]
            if tok.dep_ in ("ccomp", "parataxis") and tok.head.lower_ in self.speech:
                for c in tok.head.children:
                    if c.dep_ == "nsubj":
                        found = ctx.parties(c) or ([p] if (p := ctx.pronoun(c)) else [])
                        if found:
                            return found[0]
                return None
            if tok.head.i == tok.i:
                break
            tok = tok.head
        return None

    # -- negation and modality ------------------------------------------------------------------------
    def _negated(self, tok: Any, clause: Any) -> tuple[bool, str]:
        for t in {tok, clause}:
            for c in t.children:
                if c.dep_ == "neg" or (c.dep_ == "det" and c.lower_ in self.negators):
                    return True, f"negated by '{c.text}'"
        cur = clause
        for _ in range(4):
            if cur.head.i == cur.i or cur.dep_ not in ("xcomp", "pcomp", "pobj", "prep", "ccomp", "acl", "dobj"):
                break
            cur = cur.head
            low = cur.lower_
            if low in self.negating and (self.negating_particles.get(low) is None or any(
                    c.lower_ == self.negating_particles[low] for c in cur.children)):
                return True, f"negated by '{cur.text}'"
            if cur.pos_ == "NOUN":
                for c in cur.children:
                    if (c.dep_ == "det" and c.lower_ in self.negators) or c.dep_ == "neg":
                        return True, f"negated by '{c.text} {cur.text}'"
            if cur.lower_ in self.speech:
                break
        return False, ""

    def _modality(self, tok: Any, clause: Any, triggers: set[int]) -> tuple[str, str]:
        cur = clause
        for depth in range(4):
            kids = list(cur.children)
            for c in kids:
                if c.dep_ == "mark" and c.lower_ in self.hyp_marks:
                    return "hypothetical", f"conditional '{c.text}'"
                if c.dep_ in ("aux", "auxpass") and c.lower_ in self.hyp_aux:
                    return "hypothetical", f"modal '{c.text}'"
            for c in kids:
                if c.dep_ in ("aux", "auxpass") and c.lower_ in self.future_aux:
                    return "future", f"future '{c.text}'"
                if c.dep_ == "aux" and c.lower_ == "going" and any(g.lower_ == "to" for g in kids):
                    return "future", "'going to'"
            if depth == 0 and cur.lower_ in self.historical_words:
                return "historical", f"'{cur.text}'"
            if cur.head.i == cur.i or cur.lower_ in self.speech:
                break
            if cur.dep_ not in ("xcomp", "pcomp", "pobj", "prep", "acl", "advcl", "conj"):
                break
            parent = cur.head
            low = parent.lower_
            if cur.dep_ in ("xcomp", "pcomp", "pobj", "prep", "acl"):
                if low in self.future_verbs:
                    return "future", f"'{parent.text}' to"
                if low in self.intention or parent.i in triggers or low in self.intention_nouns:
                    return "intended", f"complement of '{parent.text}'"
            cur = parent
        for c in clause.children:
            if c.dep_ == "advmod" and c.lower_ in self.historical_words:
                return "historical", f"'{c.text}'"
        return "asserted", ""

    # -- when and where -------------------------------------------------------------------------------
    def _date(self, ctx: "DocContext", sent: Any, clause: Any, published: date | None) -> tuple[str | None, str | None, str | None]:
        times = [m for m in ctx.in_sentence(sent, "time") if m.value and re.match(r"^\d{4}(-\d{2}){0,2}", m.value)]
        if times:
            sub = range(clause.left_edge.idx, clause.right_edge.idx + len(clause.right_edge.text))
            inside = [m for m in times if m.start in sub]
            pick = min(inside or times, key=lambda m: abs(m.start - clause.idx))
            value = re.match(r"^\d{4}(-\d{2}){0,2}", pick.value or "").group(0)
            prec = DATE_PRECISION.get(pick.precision or "", None) or {10: "day", 7: "month", 4: "year"}[len(value)]
            if prec == "month":
                value = value[:7]
            elif prec == "year":
                value = value[:4]
            return value, prec, "expression"
        if published:
            return published.isoformat(), "day", "publication"
        return None, None, None

    def _old(self, value: str, published: date) -> bool:
        try:
            y, m, d = (int(x) for x in (value.split("-") + ["12", "28"])[:3])
            return (published - date(y, m, min(d, 28))).days >= self.historical_days
        except ValueError:
            return False

    def _places(self, ctx: "DocContext", sent: Any, clause: Any) -> list[Mention]:
        places = [m for m in ctx.in_sentence(sent, "place") if m.place_id]
        if not places:
            return []
        lo, hi = clause.left_edge.idx, clause.right_edge.idx + len(clause.right_edge.text)
        inside = [m for m in places if lo <= m.start < hi]
        chosen = inside or places
        chosen.sort(key=lambda m: (abs(m.start - clause.idx), m.start))
        return unique_parties(chosen)


def _localised(m: Mention, iso3: str) -> Mention:
    """A country-less domestic agent ("police", "protesters") given the country where the event happens."""
    if m.country or not m.sector or not m.code or m.actor_kind not in ("role", "composed", None):
        return m
    out = replace(m, country=iso3, code=iso3 + m.code, method="event location")
    return out


def _nested(inner: Any, outer: Any) -> bool:
    """Whether `inner` sits in a complement or purpose clause of `outer` ("agreed to lift", "met to discuss")."""
    tok, hops = inner, 0
    while tok.head.i != tok.i and hops < 4:
        if tok.dep_ in ("xcomp", "advcl", "ccomp", "relcl", "acl", "conj", "parataxis"):
            return tok.head.i == outer.i and tok.dep_ in ("xcomp", "advcl")
        tok, hops = tok.head, hops + 1
        if tok.i == outer.i:
            return False
    return False


def _passive(verb: Any) -> bool:
    return any(c.dep_ in ("auxpass", "nsubjpass") for c in verb.children) or (verb.tag_ == "VBN" and verb.dep_ == "acl")


def _noun_span(tok: Any, entry: Entry) -> tuple[int, int]:
    start = tok.idx
    for t in tok.doc[max(0, tok.i - len(entry.extras)):tok.i]:
        if t.lower_ in entry.extras:
            start = min(start, t.idx)
    return start, tok.idx + len(tok.text)

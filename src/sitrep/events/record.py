"""Events as records: the JSON shape of `../schemas/event.schema.json` (export, `sitrep code`, the API), stable
ids, the pipeline version stamp, and the GDELT 2.0 event columns for `export events --format gdelt`."""
from __future__ import annotations

import hashlib
from typing import Any

from ..model import Event, Mention, Quantity

# GDELT 2.0 event table columns that have a meaning for sitrep, in GDELT's order.
GDELT_COLUMNS = ("GlobalEventID", "Day", "MonthYear", "Year", "Actor1Code", "Actor1Name", "Actor1CountryCode",
                 "Actor2Code", "Actor2Name", "Actor2CountryCode", "IsRootEvent", "EventCode", "EventBaseCode",
                 "EventRootCode", "QuadClass", "GoldsteinScale", "NumMentions", "NumSources", "NumArticles",
                 "ActionGeo_FullName", "ActionGeo_CountryCode", "ActionGeo_Lat", "ActionGeo_Long", "SOURCEURL")
# GDELT's QuadClass: 1 verbal cooperation, 2 material cooperation, 3 verbal conflict, 4 material conflict, the
# same numbering as PLOVER's quad.


def event_id(article_id: str, start: int, trigger: tuple[int, int], event: str) -> str:
    """Stable across runs: the article, the sentence, the trigger's span and the type."""
    key = f"{article_id}|{start}|{trigger[0]}|{trigger[1]}|{event}"
    return hashlib.sha1(key.encode()).hexdigest()[:16]


def pipeline_version(sitrep: str, model: str, knowledge: str) -> str:
    """What produced an event: sitrep's version, the spaCy model, and the hash of the knowledge and lexicon files."""
    return f"sitrep {sitrep}; {model}; knowledge {knowledge[:12]}"


def party(m: Mention) -> dict[str, Any]:
    return {"text": m.text, "name": m.name or m.text, "code": m.code or "", "country": m.country,
            "sector": m.sector, "wikidata": m.wikidata, "actor_id": m.actor_id}


def place(m: Mention) -> dict[str, Any]:
    return {"name": m.name or m.text, "place_id": m.place_id, "geonameid": m.geonameid, "country": m.country,
            "lat": m.lat, "lon": m.lon, "kind": m.place_kind, "precision": m.precision, "text": m.text}


def quantity(q: Quantity) -> dict[str, Any]:
    v = q.value
    return {"text": q.text, "value": int(v) if v is not None and v == int(v) else v, "unit": q.unit,
            "approx": q.approx, "bound": q.bound}


def to_record(ev: Event, *, text: str, source: str, outlet: str | None, published: str | None,
              version: str | None) -> dict[str, Any]:
    """The schema record of one event of one article (`text` is the article's clean text)."""
    return {
        "id": event_id(ev.article_id, ev.start, ev.trigger, ev.event),
        "event": ev.event, "mode": ev.mode, "context": ev.context, "quad": ev.quad, "cameo": ev.cameo,
        "intensity": ev.intensity,
        "actor": [party(m) for m in ev.actor], "recipient": [party(m) for m in ev.recipient],
        "attribution": party(ev.attribution) if ev.attribution is not None else None,
        "negated": ev.negated, "modality": ev.modality,
        "date": ev.date, "date_precision": ev.date_precision, "date_source": ev.date_source,
        "location": place(ev.location) if ev.location is not None else None,
        "locations": [place(m) for m in ev.locations],
        "attributes": {"fatalities": ev.fatalities, "injured": ev.injured,
                       "quantities": [quantity(q) for q in ev.quantities]},
        "evidence": [{"doc_id": ev.article_id, "source": source, "outlet": outlet, "published": published,
                      "sentence": text[ev.start:ev.end], "start": ev.start, "end": ev.end,
                      "trigger": [ev.trigger[0], ev.trigger[1]], "trigger_text": text[ev.trigger[0]:ev.trigger[1]],
                      "sentence_index": ev.sentence_index}],
        "num_mentions": 1, "num_articles": 1, "num_sources": 1, "first_reported": published,
        "conflicts": [],
        "confidence": ev.confidence, "explain": ev.explain, "pipeline_version": version, "story_id": None,
    }


def gdelt_row(rec: dict[str, Any]) -> list[Any]:
    """One GDELT 2.0 event line for a record (ActionGeo_CountryCode stays ISO 3166-1 alpha-3, not FIPS)."""
    a1 = rec["actor"][0] if rec["actor"] else {}
    a2 = rec["recipient"][0] if rec["recipient"] else {}
    day = (rec.get("date") or "").replace("-", "")
    cameo = rec.get("cameo") or ""
    loc = rec.get("location") or {}
    ev = rec.get("evidence") or [{}]
    return [rec["id"], day if len(day) == 8 else "", day[:6] if len(day) >= 6 else "", day[:4],
            a1.get("code", ""), a1.get("name", ""), a1.get("country") or "",
            a2.get("code", ""), a2.get("name", ""), a2.get("country") or "",
            1 if (ev[0].get("sentence_index") == 0) else 0, cameo, cameo[:3], cameo[:2], rec["quad"],
            rec.get("intensity") if rec.get("intensity") is not None else "",
            rec["num_mentions"], rec["num_sources"], rec["num_articles"],
            loc.get("name", ""), loc.get("country") or "", loc.get("lat") if loc.get("lat") is not None else "",
            loc.get("lon") if loc.get("lon") is not None else "", ev[0].get("source", "")]

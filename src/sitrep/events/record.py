"""Events as records: the JSON shape of `../schemas/event.schema.json` (export, `sitrep code`, the API), stable
ids, the pipeline version stamp, flat rows for CSV and Parquet, and the GDELT 2.0 event columns for
`export events --format gdelt`."""
from __future__ import annotations

import hashlib
from typing import Any

from ..model import Event, Mention, Quantity

# GDELT 2.0 event table columns that have a meaning for sitrep, in GDELT's order.
GDELT_COLUMNS = ("GlobalEventID", "Day", "MonthYear", "Year", "Actor1Code", "Actor1Name", "Actor1CountryCode",
                 "Actor2Code", "Actor2Name", "Actor2CountryCode", "IsRootEvent", "EventCode", "EventBaseCode",
                 "EventRootCode", "QuadClass", "GoldsteinScale", "NumMentions", "NumSources", "NumArticles",
                 "ActionGeo_FullName", "ActionGeo_CountryCode", "ActionGeo_Lat", "ActionGeo_Long", "SOURCEURL")
# One flat row per event in CSV and Parquet (JSONL carries the full nested record).
EVENT_FLAT_COLUMNS = ("id", "date", "date_precision", "date_source", "event", "mode", "context", "quad", "cameo",
                      "intensity", "actor_code", "actor_name", "actor_country", "recipient_code", "recipient_name",
                      "recipient_country", "negated", "modality", "attribution", "location", "location_country",
                      "lat", "lon", "fatalities", "injured", "quantities", "confidence", "num_mentions",
                      "num_articles", "num_sources", "doc_id", "source", "outlet", "published", "sentence",
                      "trigger", "pipeline_version")
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


def flat_event(r: dict[str, Any]) -> dict[str, Any]:
    """One event record as a flat row (first actor and recipient; lists joined by ';')."""
    a = r["actor"][0] if r["actor"] else {}
    b = r["recipient"][0] if r["recipient"] else {}
    loc = r.get("location") or {}
    ev = r["evidence"][0]
    attrs = r.get("attributes") or {}
    return {
        "id": r["id"], "date": r["date"], "date_precision": r.get("date_precision"), "date_source": r.get("date_source"),
        "event": r["event"], "mode": r.get("mode"), "context": ";".join(r.get("context") or []), "quad": r["quad"],
        "cameo": r.get("cameo"), "intensity": r.get("intensity"),
        "actor_code": ";".join(p["code"] for p in r["actor"]), "actor_name": a.get("name"),
        "actor_country": a.get("country"), "recipient_code": ";".join(p["code"] for p in r["recipient"]),
        "recipient_name": b.get("name"), "recipient_country": b.get("country"), "negated": r["negated"],
        "modality": r["modality"], "attribution": (r.get("attribution") or {}).get("code"),
        "location": loc.get("name"), "location_country": loc.get("country"), "lat": loc.get("lat"),
        "lon": loc.get("lon"), "fatalities": attrs.get("fatalities"), "injured": attrs.get("injured"),
        "quantities": ";".join(q["text"] for q in attrs.get("quantities") or []), "confidence": r["confidence"],
        "num_mentions": r["num_mentions"], "num_articles": r["num_articles"], "num_sources": r["num_sources"],
        "doc_id": ev["doc_id"], "source": ev["source"], "outlet": ev.get("outlet"), "published": ev.get("published"),
        "sentence": ev["sentence"], "trigger": ev.get("trigger_text"), "pipeline_version": r.get("pipeline_version"),
    }


def flat_schema() -> Any:
    """The Arrow schema of flat event rows (built on demand: pyarrow is imported only for Parquet)."""
    import pyarrow as pa

    types = {"quad": pa.int8(), "intensity": pa.float64(), "negated": pa.bool_(), "lat": pa.float64(),
             "lon": pa.float64(), "fatalities": pa.int64(), "injured": pa.int64(), "confidence": pa.float64(),
             "num_mentions": pa.int32(), "num_articles": pa.int32(), "num_sources": pa.int32()}
    return pa.schema([(c, types.get(c, pa.string())) for c in EVENT_FLAT_COLUMNS])

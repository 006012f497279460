"""Briefs: a situation report on a story, an actor or a query, built from the store: a lead, the timeline, the key
actors and how their stance moved, a map of the places involved, conflicting reports flagged, and every statement
numbered to its sources. Rendered as Markdown or as one self-contained HTML page."""
from __future__ import annotations

import html
from collections import Counter, defaultdict
from datetime import date
from typing import Any

from .svgmap import MapPoint, render_map

_VERBS = {"AGREE": "agreed", "CONSULT": "consulted", "SUPPORT": "supported", "CONCEDE": "conceded",
          "COOPERATE": "cooperated", "AID": "gave aid", "RETREAT": "withdrew", "REQUEST": "called for",
          "ACCUSE": "condemned or accused", "REJECT": "rejected", "THREATEN": "threatened", "PROTEST": "protested",
          "SANCTION": "sanctioned", "MOBILIZE": "mobilised", "COERCE": "coerced", "ASSAULT": "attacked"}


def _in_range(e: dict[str, Any], since: date | None, until: date | None) -> bool:
    d = e.get("date")
    if not d:
        return True
    day = d if len(d) == 10 else d + ("-01" if len(d) == 7 else "-01-01")
    return (since is None or day >= since.isoformat()) and (until is None or d[:len(until.isoformat())] <= until.isoformat())


def _phrase(e: dict[str, Any]) -> str:
    """What an event says, in a few words from its own evidence: 'condemned (ACCUSE) Iran'."""
    rep = (e.get("explain") or {}).get("representative")
    ev = next((x for x in e["evidence"] if x.get("mention_id") == rep), e["evidence"][0])
    word = ev.get("trigger_text") or _VERBS.get(e["event"], e["event"].lower())
    target = ", ".join(p["name"] for p in e["recipient"][:2])
    kind = e["event"] + (f"/{e['mode']}" if e.get("mode") else "")
    if e["negated"]:
        return f"not {word} ({kind}, denied or refused)" + (f" {target}" if target else "")
    mod = "" if e["modality"] == "asserted" else f", {e['modality']}"
    return f"{word} ({kind}{mod})" + (f" {target}" if target else "")


def build_brief(lib: Any, *, story: str | None = None, actor: str | None = None, query: str | None = None,
                since: date | None = None, until: date | None = None, max_dates: int = 8,
                per_date: int = 2) -> dict[str, Any]:
    """The brief as data (what `render_markdown` and `render_html` print)."""
    st = lib.store
    title = "Situation report"
    if story:
        srec = lib.story(story)
        story, title = srec["id"], srec["title"]
    elif actor:
        title = f"Situation report: {actor}"
    elif query:
        title = f"Situation report: {query}"
    ids = st.selection_articles(story=story, actor=actor, query=query, since=since, until=until)
    events = [e for e in st.fused_for_articles(ids) if _in_range(e, since, until)] if ids else []
    if actor:
        a = actor.lower()
        events = [e for e in events if any(p["code"].lower().startswith(a) or a in p["name"].lower()
                                           for p in e["actor"] + e["recipient"])] or events
    sources: dict[str, int] = {}

    def cite(doc_ids: list[str]) -> list[int]:
        return [sources.setdefault(d, len(sources) + 1) for d in dict.fromkeys(doc_ids)]

    ranked = sorted(events, key=lambda e: (-e["num_sources"], -e["num_mentions"], -e["confidence"], e["id"]))
    lead = []
    for e in ranked[:3]:
        rep = (e.get("explain") or {}).get("representative")
        ev = next((x for x in e["evidence"] if x.get("mention_id") == rep), e["evidence"][0])
        lead.append({"text": " ".join(ev["sentence"].split()), "event": e["id"], "date": e.get("date"),
                     "sources": e["num_sources"], "cites": cite([x["doc_id"] for x in e["evidence"]])})
    timeline = lib.timeline(story=story, actor=actor, query=query, since=since, until=until, max_dates=max_dates,
                            per_date=per_date) if ids else []
    for t in timeline:
        t["cites"] = cite(t["sources"])
    weight: Counter[str] = Counter()
    names: dict[str, str] = {}
    for e in events:
        for p in e["actor"]:
            weight[p["code"]] += e["num_sources"]
            names.setdefault(p["code"], p["name"])
    actors = []
    for code, _ in weight.most_common(6):
        mine = sorted((e for e in events if any(p["code"] == code for p in e["actor"])),
                      key=lambda e: (e.get("date") or "9999", e["id"]))
        actors.append({"code": code, "name": names[code], "events": len(mine),
                       "stance": [{"date": e.get("date"), "text": _phrase(e), "event": e["id"],
                                   "cites": cite([x["doc_id"] for x in e["evidence"]])} for e in mine[:8]]})
    conflicts = []
    for e in events:
        for c in e.get("conflicts") or []:
            conflicts.append({"event": e["id"], "what": f"{e['event']} by {', '.join(p['name'] for p in e['actor'][:2])}",
                              "field": c["field"], "chosen": c.get("chosen"), "chosen_by": c.get("chosen_by"),
                              "values": [{"value": v["value"], "cites": cite(v["doc_ids"])} for v in c["values"]]})
    quad: dict[str, int] = defaultdict(int)
    points: dict[str, MapPoint] = {}
    for e in events:
        for p in e.get("locations") or []:
            if p.get("country"):
                quad[p["country"]] = max(quad[p["country"]], e["quad"])
            if p.get("lat") is not None and p.get("lon") is not None and p.get("kind") != "country":
                points.setdefault(p["name"], MapPoint(p["lat"], p["lon"], p["name"], f"q{e['quad']}"))
    svg = render_map({c: f"q{q}" for c, q in quad.items()}, list(points.values()), title=title) if quad or points else None
    arts = {a["id"]: a for a in st.articles_by_ids(list(sources))}
    return {"title": title, "since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
            "articles": len(ids), "events": len(events), "lead": lead, "timeline": timeline, "actors": actors,
            "conflicts": conflicts, "map_svg": svg,
            "sources": [{"n": n, "id": d, "title": (arts.get(d) or {}).get("title"),
                         "outlet": (arts.get(d) or {}).get("outlet"), "published": (arts.get(d) or {}).get("published"),
                         "source": (arts.get(d) or {}).get("source"), "url": (arts.get(d) or {}).get("url")}
                        for d, n in sorted(sources.items(), key=lambda kv: kv[1])]}


def _refs(ns: list[int], link: bool = False) -> str:
    if link:
        return "".join(f'<sup><a href="#src-{n}">[{n}]</a></sup>' for n in ns)
    return "".join(f"[{n}]" for n in ns)


def render_markdown(b: dict[str, Any], map_file: str | None = None) -> str:
    out = [f"# {b['title']}", ""]
    span = f"{b['since'] or '…'} to {b['until'] or '…'}" if b["since"] or b["until"] else "all dates"
    out += [f"*{b['articles']} article(s), {b['events']} event(s); {span}.*", "", "## Lead", ""]
    out += [f"- {x['text']} {_refs(x['cites'])}" + (f" ({x['sources']} sources)" if x["sources"] > 1 else "")
            for x in b["lead"]] or ["- No coded event in this selection."]
    out += ["", "## Timeline", ""]
    for t in b["timeline"]:
        out.append(f"**{t['date']}**: " + " ".join(t["summary"]) + f" {_refs(t['cites'])}")
        out.append("")
    out += ["## Key actors and how their stance moved", ""]
    for a in b["actors"]:
        steps = "; then ".join(f"{s['text']}" + (f" on {s['date']}" if s["date"] else "") + f" {_refs(s['cites'])}"
                               for s in a["stance"])
        out.append(f"- **{a['name']}** ({a['code']}, {a['events']} event(s)): {steps}")
    if b["map_svg"] and map_file:
        out += ["", "## Places", "", f"![Map of the places involved]({map_file})"]
    out += ["", "## Conflicting reports", ""]
    out += [f"- {c['what']} ({c['event'][:10]}): sources disagree on {c['field']}: "
            + "; ".join(f"{v['value']} {_refs(v['cites'])}" for v in c["values"])
            + f". Chosen: {c['chosen']} ({c['chosen_by']})." for c in b["conflicts"]] or ["- None found."]
    out += ["", "## Sources", ""]
    out += [f"{s['n']}. {s['title'] or s['id']}. {s['outlet'] or ''} {s['published'] or 'undated'}. "
            f"{s['url'] or s['source']} (article {s['id']})" for s in b["sources"]]
    return "\n".join(out) + "\n"


def render_html(b: dict[str, Any]) -> str:
    e = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(b['title'])}</title>",
             "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111}"
             "h1{font-size:1.6rem}h2{font-size:1.2rem;border-bottom:1px solid #ccc}.conflict{color:#8a1c00}"
             "svg{max-width:100%;height:auto}sup a{text-decoration:none}</style></head><body>",
             f"<h1>{e(b['title'])}</h1><p><em>{b['articles']} article(s), {b['events']} event(s).</em></p><h2>Lead</h2><ul>"]
    parts += [f"<li>{e(x['text'])}{_refs(x['cites'], True)}</li>" for x in b["lead"]] or ["<li>No coded event.</li>"]
    parts.append("</ul><h2>Timeline</h2><dl>")
    for t in b["timeline"]:
        parts.append(f"<dt><time datetime='{t['date']}'>{t['date']}</time></dt><dd>{e(' '.join(t['summary']))}"
                     f"{_refs(t['cites'], True)}</dd>")
    parts.append("</dl><h2>Key actors and how their stance moved</h2><ul>")
    for a in b["actors"]:
        steps = "; then ".join(e(s["text"]) + (f" on {s['date']}" if s["date"] else "") + _refs(s["cites"], True)
                               for s in a["stance"])
        parts.append(f"<li><strong>{e(a['name'])}</strong> ({e(a['code'])}): {steps}</li>")
    parts.append("</ul>")
    if b["map_svg"]:
        parts.append(f"<h2>Places</h2><figure>{b['map_svg']}</figure>")
    parts.append("<h2>Conflicting reports</h2><ul>")
    parts += [f"<li class='conflict'>{e(c['what'])}: sources disagree on {e(c['field'])}: "
              + "; ".join(e(str(v["value"])) + _refs(v["cites"], True) for v in c["values"])
              + f". Chosen: {e(str(c['chosen']))} ({e(c['chosen_by'] or '')}).</li>" for c in b["conflicts"]] \
        or ["<li>None found.</li>"]
    parts.append("</ul><h2>Sources</h2><ol>")
    parts += [f"<li id='src-{s['n']}'>{e(s['title'] or s['id'])}. {e(s['outlet'] or '')} {e(str(s['published'] or 'undated'))}."
              f" {e(s['url'] or s['source'] or '')} <small>(article {e(s['id'])})</small></li>" for s in b["sources"]]
    parts.append("</ol></body></html>")
    return "\n".join(parts)

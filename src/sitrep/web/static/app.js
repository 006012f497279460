// sitrep web pages: plain modern JavaScript, no build and no third-party code. Each page's <main> names the page
// (data-page) and its subject (data-id); the functions below fill it from the JSON API under /api/.

const main = document.getElementById("main");
const QUADS = {1: "verbal cooperation", 2: "material cooperation", 3: "verbal conflict", 4: "material conflict"};
const TYPES = ["AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST", "ACCUSE",
  "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT"];

// -- small helpers ----------------------------------------------------------------------------------------
function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat(Infinity)) if (kid !== null && kid !== undefined && kid !== "") el.append(kid);
  return el;
}
const SVG = "http://www.w3.org/2000/svg";
function s(tag, attrs = {}, ...kids) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, v);
  for (const kid of kids.flat(Infinity)) if (kid) el.append(kid);
  return el;
}
async function api(path, params = {}) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v !== null && v !== undefined));
  const r = await fetch(`/api/${path}${q.toString() ? "?" + q : ""}`);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
  return body;
}
const parties = (ps) => (ps || []).map((p) => p.name || p.code).join(", ") || "–";
const kind = (e) => (e.negated ? "not " : "") + e.event + (e.mode ? "/" + e.mode : "") +
  (e.modality && e.modality !== "asserted" ? ` (${e.modality})` : "");
const eventLink = (e) => h("a", {href: `/events/${e.id}`}, kind(e));
const actorLinks = (ps) => (ps || []).length ? (ps || []).map((p, i) => [i ? ", " : "",
  h("a", {href: `/actors/${encodeURIComponent(p.code)}`}, p.name || p.code)]) : "–";
function setBody(...kids) {
  main.querySelector(".loading")?.remove();
  main.append(...kids.flat(Infinity).filter((k) => k !== "" && k !== null && k !== undefined));
}
function fail(err) {
  main.querySelector(".loading")?.remove();
  main.append(h("p", {class: "error", role: "alert"}, `Could not load: ${err.message}`));
}
const params = () => Object.fromEntries(new URLSearchParams(location.search));

function table(caption, cols, rows, {sortable = false} = {}) {
  const thead = h("thead", {}, h("tr", {}, cols.map((c, i) => h("th", {scope: "col"}, sortable ?
    h("button", {type: "button", class: "sort", "data-col": i, onclick: (ev) => sortBy(ev, i)}, c) : c))));
  const tbody = h("tbody", {}, rows.map((r) => h("tr", {}, r.cells.map((c) => h("td", {}, c)))));
  rows.forEach((r, i) => { tbody.children[i].dataset.keys = JSON.stringify(r.keys || []); });
  return h("table", {}, h("caption", {}, caption), thead, tbody);
}
function sortBy(ev, col) {
  const tbl = ev.target.closest("table");
  const body = tbl.tBodies[0];
  const dir = ev.target.dataset.dir === "asc" ? "desc" : "asc";
  tbl.querySelectorAll("button.sort").forEach((b) => { delete b.dataset.dir; b.closest("th").removeAttribute("aria-sort"); });
  ev.target.dataset.dir = dir;
  ev.target.closest("th").setAttribute("aria-sort", dir === "asc" ? "ascending" : "descending");
  const key = (tr) => JSON.parse(tr.dataset.keys)[col] ?? tr.children[col].textContent;
  [...body.rows].sort((a, b) => {
    const x = key(a), y = key(b);
    const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    return dir === "asc" ? c : -c;
  }).forEach((tr) => body.append(tr));
}
function eventRows(items) {
  return items.map((e) => ({
    cells: [eventLink(e), e.date || "–", actorLinks(e.actor), actorLinks(e.recipient), countries(e),
      (e.location && e.location.name) || "–", e.confidence.toFixed(2),
      `${e.num_sources}` + ((e.conflicts || []).length ? " (sources disagree)" : "")],
    keys: [kind(e), e.date || "", parties(e.actor), parties(e.recipient), countries(e), (e.location && e.location.name) || "",
      e.confidence, e.num_sources],
  }));
}
const EVENT_COLS = ["event", "date", "actor", "recipient", "countries", "where", "confidence", "sources"];
function countries(e) {
  return [...new Set([...e.actor, ...e.recipient].map((p) => p.country).filter(Boolean))].join(", ") || "–";
}

// -- pages ------------------------------------------------------------------------------------------------
async function overview() {
  const [stats, latest, reported, stories] = await Promise.all([api("stats"),
    api("events", {order: "latest", limit: 8}), api("events", {order: "reported", limit: 8}),
    api("stories", {limit: 6})]);
  const card = (label, value) => h("div", {class: "card"}, h("span", {class: "num"}, String(value)), h("span", {}, label));
  setBody(
    h("section", {class: "cards", "aria-label": "Counts"}, card("articles", stats.articles),
      card("events", stats.fused_events.events), card("reported by several articles", stats.fused_events.multi_article),
      card("with conflicting reports", stats.fused_events.with_conflicts), card("stories", stats.stories)),
    table("Latest events", EVENT_COLS, eventRows(latest.items)),
    table("Most reported events", EVENT_COLS, eventRows(reported.items)),
    h("h2", {}, "Active stories"),
    h("ul", {class: "stories"}, stories.items.map((st) => h("li", {}, h("a", {href: `/stories/${st.id}`}, st.title),
      ` — ${st.num_articles} article(s), ${st.first_day || "undated"} to ${st.last_day || "undated"}`))));
}

async function events() {
  const p = params();
  const limit = 50, offset = Number(p.offset || 0);
  const field = (name, label, attrs = {}) => h("label", {}, label, h("input", {name, value: p[name] || "", ...attrs}));
  const typeSel = h("select", {name: "type"}, h("option", {value: ""}, "any"),
    TYPES.map((t) => h("option", {value: t, selected: p.type === t}, t)));
  const form = h("form", {class: "filters", method: "get", action: "/events", "aria-label": "Filter events"},
    h("label", {}, "type", typeSel), field("actor", "actor"), field("recipient", "recipient"),
    field("country", "country", {size: 3, maxlength: 3}), field("since", "since", {type: "date"}),
    field("until", "until", {type: "date"}),
    field("min_confidence", "min. confidence", {type: "number", min: 0, max: 1, step: 0.05}),
    h("button", {type: "submit"}, "Filter"));
  const query = {...p, limit, offset};
  delete query.page;
  const page = await api("events", query);
  const nav = h("p", {class: "pager"},
    offset > 0 ? h("a", {href: "?" + new URLSearchParams({...p, offset: Math.max(0, offset - limit)})}, "← previous") : "",
    ` ${page.total ? offset + 1 : 0}–${offset + page.items.length} of ${page.total} `,
    offset + limit < page.total ? h("a", {href: "?" + new URLSearchParams({...p, offset: offset + limit})}, "next →") : "");
  setBody(form, nav, table(`Events (${page.total})`, EVENT_COLS, eventRows(page.items), {sortable: true}));
}

function highlight(text, start, end, trigger) {
  // the article text with the evidence sentence marked and its trigger words in bold
  const pre = text.slice(Math.max(0, start - 400), start), post = text.slice(end, end + 400);
  const sentence = text.slice(start, end);
  const mark = h("mark", {class: "evidence"});
  if (trigger && trigger[0] >= start && trigger[1] <= end) {
    mark.append(sentence.slice(0, trigger[0] - start), h("strong", {}, sentence.slice(trigger[0] - start, trigger[1] - start)),
      sentence.slice(trigger[1] - start));
  } else mark.append(sentence);
  return h("p", {class: "context"}, start > 400 ? "… " : "", pre, mark, post, end + 400 < text.length ? " …" : "");
}

async function event(id) {
  const e = await api(`events/${encodeURIComponent(id)}`);
  main.querySelector("h1").textContent = `${kind(e)}: ${parties(e.actor)}${e.recipient.length ? " → " + parties(e.recipient) : ""}`;
  const why = Object.fromEntries(((e.explain || {}).members || []).map((m) => [m.mention, m.reason]));
  const dl = h("dl", {class: "fields"}, [
    ["type", `${e.event} (${QUADS[e.quad]}; CAMEO ${e.cameo || "–"})`], ["mode", e.mode || "–"],
    ["actor", actorLinks(e.actor)], ["recipient", actorLinks(e.recipient)],
    ["date", `${e.date || "undated"} (${e.date_precision || "–"}, from ${e.date_source || "–"})`],
    ["where", (e.locations || []).map((l) => l.name).join("; ") || "–"],
    ["negated / modality", `${e.negated ? "yes" : "no"} / ${e.modality}`],
    ["reported", `${e.num_mentions} mention(s) in ${e.num_articles} article(s) from ${e.num_sources} source(s); first ${e.first_reported || "undated"}`],
    ["confidence", e.confidence.toFixed(2)],
    ["story", e.story_id ? h("a", {href: `/stories/${e.story_id}`}, e.story_id) : "–"],
  ].flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
  const conflicts = (e.conflicts || []).length ? h("section", {class: "conflicts", "aria-label": "Conflicting reports"},
    h("h2", {}, "Sources disagree"), e.conflicts.map((c) => h("div", {class: "conflict"},
      h("h3", {}, c.field), h("ul", {class: "side-by-side"}, c.values.map((v) => h("li", {class: v.value === c.chosen ? "chosen" : ""},
        h("span", {class: "value"}, String(v.value)), " — ", v.doc_ids.map((d, i) => [i ? ", " : "", h("a", {href: `/articles/${d}`}, d.slice(0, 10))]),
        v.value === c.chosen ? h("span", {class: "badge"}, " chosen") : ""))),
      h("p", {}, `Chosen: ${c.chosen} — ${c.chosen_by}`)))) : "";
  const texts = {};
  for (const ev of e.evidence) texts[ev.doc_id] ??= api(`articles/${encodeURIComponent(ev.doc_id)}`).catch(() => null);
  const evidence = h("section", {"aria-label": "Evidence"}, h("h2", {}, "Evidence"));
  for (const ev of e.evidence) {
    const art = await texts[ev.doc_id];
    evidence.append(h("article", {class: "evidence-item"},
      h("h3", {}, h("a", {href: `/articles/${ev.doc_id}`}, (art && art.title) || ev.doc_id), ` — ${ev.outlet || ev.source}, ${ev.published || "undated"}`),
      art ? highlight(art.text, ev.start, ev.end, ev.trigger) : h("p", {}, ev.sentence),
      why[ev.mention_id] ? h("p", {class: "why"}, `Merged: ${why[ev.mention_id]}`) : ""));
  }
  setBody(dl, conflicts, evidence);
}

function dayNumber(iso) { return Date.parse(iso + "T00:00:00Z") / 86400000; }
function isoOf(day) { return new Date(day * 86400000).toISOString().slice(0, 10); }

async function timeline() {
  const p = params();
  const form = h("form", {class: "filters", method: "get", action: "/timeline", "aria-label": "Choose a timeline"},
    ...["story", "actor", "q"].map((n) => h("label", {}, n === "q" ? "query" : n, h("input", {name: n, value: p[n] || ""}))),
    h("label", {}, "dates", h("input", {name: "max_dates", type: "number", min: 1, max: 200, value: p.max_dates || 12})),
    h("button", {type: "submit"}, "Show"));
  const items = await api("timeline", {story: p.story, actor: p.actor, q: p.q, max_dates: p.max_dates || 12, per_date: 2});
  if (!items.length) { setBody(form, h("p", {}, "No dated articles match.")); return; }
  const days = items.map((t) => dayNumber(t.date));
  let lo = Math.min(...days) - 2, hi = Math.max(...days) + 2;
  const W = 900, H = 120;
  const svg = s("svg", {viewBox: `0 0 ${W} ${H}`, role: "group", tabindex: 0, class: "timeline",
    "aria-label": "Timeline of the dates that matter most: + and - zoom, the arrow keys move it"});
  const detail = h("div", {class: "detail", "aria-live": "polite"});
  const show = (t) => {
    detail.replaceChildren(h("h2", {}, t.date), h("ul", {}, t.summary.map((x) => h("li", {}, x))),
      h("p", {}, "Sources: ", t.sources.map((d, i) => [i ? ", " : "", h("a", {href: `/articles/${d}`}, d.slice(0, 10))]),
        t.events.length ? [" — events: ", t.events.slice(0, 6).map((id, i) => [i ? ", " : "", h("a", {href: `/events/${id}`}, id.slice(0, 8))])] : ""));
  };
  const draw = () => {
    svg.replaceChildren();
    const x = (d) => 20 + (W - 40) * (d - lo) / Math.max(1, hi - lo);
    svg.append(s("line", {x1: 20, x2: W - 20, y1: 70, y2: 70, class: "axis"}));
    const step = Math.max(1, Math.round((hi - lo) / 8));
    for (let d = Math.ceil(lo); d <= hi; d += step) {
      svg.append(s("text", {x: x(d), y: 100, "text-anchor": "middle", class: "tick"}, isoOf(d)));
    }
    items.forEach((t, i) => {
      const d = days[i];
      if (d < lo || d > hi) return;
      const g = s("g", {class: "mark", tabindex: 0, role: "button", "aria-label": `${t.date}: ${t.summary[0] || ""}`, "data-date": t.date});
      g.append(s("circle", {cx: x(d), cy: 70, r: 4 + Math.min(8, t.sources.length * 2)}), s("title", {}, `${t.date}: ${t.summary[0] || ""}`));
      g.addEventListener("click", () => show(t));
      g.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); show(t); } });
      svg.append(g);
    });
    range.textContent = `${isoOf(Math.ceil(lo))} to ${isoOf(Math.floor(hi))}`;
  };
  const zoom = (f, centre = (lo + hi) / 2) => { const span = Math.max(4, (hi - lo) * f); lo = centre - span / 2; hi = centre + span / 2; draw(); };
  const pan = (f) => { const d = (hi - lo) * f; lo += d; hi += d; draw(); };
  const range = h("span", {class: "range", "aria-live": "polite"});
  const controls = h("div", {class: "controls", role: "group", "aria-label": "Move the timeline"},
    h("button", {type: "button", onclick: () => pan(-0.25), "aria-label": "Earlier"}, "◀"),
    h("button", {type: "button", onclick: () => zoom(0.5), "aria-label": "Zoom in", class: "zoom-in"}, "+"),
    h("button", {type: "button", onclick: () => zoom(2), "aria-label": "Zoom out", class: "zoom-out"}, "−"),
    h("button", {type: "button", onclick: () => pan(0.25), "aria-label": "Later"}, "▶"), range);
  svg.addEventListener("keydown", (ev) => {
    if (ev.target !== svg) return;
    const act = {"+": () => zoom(0.5), "=": () => zoom(0.5), "-": () => zoom(2), ArrowLeft: () => pan(-0.25),
      ArrowRight: () => pan(0.25)}[ev.key];
    if (act) { ev.preventDefault(); act(); }
  });
  svg.addEventListener("wheel", (ev) => { ev.preventDefault(); zoom(ev.deltaY < 0 ? 0.8 : 1.25); }, {passive: false});
  let drag = null;
  svg.addEventListener("pointerdown", (ev) => { drag = ev.clientX; });
  window.addEventListener("pointerup", () => { drag = null; });
  svg.addEventListener("pointermove", (ev) => {
    if (drag === null) return;
    const dx = (ev.clientX - drag) / svg.getBoundingClientRect().width * (hi - lo);
    drag = ev.clientX; lo -= dx; hi -= dx; draw();
  });
  draw();
  const list = h("ol", {class: "dates"}, items.map((t) => h("li", {}, h("h3", {}, h("time", {datetime: t.date}, t.date)),
    h("ul", {}, t.summary.map((x) => h("li", {}, x))),
    h("p", {class: "cites"}, t.sources.map((d, i) => [i ? ", " : "", h("a", {href: `/articles/${d}`}, `[${d.slice(0, 10)}]`)])))));
  setBody(form, controls, svg, detail, h("h2", {}, "All dates"), list);
  show(items[0]);
}

// TopoJSON to polygons (quantized arcs, delta-encoded), and an equirectangular projection
function decodeTopo(topo) {
  const [sx, sy] = topo.transform.scale, [tx, ty] = topo.transform.translate;
  const arcs = topo.arcs.map((arc) => { let x = 0, y = 0; return arc.map(([dx, dy]) => { x += dx; y += dy; return [x * sx + tx, y * sy + ty]; }); });
  const ring = (idx) => idx.flatMap((i, k) => { const a = i < 0 ? [...arcs[~i]].reverse() : arcs[i]; return k ? a.slice(1) : a; });
  return topo.objects.countries.geometries.map((g) => ({
    id: g.id, name: (g.properties || {}).name,
    polys: g.type === "Polygon" ? [g.arcs.map(ring)] : g.type === "MultiPolygon" ? g.arcs.map((p) => p.map(ring)) : [],
  }));
}

async function map() {
  const p = params();
  const form = h("form", {class: "filters", method: "get", action: "/map", "aria-label": "Filter the map by date"},
    h("label", {}, "since", h("input", {type: "date", name: "since", value: p.since || ""})),
    h("label", {}, "until", h("input", {type: "date", name: "until", value: p.until || ""})),
    h("button", {type: "submit"}, "Show"));
  const [topo, page] = await Promise.all([fetch("/static/geo/countries-110m.json").then((r) => r.json()),
    api("events", {since: p.since, until: p.until, limit: 500, order: "reported"})]);
  const W = 960, H = 500;
  const px = (lon) => (lon + 180) / 360 * W, py = (lat) => (90 - lat) / 180 * H;
  const svg = s("svg", {viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "World map of the events", class: "map"});
  for (const c of decodeTopo(topo)) {
    const d = c.polys.map((poly) => poly.map((r) => {
      let out = "", prev = null;
      for (const [lon, lat] of r) { out += (prev === null || Math.abs(lon - prev) > 180 ? "M" : "L") + px(lon).toFixed(1) + "," + py(lat).toFixed(1); prev = lon; }
      return out + "Z";
    }).join("")).join("");
    svg.append(s("path", {d, class: "country"}, s("title", {}, c.name || "")));
  }
  const placed = page.items.filter((e) => e.location && e.location.lat !== null && e.location.lat !== undefined);
  // one marker per place (events there, most reported first); every event is also in the table below
  const byPlace = new Map();
  for (const e of placed) {
    const key = `${e.location.lat},${e.location.lon}`;
    if (!byPlace.has(key)) byPlace.set(key, []);
    byPlace.get(key).push(e);
  }
  const rows = [];
  for (const evs of byPlace.values()) {
    const e = evs[0], q = Math.max(...evs.map((x) => x.quad));
    const label = `${evs.length} event(s) at ${e.location.name}: ${evs.slice(0, 3).map(kind).join("; ")}`;
    const a = s("a", {href: `/events/${e.id}`, class: `marker q${q}`, "aria-label": label});
    const x = px(e.location.lon), y = py(e.location.lat), r = 4 + Math.min(6, evs.length);
    // shape as well as colour: circles for cooperation, squares for conflict
    a.append(q >= 3 ? s("rect", {x: x - r, y: y - r, width: 2 * r, height: 2 * r}) : s("circle", {cx: x, cy: y, r}),
      s("title", {}, `${e.location.name}: ${evs.map((x) => `${kind(x)} (${x.date || "undated"})`).join("; ")}`));
    svg.append(a);
  }
  for (const e of placed) rows.push({cells: [eventLink(e), e.date || "–", e.location.name, QUADS[e.quad]],
    keys: [kind(e), e.date || "", e.location.name, e.quad]});
  const legend = h("ul", {class: "legend"}, [1, 2, 3, 4].map((q) => h("li", {class: `q${q}`},
    h("span", {class: "swatch", "aria-hidden": "true"}, q >= 3 ? "■" : "●"), ` ${QUADS[q]}`)));
  setBody(form, svg, legend, table(`${placed.length} placed event(s) of ${page.total}`, ["event", "date", "where", "class"], rows, {sortable: true}));
}

async function actor(code) {
  const [page, stats] = await Promise.all([api("events", {actor: code, limit: 500}), api("events", {recipient: code, limit: 500})]);
  const mine = page.items, against = stats.items;
  const name = (mine[0] && (mine[0].actor.find((p) => p.code.toLowerCase().startsWith(code.toLowerCase())) || {}).name) || code;
  main.querySelector("h1").textContent = `${name} (${code})`;
  // events over time: bars per month, by quad class
  const months = {};
  for (const e of mine) if (e.date) { const m = e.date.slice(0, 7); (months[m] ??= [0, 0, 0, 0, 0])[e.quad] += 1; }
  const keys = Object.keys(months).sort();
  const W = 700, H = 180, bw = keys.length ? Math.min(60, (W - 40) / keys.length) : 0;
  const max = Math.max(1, ...keys.map((k) => months[k].reduce((a, b) => a + b, 0)));
  const chart = s("svg", {viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `Events by ${name} per month`, class: "chart"});
  keys.forEach((k, i) => {
    let y = H - 20;
    for (const q of [1, 2, 3, 4]) {
      const hgt = (H - 40) * months[k][q] / max;
      if (!hgt) continue;
      y -= hgt;
      chart.append(s("rect", {x: 30 + i * bw, y, width: bw - 4, height: hgt, class: `q${q}`}, s("title", {}, `${k}: ${months[k][q]} ${QUADS[q]}`)));
    }
    chart.append(s("text", {x: 30 + i * bw + bw / 2, y: H - 4, "text-anchor": "middle", class: "tick"}, k));
  });
  // counterparts as a network: this actor in the centre, partners around it, line width by events
  const counts = {};
  for (const e of mine) for (const r of e.recipient) counts[r.code] = (counts[r.code] || {n: 0, name: r.name}), counts[r.code].n += 1;
  for (const e of against) for (const a of e.actor) counts[a.code] = (counts[a.code] || {n: 0, name: a.name}), counts[a.code].n += 1;
  delete counts[code];
  const partners = Object.entries(counts).sort((a, b) => b[1].n - a[1].n).slice(0, 12);
  const net = s("svg", {viewBox: "0 0 500 400", role: "img", "aria-label": `Counterparts of ${name}`, class: "network"});
  partners.forEach(([c, v], i) => {
    const ang = 2 * Math.PI * i / Math.max(1, partners.length), x = 250 + 150 * Math.cos(ang), y = 200 + 150 * Math.sin(ang);
    net.append(s("line", {x1: 250, y1: 200, x2: x, y2: y, "stroke-width": 1 + Math.min(8, v.n)}));
    const a = s("a", {href: `/actors/${encodeURIComponent(c)}`});
    a.append(s("circle", {cx: x, cy: y, r: 18}), s("text", {x, y: y + 32, "text-anchor": "middle"}, v.name || c), s("title", {}, `${v.name || c}: ${v.n} event(s)`));
    net.append(a);
  });
  net.append(s("circle", {cx: 250, cy: 200, r: 26, class: "centre"}), s("text", {x: 250, y: 245, "text-anchor": "middle"}, name));
  setBody(h("h2", {}, "Events over time"), chart, h("h2", {}, "Counterparts"), net,
    table(`Events by ${name} (${page.total})`, EVENT_COLS, eventRows(mine), {sortable: true}),
    table(`Events against ${name} (${stats.total})`, EVENT_COLS, eventRows(against), {sortable: true}));
}

async function stories() {
  const page = await api("stories", {limit: 100});
  setBody(table(`Stories (${page.total})`, ["story", "from", "to", "articles", "events", "key actors"], page.items.map((st) => ({
    cells: [h("a", {href: `/stories/${st.id}`}, st.title), st.first_day || "–", st.last_day || "–", String(st.num_articles),
      String(st.num_events), st.actors.slice(0, 5).map((a) => a.code).join(", ")],
    keys: [st.title, st.first_day || "", st.last_day || "", st.num_articles, st.num_events, ""],
  })), {sortable: true}));
}

async function story(id) {
  const st = await api(`stories/${encodeURIComponent(id)}`);
  main.querySelector("h1").textContent = st.title;
  setBody(h("p", {}, `${st.num_articles} article(s), ${st.num_events} event(s), ${st.first_day || "undated"} to ${st.last_day || "undated"}. `,
    h("a", {href: `/timeline?story=${st.id}`}, "Interactive timeline"), " · ",
    h("a", {href: `/api/brief?story=${st.id}&format=html`}, "Brief")),
  h("p", {}, "Key actors: ", st.actors.map((a, i) => [i ? ", " : "", h("a", {href: `/actors/${encodeURIComponent(a.code)}`}, a.name)])),
  h("h2", {}, "Timeline"), h("ol", {class: "dates"}, st.timeline.map((t) => h("li", {}, h("h3", {}, t.date),
    h("ul", {}, t.summary.map((x) => h("li", {}, x)))))),
  table("Most reported events", EVENT_COLS, eventRows(st.events)),
  h("h2", {}, "Articles"), h("ul", {}, st.articles.map((a) => h("li", {}, h("a", {href: `/articles/${a}`}, a)))));
}

async function article(id) {
  const a = await api(`articles/${encodeURIComponent(id)}`);
  main.querySelector("h1").textContent = a.title || a.id;
  // clean text with its events' sentences marked
  const text = a.text, marks = [];
  for (const e of a.events) for (const ev of e.evidence) if (ev.doc_id === a.id) marks.push([ev.start, ev.end, e]);
  marks.sort((x, y) => x[0] - y[0]);
  const clean = h("div", {class: "article-text"});
  let pos = 0;
  for (const [st, en, e] of marks) {
    if (st < pos) continue;
    clean.append(text.slice(pos, st), h("a", {href: `/events/${e.id}`, class: "event-mark", title: kind(e)}, h("mark", {}, text.slice(st, en))));
    pos = en;
  }
  clean.append(text.slice(pos));
  // what was received, with the removed boilerplate struck through
  const raw = a.raw_text, received = h("div", {class: "article-text raw"});
  let rpos = 0;
  for (const r of [...a.removed].sort((x, y) => x.start - y.start)) {
    if (r.start < rpos) continue;
    received.append(raw.slice(rpos, r.start), h("del", {title: `removed: ${r.reason}`}, raw.slice(r.start, r.end)));
    rpos = r.end;
  }
  received.append(raw.slice(rpos));
  setBody(h("p", {}, `${a.outlet || "unknown outlet"}, ${a.published || "undated"} — ${a.source}`,
    a.story_id ? [" · ", h("a", {href: `/stories/${a.story_id}`}, "story")] : ""),
  h("h2", {}, `Text, with its ${a.events.length} event(s) marked`), clean,
  h("h2", {}, `As received, with ${a.removed.length} removed passage(s) struck through`), received);
}

const PAGES = {overview, events, event, timeline, map, actor, stories, story, article};
(PAGES[main.dataset.page] || overview)(main.dataset.id).then(() => main.classList.add("ready")).catch(fail);

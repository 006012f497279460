"""Time expressions: find them in text and resolve them, with tense, against the publication date.

`find_times` returns parsed expressions with character offsets; `resolve` turns one into a calendar value
(ISO date, `YYYY-MM` or `YYYY`) with its precision, an optional range end and the anchor it came from. With no
anchor, only absolute dates that carry a year resolve; everything relative stays unresolved with a reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..resources import load_toml


@dataclass
class TimeExpr:
    """One time expression found in text: its span and what it says, before resolution."""

    start: int
    end: int
    text: str
    parts: dict[str, Any]


@dataclass
class TimeValue:
    value: str | None = None  # ISO date, YYYY-MM or YYYY
    precision: str | None = None  # day, week, month, year
    end: str | None = None  # last day of a range, where the expression names one
    anchor: str | None = None  # the date it was resolved from (ISO), or "absolute"
    reason: str | None = None  # why it is unresolved
    extra: dict[str, Any] = field(default_factory=dict)


# The alternatives of the finder's pattern, by name, longest-reaching first.
KINDS = ("night", "clock", "range", "date", "iso", "month", "year", "ago", "coming", "unit", "wday", "rel")


@dataclass(frozen=True)
class Lexicon:
    months: dict[str, int]
    weekdays: dict[str, int]
    numbers: dict[str, int]
    units: dict[str, dict[str, Any]]
    relative_days: dict[str, int]
    zones: dict[str, str]
    ambiguous: frozenset[str]
    pattern: re.Pattern[str]


def _alt(words: Any) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    d = load_toml("time.toml")
    months, weekdays, numbers = d["months"], d["weekdays"], d["numbers"]
    units, rel, zones = d["units"], d["relative_days"], d["zones"]
    M = rf"(?:{_alt(months)})\.?"
    W = rf"(?:{_alt(weekdays)})\.?"
    D = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
    Y = r"(?:1[89]\d\d|20\d\d)"
    N = rf"(?:\d{{1,3}}|{_alt(numbers)})"
    U = rf"(?:{_alt(units)})s?"
    PART = r"(?:morning|afternoon|evening|night)"
    CLOCK = r"(?:\d{1,2}(?:[.:]\d\d)?\s?(?:a\.m\.|p\.m\.|am\b|pm\b|GMT\b|UTC\b|hrs\b)|\d{1,2}[:]\d\d(?=\s?(?:GMT|UTC|local)))"
    ZONE = rf"(?:{_alt(zones)})(?:\s+time)?"
    rel_words = _alt(rel)
    alts = [
        # "the night of Tuesday to Wednesday", "overnight Tuesday to Wednesday"
        rf"(?P<night>(?:the\s+)?(?:night|overnight)\s+(?:of|from)?\s*(?P<n1>{W})\s+(?:to|into|and)\s+(?P<n2>{W}))",
        # clock time (with zone, with a second clock in a city), then a date: "5.30 p.m. US Eastern on January 7"
        rf"(?P<clock>(?P<ct>{CLOCK})(?:\s*\(?\s*(?:(?P<cz>{ZONE})|local\s+time)\)?)?"
        rf"(?:\s*\((?P<ct2>{CLOCK})\s+in\s+(?P<ccity>[A-Z][\w'-]+(?:\s[A-Z][\w'-]+)?)\))?"
        rf"(?:\s*,)?\s+(?:on\s+)?(?P<cdate>(?:{W},?\s+)?(?:{M}\s+{D}|{D}\s+{M})(?:,?\s+{Y})?))",
        # ranges: "from January 3 to 5, 2020", "between 3 and 5 January", "January 3-5"
        rf"(?P<range>(?:(?:from|between)\s+)?(?:(?P<r1m>{M})\s+(?P<r1d>{D})\s*(?:-|–|to|and|through|until)\s*(?P<r2d>{D})"
        rf"|(?P<r3d>{D})\s*(?:-|–|to|and|through|until)\s*(?P<r4d>{D})\s+(?P<r3m>{M}))(?:,?\s+(?P<ry>{Y}))?)(?![\d:])",
        # full and partial dates: "Wednesday, January 8, 2020", "07 January, 2020", "January 3", "8 Jan"
        rf"(?P<date>(?:(?P<dw>{W}),?\s+)?(?:(?P<dm1>{M})\s+(?P<dd1>{D})|(?P<dd2>{D})\s+(?:of\s+)?(?P<dm2>{M}))"
        rf"(?:,?\s+(?P<dy>{Y}))?)(?![\d:])",
        rf"(?P<iso>(?P<iy>{Y})-(?P<im>0[1-9]|1[0-2])-(?P<id>[0-2]\d|3[01]))(?!\d)",
        # month and year, part of a month: "January 2020", "in early March", "mid-2019"
        rf"(?P<month>(?:(?P<mp>early|mid|late|earlier|end\s+of|beginning\s+of)[\s-]+)?(?P<mm>{M})(?:,?\s+(?P<my>{Y}))?)(?![\w])",
        rf"(?P<year>(?:(?:in|since|by|during|until|before|after|throughout|from)\s+)(?:(?P<yp>early|mid|late)[\s-]+)?(?P<yy>{Y})|(?:mid|early|late)-(?P<yy2>{Y}))(?![\d-])",
        # relative: "three days ago", "in the coming weeks", "earlier this month", "last year"
        rf"(?P<ago>(?P<an>{N})\s+(?P<au>{U})\s+ago)",
        rf"(?P<coming>(?:in|over|within|during)\s+the\s+(?P<cdir>coming|next|past|last|previous|following)\s+(?:(?P<cn>{N})\s+)?(?P<cu>{U}))",
        rf"(?P<unit>(?:(?P<up>earlier|later|late|early)\s+)?(?P<umod>this|last|next|past|previous|coming)\s+(?P<uu>week|weekend|month|year))(?!\w)",
        rf"(?P<wday>(?:(?P<wmod>last|next|this|on|early|late|past)\s+)?(?P<ww>{W})(?:\s+(?:{PART}))?)(?!\w)",
        rf"(?P<rel>{rel_words})(?!\w)",
    ]
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(alts) + ")", re.IGNORECASE)
    return Lexicon(months, weekdays, numbers, units, rel, zones, frozenset(d["ambiguous"]), pattern)


def _num(s: str, lex: Lexicon) -> int:
    s = s.lower()
    return int(s) if s.isdigit() else lex.numbers.get(s, 1)


def _month(s: str, lex: Lexicon) -> int:
    return lex.months[s.lower().rstrip(".")]


def _day(s: str) -> int:
    return int(re.sub(r"\D", "", s))


def _weekday(s: str, lex: Lexicon) -> int:
    return lex.weekdays[s.lower().rstrip(".")]


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def find_times(text: str) -> list[TimeExpr]:
    """Every time expression in `text`, left to right, non-overlapping (the longest alternative wins)."""
    lex = lexicon()
    out: list[TimeExpr] = []
    for m in lex.pattern.finditer(text):
        g = {k: v for k, v in m.groupdict().items() if v is not None}
        kind = next(k for k in KINDS if k in g)  # the outer named group that matched
        parts: dict[str, Any] = {"kind": kind}
        s, e = m.span(kind)
        try:
            if kind == "night":
                parts.update(weekday=_weekday(g["n1"], lex))
                if not (_capitalised(g["n1"]) and _capitalised(g["n2"])):
                    continue
            elif kind == "clock":
                parts.update(_date_parts(g["cdate"], lex) or {})
                parts["kind"] = "date"
                parts["clock"] = g["ct"]
                parts["zone"] = lex.zones.get(re.sub(r"\s+time$", "", g.get("cz", "").lower()).strip()) if g.get("cz") else None
                if g.get("ct2") and g.get("ccity"):
                    parts["clock2"], parts["city2"] = g["ct2"], g["ccity"]
                if "month" not in parts:
                    continue
            elif kind == "range":
                if "r1m" in g:
                    mon, d1, d2 = _month(g["r1m"], lex), _day(g["r1d"]), _day(g["r2d"])
                    mword = g["r1m"]
                else:
                    mon, d1, d2 = _month(g["r3m"], lex), _day(g["r3d"]), _day(g["r4d"])
                    mword = g["r3m"]
                if not _capitalised(mword) or d2 <= d1:
                    continue
                parts.update(kind="date", month=mon, day=d1, end_day=d2, year=int(g["ry"]) if "ry" in g else None)
            elif kind == "date":
                dp = _date_parts(m.group("date"), lex)
                if dp is None:
                    continue
                parts.update(dp)
            elif kind == "iso":
                parts.update(kind="date", year=int(g["iy"]), month=int(g["im"]), day=int(g["id"]))
            elif kind == "month":
                # a bare month needs its capital; "May", "Mar" alone also need a year or "early/late" beside them
                alone = not (g.get("my") or g.get("mp"))
                if not _capitalised(g["mm"]) or (alone and g["mm"].lower().rstrip(".") in lex.ambiguous):
                    continue
                parts.update(month=_month(g["mm"], lex), year=int(g["my"]) if "my" in g else None,
                             part=(g.get("mp") or "").lower() or None)
            elif kind == "year":
                parts.update(year=int(g.get("yy") or g["yy2"]))
                s = m.start("yy") if "yy" in g else m.start(kind)
                if "yp" in g:
                    s = m.start("yp")
            elif kind == "ago":
                parts.update(n=_num(g["an"], lex), unit=g["au"].lower().rstrip("s"))
            elif kind == "coming":
                parts.update(n=_num(g["cn"], lex) if "cn" in g else None, unit=g["cu"].lower().rstrip("s"),
                             direction=-1 if g["cdir"].lower() in ("past", "last", "previous") else 1)
            elif kind == "unit":
                parts.update(mod=g["umod"].lower(), unit=g["uu"].lower(), part=(g.get("up") or "").lower() or None)
            elif kind == "wday":
                if not _capitalised(g["ww"]) or g["ww"].lower().rstrip(".") in lex.ambiguous:
                    continue
                parts.update(weekday=_weekday(g["ww"], lex), mod=(g.get("wmod") or "").lower() or None)
                if parts["mod"] == "on":
                    s = m.start("ww")
            elif kind == "rel":
                parts.update(offset=lex.relative_days[re.sub(r"\s+", " ", g["rel"].lower())])
        except (KeyError, ValueError):
            continue
        while e > s and text[e - 1] in ".," and len(re.sub(r"\W", "", text[s:e].split()[-1])) > 4:
            e -= 1  # a sentence's full stop after "Friday", not an abbreviation's dot
        out.append(TimeExpr(s, e, text[s:e], parts))
    return out


def _date_parts(s: str, lex: Lexicon) -> dict[str, Any] | None:
    mm = re.search(r"([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?|(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([A-Za-z]+)", s)
    if not mm:
        return None
    mword, dword = (mm.group(1), mm.group(2)) if mm.group(1) else (mm.group(4), mm.group(3))
    if mword.lower().rstrip(".") not in lex.months or not _capitalised(mword):
        return None
    day = int(dword)
    y = re.search(r"\b(1[89]\d\d|20\d\d)\b", s)
    wd = re.match(r"\s*([A-Za-z]+)\.?,?\s", s)
    weekday = lex.weekdays.get(wd.group(1).lower()) if wd else None
    return {"kind": "date", "month": _month(mword, lex), "day": day, "year": int(y.group(1)) if y else None,
            "weekday": weekday}


# -- resolution -----------------------------------------------------------------------------------------

def _iso(d: date) -> str:
    return d.isoformat()


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _shift_month(y: int, m: int, k: int) -> tuple[int, int]:
    i = y * 12 + (m - 1) + k
    return i // 12, i % 12 + 1


def resolve(expr: TimeExpr, anchor: date | None, tense: str | None = None, local_zone: str | None = None,
            city_zone: Any = None) -> TimeValue:
    """Resolve one expression. `tense` is past, present, future or None; `local_zone` the IANA zone of the
    place the sentence is about (for clock times given in another zone); `city_zone(name)` maps a city to its zone."""
    p = expr.parts
    kind = p["kind"]
    a = _iso(anchor) if anchor else None
    if kind == "date":
        return _resolve_date(p, anchor, tense, local_zone, city_zone)
    if kind == "month":
        if p.get("year"):
            return TimeValue(f"{p['year']:04d}-{p['month']:02d}", "month", anchor="absolute")
        if anchor is None:
            return TimeValue(reason="a month without a year and no publication date to place it")
        y = anchor.year
        if tense == "future":
            y = y if p["month"] >= anchor.month else y + 1
        elif tense == "past" or p["month"] > anchor.month + 2:
            y = y if p["month"] <= anchor.month else y - 1
        return TimeValue(f"{y:04d}-{p['month']:02d}", "month", anchor=a)
    if kind == "year":
        return TimeValue(f"{p['year']:04d}", "year", anchor="absolute")
    if anchor is None:
        return TimeValue(reason="relative expression and no publication date to resolve it against")
    if kind == "rel":
        return TimeValue(_iso(anchor + timedelta(days=p["offset"])), "day", anchor=a)
    if kind == "ago":
        unit = p["unit"]
        if unit in ("day", "night"):
            return TimeValue(_iso(anchor - timedelta(days=p["n"])), "day", anchor=a)
        if unit in ("week", "fortnight"):
            start = anchor - timedelta(days=7 * p["n"] * (2 if unit == "fortnight" else 1))
            return TimeValue(_iso(start - timedelta(days=start.weekday())), "week",
                             _iso(start - timedelta(days=start.weekday()) + timedelta(days=6)), anchor=a)
        if unit == "month":
            y, m = _shift_month(anchor.year, anchor.month, -p["n"])
            return TimeValue(f"{y:04d}-{m:02d}", "month", anchor=a)
        return TimeValue(f"{anchor.year - p['n']:04d}", "year", anchor=a)
    if kind == "coming":
        days = lexicon().units[p["unit"]]["days"] * (p["n"] or 3)
        if p["direction"] > 0:
            return TimeValue(_iso(anchor + timedelta(days=1)), lexicon().units[p["unit"]]["precision"],
                             _iso(anchor + timedelta(days=days)), anchor=a, extra={"approx": True})
        return TimeValue(_iso(anchor - timedelta(days=days)), lexicon().units[p["unit"]]["precision"],
                         _iso(anchor), anchor=a, extra={"approx": True})
    if kind == "unit":
        k = {"this": 0, "coming": 1, "next": 1, "last": -1, "past": -1, "previous": -1}[p["mod"]]
        unit = p["unit"]
        if unit == "month":
            y, m = _shift_month(anchor.year, anchor.month, k)
            return TimeValue(f"{y:04d}-{m:02d}", "month", anchor=a)
        if unit == "year":
            return TimeValue(f"{anchor.year + k:04d}", "year", anchor=a)
        monday = anchor - timedelta(days=anchor.weekday()) + timedelta(days=7 * k)
        if unit == "weekend":
            sat = monday + timedelta(days=5)
            return TimeValue(_iso(sat), "day", _iso(sat + timedelta(days=1)), anchor=a)
        return TimeValue(_iso(monday), "week", _iso(monday + timedelta(days=6)), anchor=a)
    if kind in ("wday", "night"):
        d = _weekday_date(p["weekday"], p.get("mod"), anchor, tense)
        end = _iso(d + timedelta(days=1)) if kind == "night" else None
        return TimeValue(_iso(d), "day", end, anchor=a)
    return TimeValue(reason=f"unhandled expression kind {kind}")


def _weekday_date(wd: int, mod: str | None, anchor: date, tense: str | None) -> date:
    back = (anchor.weekday() - wd) % 7  # days back to the most recent such weekday (0 = the anchor itself)
    fwd = (wd - anchor.weekday()) % 7
    if mod in ("last", "past"):
        return anchor - timedelta(days=back or 7)
    if mod == "next":
        return anchor + timedelta(days=fwd or 7)
    if tense == "future":
        return anchor + timedelta(days=fwd)
    if tense in ("past", None) or back <= fwd:
        return anchor - timedelta(days=back)
    return anchor + timedelta(days=fwd)


def _resolve_date(p: dict[str, Any], anchor: date | None, tense: str | None, local_zone: str | None,
                  city_zone: Any) -> TimeValue:
    year = p.get("year")
    source = "absolute"
    if year is None:
        if anchor is None:
            return TimeValue(reason="a date without a year and no publication date to place it")
        source = _iso(anchor)
        cands = [c for c in (_safe_date(y, p["month"], p["day"]) for y in (anchor.year - 1, anchor.year, anchor.year + 1)) if c]
        if not cands:
            return TimeValue(reason="no such calendar date")
        if tense == "future":
            later = [c for c in cands if c >= anchor]
            d = min(later) if later else max(cands)
        elif tense == "past":
            earlier = [c for c in cands if c <= anchor]
            d = max(earlier) if earlier else min(cands)
        else:
            d = min(cands, key=lambda c: (abs((c - anchor).days), c > anchor))
    else:
        d = _safe_date(year, p["month"], p["day"])
        if d is None:
            return TimeValue(reason="no such calendar date")
    extra: dict[str, Any] = {}
    if p.get("clock"):
        moved = _to_local(d, p, local_zone, city_zone)
        if moved is not None and moved != d:
            extra["shifted_from"] = _iso(d)
            extra["local_zone"] = local_zone
            d = moved
    end = None
    if p.get("end_day"):
        e = _safe_date(d.year, d.month, p["end_day"])
        end = _iso(e) if e else None
    return TimeValue(_iso(d), "day", end, anchor=source, extra=extra)


def _clock(s: str) -> tuple[int, int] | None:
    m = re.match(r"(\d{1,2})(?:[.:](\d\d))?\s?(a\.m\.|p\.m\.|am|pm)?", s, re.IGNORECASE)
    if not m:
        return None
    h, mi = int(m.group(1)), int(m.group(2) or 0)
    ampm = (m.group(3) or "").lower().replace(".", "")
    if ampm == "pm" and h < 12:
        h += 12
    if ampm == "am" and h == 12:
        h = 0
    return (h, mi) if h < 24 and mi < 60 else None


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _to_local(d: date, p: dict[str, Any], local_zone: str | None, city_zone: Any) -> date | None:
    """The calendar date at the event's place for a clock time stated in another zone."""
    target = _zone(local_zone)
    if target is None:
        return None
    clock = _clock(p["clock"])
    zone = _zone(p.get("zone"))
    if "GMT" in p["clock"].upper() or "UTC" in p["clock"].upper():
        zone = ZoneInfo("UTC")
    if zone is None and p.get("clock2") and city_zone is not None:
        # "5.30 p.m. (11:30 p.m. in Paris) on January 7": the stated date goes with the first clock, whose
        # zone we infer from the second clock and the city's zone.
        cz = _zone(city_zone(p["city2"]))
        c2 = _clock(p["clock2"])
        if not (cz and clock and c2):
            return None
        # The instant is the second clock in the city's zone, on the city's date (d-1, d or d+1) that puts the
        # first clock on date d at a plausible zone offset (within 14 hours); the smallest offset wins.
        best: tuple[datetime, int] | None = None
        for delta in (0, 1, -1):
            dd = d + timedelta(days=delta)
            off = (c2[0] * 60 + c2[1]) - (clock[0] * 60 + clock[1]) + delta * 1440
            if abs(off) <= 14 * 60 and (best is None or abs(off) < abs(best[1])):
                best = (datetime(dd.year, dd.month, dd.day, *c2, tzinfo=cz), off)
        return best[0].astimezone(target).date() if best else None
    if zone is None or clock is None:
        return None
    inst = datetime(d.year, d.month, d.day, *clock, tzinfo=zone)
    return inst.astimezone(target).date()

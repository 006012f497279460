"""Publication dates: parse the date strings inputs state, and find a dateline near the top of a story."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache

from ..resources import load_toml


@dataclass(frozen=True)
class DateFinding:
    value: date | None
    source: str | None  # marker, header, metadata, html, feed, dateline
    note: str


@lru_cache(maxsize=1)
def _patterns() -> tuple[dict[str, int], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    data = load_toml("dates.toml")
    months: dict[str, int] = data["months"]
    month_alt = "|".join(sorted(months, key=len, reverse=True))
    weekday_alt = "|".join(sorted(data["weekdays"]["names"], key=len, reverse=True))
    wd = rf"(?:(?:{weekday_alt})\.?,?\s+)?"
    # 7 January 2020, 07 January, 2020, Tuesday 7 Jan. 2020, 7th of January 2020
    dmy = rf"{wd}(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{month_alt})\.?,?\s+(?P<y1>\d{{4}})"
    # January 7, 2020, Tuesday, Jan 7 2020
    mdy = rf"{wd}(?P<m2>{month_alt})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}})"
    iso = r"(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2})"
    any_date = re.compile(rf"\b(?:{dmy}|{mdy}|{iso})\b", re.IGNORECASE)
    labels = "|".join(re.escape(x) for x in sorted(data["dateline"]["labels"], key=len, reverse=True))
    # a whole line that is a date, optionally labelled and followed by a time and zone
    date_line = re.compile(
        rf"^(?:(?:{labels})\s*:?\s+)?(?:{dmy}|{mdy}|{iso})"
        r"(?:\s*(?:[-|,]|at)?\s*\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*\(?[A-Z]{2,5}\)?|\s*[+-]\d{2}:?\d{2})?)?\s*$",
        re.IGNORECASE,
    )
    # "PARIS, Jan 7, 2020 (Agency) -" / "GENEVA, 14 March 2025 -": place in capitals, then a full date
    dateline = re.compile(rf"^[A-Z][A-Z .'’-]{{1,40}}(?:,\s*[A-Z][\w .'-]{{1,40}})?,?\s+(?:{dmy}|{mdy}|{iso})\b")
    return months, any_date, date_line, dateline


def _from_match(m: re.Match[str]) -> date | None:
    months = _patterns()[0]
    g = m.groupdict()
    try:
        if g.get("y1"):
            return date(int(g["y1"]), months[g["m1"].lower()], int(g["d1"]))
        if g.get("y2"):
            return date(int(g["y2"]), months[g["m2"].lower()], int(g["d2"]))
        if g.get("y3"):
            return date(int(g["y3"]), int(g["m3"]), int(g["d3"]))
    except (ValueError, KeyError):
        return None
    return None


def parse_date(text: str | None) -> date | None:
    """Parse a stated date (ISO 8601, RFC 2822 as in feeds, or an English written date). None if unreadable."""
    if not text:
        return None
    s = text.strip()
    if not s:
        return None
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(s).date()
    except (TypeError, ValueError, IndexError):
        pass
    m = _patterns()[1].search(s)
    if m and len(s) <= 80:
        return _from_match(m)
    return None


def date_line(line: str) -> date | None:
    """The date of a line that is nothing but a date ("07 January, 2020", "Published: Jan 7, 2020 10:30 GMT")."""
    m = _patterns()[2].match(line.strip())
    return _from_match(m) if m else None


def dateline(text: str) -> date | None:
    """The date in a wire-style dateline at the start of a paragraph ("PARIS, Jan 7, 2020 (Agency) -")."""
    m = _patterns()[3].match(text.strip())
    return _from_match(m) if m else None


def top_lines() -> int:
    return int(load_toml("dates.toml")["dateline"]["top_lines"])


def plausible(d: date, *, today: date | None = None) -> bool:
    """A publication date between 1900 and tomorrow; anything else is a misreading, not a date."""
    today = today or date.today()
    return date(1900, 1, 1) <= d <= date.fromordinal(today.toordinal() + 1)

"""Time expressions: finding them and resolving them with tense against the publication date."""
from __future__ import annotations

from datetime import date

import pytest

from sitrep.nlp.timex import find_times, resolve

WED = date(2020, 1, 8)  # a Wednesday
TUE = date(2020, 1, 7)


def one(text: str, anchor: date | None, tense: str | None = "past", zone: str | None = None, city=None):
    found = find_times(text)
    assert found, f"no time expression found in {text!r}"
    return found[0], resolve(found[0], anchor, tense, zone, city)


@pytest.mark.parametrize("text,anchor,tense,value,precision", [
    ("issued a statement on Wednesday", WED, "past", "2020-01-08", "day"),  # same day
    ("killed in Baghdad last Friday", TUE, "past", "2020-01-03", "day"),
    ("will travel on Sunday", WED, "future", "2020-01-12", "day"),
    ("on December 31 protesters stormed", TUE, "past", "2019-12-31", "day"),  # year rollover
    ("will meet on December 31", date(2020, 12, 20), "future", "2020-12-31", "day"),
    ("told Pompeo last month", TUE, "past", "2019-12", "month"),
    ("earlier this month", TUE, "past", "2020-01", "month"),
    ("yesterday", TUE, "past", "2020-01-06", "day"),
    ("three days ago", TUE, "past", "2020-01-04", "day"),
    ("on November 10, 2020", None, "past", "2020-11-10", "day"),
    ("07 January, 2020", None, None, "2020-01-07", "day"),
    ("in March 2019", None, None, "2019-03", "month"),
    ("in 2014", None, None, "2014", "year"),
])
def test_resolution(text: str, anchor: date | None, tense: str, value: str, precision: str) -> None:
    _, v = one(text, anchor, tense)
    assert (v.value, v.precision) == (value, precision)
    assert v.anchor == (anchor.isoformat() if anchor and v.anchor != "absolute" else v.anchor)


def test_night_range_and_coming_weeks() -> None:
    _, v = one("Iran launched, on the night of Tuesday to Wednesday, the response", WED)
    assert (v.value, v.end) == ("2020-01-07", "2020-01-08")
    _, v = one("in the coming weeks", WED, "future")
    assert v.value == "2020-01-09" and v.end and v.end > v.value and v.precision == "week"


def test_no_publication_date_leaves_relative_unresolved() -> None:
    for text in ("last Friday", "yesterday", "on January 7", "last month"):
        expr, v = one(text, None)
        assert v.value is None and v.reason, text


def test_clock_time_in_another_zone_moves_the_local_date() -> None:
    # 5.30 p.m. US Eastern on January 7 is 01:30 on January 8 in Baghdad
    _, v = one("at 5.30 p.m. US Eastern on January 7, 2020 Iran fired", None, "past", "Asia/Baghdad")
    assert v.value == "2020-01-08" and v.extra["shifted_from"] == "2020-01-07"
    # the zone inferred from a second clock: 11:30 p.m. in Paris
    _, v = one("Around 5.30 p.m. (11:30 p.m. in Paris) on January 7, Iran fired", WED, "past", "Asia/Baghdad",
               {"Paris": "Europe/Paris"}.get)
    assert v.value == "2020-01-08"
    _, v = one("at 5.30 p.m. US Eastern on January 7, 2020", None, "past", None)
    assert v.value == "2020-01-07"  # no place to move it to


def test_offsets_and_false_friends() -> None:
    text = "Iran fired 22 missiles. May God help us. They met in March and said so on Friday."
    found = find_times(text)
    assert [text[e.start:e.end] for e in found] == [e.text for e in found]
    assert [e.text for e in found] == ["March", "Friday"]

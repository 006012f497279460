"""Plain-text cleanup on the seeds and on text we write: boilerplate out, news in, cuts recorded."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sitrep.ingest.clean import Cleaner, render_with_removed

from .conftest import SEEDS, need_shared

# Boilerplate in the seeds (short quotes), none of which may survive cleanup.
SEED_BOILERPLATE = [
    "Photo taken from a video provided by Iran", "HO / AFP", "Read also", "Article reserved for our subscribers",
    "Our selection of articles", "LEAVE A REPLY", "Please enter your comment!", "Please enter your name here",
    "2 min read", "Iraq is in turmoil [Getty]", "Read more:", "Follow us on", "to stay connected",
    "Photo: Thomas Coex / AFP", "wearing a protective face mask", "Rudaw moderates all comments",
    "We will not tolerate the following", "Comments that do not meet our guidelines",
    "To be approved for publication", "Post a comment", "Advertisement", "date 2020-01-08",
    "Russia, Iran, Iraq, Syria to set up joint operations center",
]
# Subheads inside stories, which stay.
SEED_SUBHEADS = ["Iran-US escalation", "Confusion over the departure of American troops",
                 "First cracks in the international coalition", "Restraint appeals"]


def _paragraphs(raw: str) -> list[str]:
    return [p.strip() for p in raw.replace("\xa0", " ").split("\n") if len(p.strip()) > 120]


def _cleaned_seeds():
    need_shared(SEEDS)
    c = Cleaner()
    for path in sorted(SEEDS.glob("*.txt")):
        raw = path.read_text(encoding="utf-8")
        yield path.name, raw, c(raw)


def test_no_seed_boilerplate_survives():
    for name, _raw, cleaned in _cleaned_seeds():
        for phrase in SEED_BOILERPLATE:
            assert phrase not in cleaned.text, f"{phrase!r} survived in {name}"
        assert cleaned.text.strip() == cleaned.text and cleaned.text


def test_every_seed_news_paragraph_survives():
    for name, raw, cleaned in _cleaned_seeds():
        text = cleaned.text.replace("\xa0", " ")
        for para in _paragraphs(raw):
            if any(b in para for b in SEED_BOILERPLATE if b != "date 2020-01-08"):
                continue  # long boilerplate lines (caption, comment policy)
            para = para.removeprefix("date 2020-01-08 ")
            assert para in text, f"news paragraph lost in {name}: {para[:80]!r}"
        for sub in SEED_SUBHEADS:
            if sub in raw:
                assert sub in text, f"subhead {sub!r} lost in {name}"
    # the paragraph that only 003 holds, after its caption
    names = {n: c for n, _, c in _cleaned_seeds()}
    c003 = next(c for n, c in names.items() if n.startswith("003"))
    assert c003.text.startswith("ERBIL, Kurdistan Region")


def test_removed_spans_point_into_raw_and_clean():
    for name, raw, cleaned in _cleaned_seeds():
        assert cleaned.removed, name
        for span in cleaned.removed:
            assert 0 <= span.start < span.end <= len(raw)
            assert 0 <= span.at <= len(cleaned.text)
            assert raw[span.start:span.end].strip()
        shown = render_with_removed(cleaned.text, raw, cleaned.removed)
        for span in cleaned.removed:
            assert raw[span.start:span.end] in shown


def test_titles_found_and_cut_from_body():
    got = {n[:3]: c.title for n, _, c in _cleaned_seeds()}
    assert got["001"] == "Iran fires missiles at US military bases in Iraq"
    assert got["002"].startswith("France has 'no intention' of withdrawing troops")
    assert got["004"] == "IS conflict: France launches air strikes in Syria"
    assert got["000"] is None and got["003"] is None


def test_headers_marker_and_our_own_boilerplate():
    raw = ("title: Ministers meet in Oslo\noutlet: Test Wire\ndate: 2024-05-02\n\n"
           "Share\nMinisters meet in Oslo\n3 min read\n"
           "Foreign ministers from five countries met in Oslo on Thursday to discuss a truce.\n\n"
           "Talks continue\n\n"
           "The meeting ended without a joint statement, officials said.\n"
           "A delegate leaves the venue. Photo: Ann Berg / Test Wire\n"
           "Subscribe to our newsletter for daily news.\n"
           "Comments\nPlease keep comments civil; we moderate all comments.\nPost a comment\n")
    c = Cleaner()(raw)
    assert c.headers == {"title": "Ministers meet in Oslo", "outlet": "Test Wire", "date": "2024-05-02"}
    assert c.title == "Ministers meet in Oslo"
    assert c.text == ("Foreign ministers from five countries met in Oslo on Thursday to discuss a truce.\n\n"
                      "Talks continue\n\nThe meeting ended without a joint statement, officials said.")
    reasons = [s.reason for s in c.removed]
    for r in ("header", "share-button", "title", "reading-time", "photo-caption", "subscription", "comments"):
        assert r in reasons


def test_a_long_paragraph_with_boilerplate_words_is_news():
    para = ("Officials said the group would follow us on every step of the negotiation, and that the newsletter "
            "published by the ministry was accurate. " * 3).strip()
    assert Cleaner()(para).text == para


_line = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=60)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_line, st.sampled_from(["Share", "Advertisement", "Read more: x", "", "Comments"])),
                max_size=12))
def test_clean_text_is_made_only_of_raw_text(lines):
    raw = "\n".join(lines)
    c = Cleaner()(raw)
    for piece in c.text.split("\n"):
        assert piece == "" or piece in raw
    for span in c.removed:
        assert 0 <= span.start < span.end <= len(raw) and 0 <= span.at <= len(c.text)

"""Plain-text cleanup on the seeds and on text we write: boilerplate out, news in, cuts recorded."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sitrep.ingest.clean import Cleaner, render_with_removed

from .conftest import DATASETS, SEEDS, need_shared

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


STORY = ("Harbor officials closed the northern terminal on Tuesday after a fuel leak, the port authority said.\n"
         "Ferries to the islands were moved to the southern quay until inspectors finish their work.\n"
         "The leak was found by a night crew, who saw diesel on the water near berth four and raised the alarm.\n"
         "Divers sealed the broken valve by morning, and the authority expects the terminal to reopen on Friday.\n")


def test_a_signed_comment_thread_is_cut_from_the_post_footer_on():
    thread = ("By Ann Berg | March 3, 2011; 9:15 AM ET The port should have been closed weeks ago.\n"
              "Nobody listens to the dock workers. Posted by: harbourfan | March 3, 2011 10:02 AM | Report abuse "
              "The minister resigned over less in 2009. Posted by: oldsalt | March 3, 2011 10:40 AM | Report abuse\n"
              "The comments to this entry are closed.\n")
    raw = STORY + thread
    c = Cleaner()(raw, find_title=False)
    assert c.text == STORY.strip()
    cut = [s for s in c.removed if s.reason == "comment-thread"]
    assert len(cut) == 1 and raw[cut[0].start:cut[0].end] == thread.strip() and cut[0].at == len(c.text)
    assert "[-comment-thread: By Ann Berg" in render_with_removed(c.text, raw, c.removed)


def test_a_comment_thread_without_a_footer_is_cut_at_the_first_signed_line():
    thread = ("At 4:50 pm on 18 Jan 2011, harbourfan wrote: The port should have been closed weeks ago.\n"
              "At 5:02 pm on 18 Jan 2011, oldsalt wrote: Nobody listens to the dock workers.\n")
    c = Cleaner()(STORY + "\n" + thread, find_title=False)
    assert c.text == STORY.strip()
    assert [s.reason for s in c.removed] == ["comment-thread"]


def test_a_byline_at_the_top_and_posted_by_without_a_signature_are_not_threads():
    top = "By Ann Berg | March 3, 2011; 9:15 AM ET\n"  # the post's own byline, above the story
    tail = "Posted by Ann Berg on March 3, 2011 9:15 AM\n"  # an author line (no colon, no bar): not a comment
    for raw in (top + STORY, STORY + tail, top + STORY + tail):
        c = Cleaner()(raw, find_title=False)
        assert "comment-thread" not in [s.reason for s in c.removed]
        assert STORY.splitlines()[0] in c.text


def test_reader_comments_under_timeline17_blog_posts_are_cut():
    base = need_shared(DATASETS / "timeline17_dev")
    page = base / "Finan_washingtonpost" / "InputDocs" / "2008-09-24" / "42.htm.txt"
    raw = page.read_text(encoding="utf-8")
    c = Cleaner()(raw, find_title=False)
    assert len(raw.split()) > 100_000 and len(c.text.split()) < 2_000  # the story is about 1,200 words
    assert c.text.rstrip().endswith("contributed to this report .")
    assert "Report abuse" not in c.text and "Posted by :" not in c.text
    assert "John McCain this afternoon said he would suspend his presidential campaign" in c.text


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

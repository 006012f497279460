"""Event coding: PLOVER events with CAMEO codes from the seeds and from text we wrote, with the real spaCy model,
the real store and the real CLI; every exported event validated against ../shared/schemas/event.schema.json."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path

import pytest

from sitrep import Sitrep
from sitrep.events.batch import Item, code_items
from sitrep.events.lexicon import Lexicon
from sitrep.nlp.layer import LanguageConfig
from sitrep.resolve.tables import TableError
from sitrep.store import EventFilter

from .conftest import SHARED, run_cli
from .conftest import need_shared as _need

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = SHARED / "schemas" / "event.schema.json"
BOILERPLATE = re.compile(r"comment|share this|follow us|read also|read more|subscribe|newsletter|advertisement",
                         re.I)


@pytest.fixture(scope="module")
def seeds_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    seeds = _need(SHARED / "seeds")
    db = tmp_path_factory.mktemp("ev") / "seeds.duckdb"
    with Sitrep(db) as s:
        s.ingest([str(seeds)], language=LanguageConfig(workers=1))
    return db


@pytest.fixture(scope="module")
def seed_events(seeds_db: Path) -> list[dict]:
    with Sitrep(seeds_db, read_only=True) as s:
        return list(s.store.iter_events())


@pytest.fixture(scope="module")
def validator():
    import jsonschema

    schema = json.loads(_need(SCHEMA).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def codes(parties: list[dict]) -> set[str]:
    return {p["code"] for p in parties}


def countries(parties: list[dict]) -> set[str]:
    return {p["country"] for p in parties if p.get("country")}


def sentence(e: dict) -> str:
    return e["evidence"][0]["sentence"]


def pick(events: list[dict], kind: str, words: str, **want) -> list[dict]:
    hits = [e for e in events if e["event"] == kind and words in sentence(e)
            and all(e.get(k) == v for k, v in want.items())]
    assert hits, f"no {kind} in a sentence with {words!r}: " + "; ".join(
        f"{e['event']} {codes(e['actor'])}->{codes(e['recipient'])} in {sentence(e)[:80]!r}" for e in events
        if words in sentence(e))
    return hits


# -- what the seeds must show -------------------------------------------------------------------------------
def test_iran_fires_missiles_at_bases(seed_events: list[dict]) -> None:
    strikes = [e for e in seed_events if e["event"] == "ASSAULT" and "IRN" in countries(e["actor"])]
    assert strikes, "no ASSAULT by Iran"
    fired = pick(strikes, "ASSAULT", "Iran fired 22 missiles")[0]
    assert fired["date"] == "2020-01-08" and not fired["negated"] and fired["modality"] == "asserted"
    assert {"Ain al-Asad Air Base", "Erbil"} <= {p["name"] for p in fired["locations"]}
    q = {x["text"]: x for x in fired["attributes"]["quantities"]}
    assert q["22 missiles"]["value"] == 22 and q["22 missiles"]["approx"] is False
    dozen = [x for e in strikes for x in e["attributes"]["quantities"] if "dozen" in x["text"]]
    assert dozen and all(x["approx"] for x in dozen) and dozen[0]["value"] == 12
    # the recipient is the coalition forces or Iraq, where the bases stand
    assert any(countries(e["recipient"]) & {"IRQ", "USA"} or any("COALITION" in c or "Coalition" in p["name"]
               for p in e["recipient"] for c in [p["code"]]) for e in strikes)


def test_france_condemns_the_attacks(seed_events: list[dict]) -> None:
    e = pick(seed_events, "ACCUSE", "France has condemned the attacks")[0]
    assert "FRA" in countries(e["actor"]) and e["mode"] == "disapprove" and e["cameo"].startswith("11")
    attack = pick(seed_events, "ASSAULT", "France has condemned the attacks")[0]
    assert "IRN" in countries(attack["actor"])


def test_soleimani_killed_in_a_drone_strike(seed_events: list[dict]) -> None:
    e = pick(seed_events, "ASSAULT", "killed top Iranian military commander Qassem Soleimani")[0]
    assert "USA" in countries(e["actor"]) and e["date"] == "2020-01-03" and e["date_source"] == "expression"
    assert e["mode"] == "drone" and any("Soleimani" in p["name"] or p["country"] == "IRN" for p in e["recipient"])
    assert any("Baghdad" in p["name"] for p in e["locations"])


def test_withdrawals_asserted_and_negated(seed_events: list[dict]) -> None:
    germany = pick(seed_events, "RETREAT", "Germany, on Tuesday, said it had temporarily withdrawn")[0]
    assert "DEU" in countries(germany["actor"]) and not germany["negated"] and germany["date"] == "2020-01-07"
    assert germany["mode"] == "withdraw"
    france = [e for e in pick(seed_events, "RETREAT", "no intention") if "FRA" in countries(e["actor"])]
    assert france and all(e["negated"] for e in france)


def test_le_drian_will_tell_the_us_to_delay(seed_events: list[dict]) -> None:
    e = pick(seed_events, "REQUEST", "France will tell the US to delay")[0]
    assert "FRA" in countries(e["actor"]) and "USA" in countries(e["recipient"]) and e["modality"] == "future"
    assert e["attribution"] is not None and "Drian" in e["attribution"]["name"]


def test_french_jets_destroy_a_camp(seed_events: list[dict]) -> None:
    hits = [e for e in seed_events if e["event"] == "ASSAULT" and "training camp" in sentence(e)]
    assert hits, "the strike on the Islamic State camp is not coded"
    assert any("FRA" in countries(e["actor"]) for e in hits)
    assert any(e["mode"] == "aerial" for e in hits)
    assert any("ISIS" in " ".join(codes(e["recipient"])) or "SYR" in {p.get("country") for p in e["locations"]}
               for e in hits)


def test_nothing_coded_from_page_furniture(seed_events: list[dict]) -> None:
    assert len(seed_events) >= 25
    for e in seed_events:
        assert not BOILERPLATE.search(sentence(e)), sentence(e)
        assert not sentence(e).lower().startswith(("by ", "photo", "read also"))


def test_every_event_validates_and_ids_are_unique(seed_events: list[dict], validator) -> None:
    for e in seed_events:
        errors = sorted(validator.iter_errors(e), key=str)
        assert not errors, f"{e['id']}: {errors[0].message}"
        ev = e["evidence"][0]
        assert ev["sentence"] and ev["start"] < ev["end"] and ev["trigger"][0] >= ev["start"]
        assert e["num_mentions"] == e["num_articles"] == e["num_sources"] == 1
        assert e["actor"] and -10 <= e["intensity"] <= 10 and e["quad"] in (1, 2, 3, 4)
    assert len({e["id"] for e in seed_events}) == len(seed_events)


def test_trigger_offsets_point_into_the_clean_text(seeds_db: Path, seed_events: list[dict]) -> None:
    with Sitrep(seeds_db, read_only=True) as s:
        texts = {a["id"]: s.article(a["id"])["text"] for a in s.articles()[0]}
    for e in seed_events:
        ev = e["evidence"][0]
        text = texts[ev["doc_id"]]
        assert text[ev["start"]:ev["end"]] == ev["sentence"]
        assert text[ev["trigger"][0]:ev["trigger"][1]] == ev["trigger_text"]


# -- coding text we wrote -------------------------------------------------------------------------------
CASES = [
    # text, type, actor countries, recipient countries, extra checks
    ("Merkel spoke with Trump by phone on Monday.", "CONSULT", {"DEU", "USA"}, set(), {}),
    ("Iraq agreed with Russia, Iran and Syria to share intelligence on the militants.", "AGREE", {"IRQ"},
     {"RUS", "IRN", "SYR"}, {}),
    ("Two rockets were fired by Iran at the embassy compound.", "ASSAULT", {"IRN"}, set(), {}),
    ("Iran's missiles struck the base near Erbil on Tuesday.", "ASSAULT", {"IRN"}, set(), {}),
    ("Washington said it would withdraw its troops from Iraq if Baghdad cannot rein in the militias.", "RETREAT",
     {"USA"}, set(), {"modality": "hypothetical"}),
    ("Turkey denied shelling Kurdish villages in northern Syria.", "ASSAULT", {"TUR"}, set(), {"negated": True}),
    ("Police arrested 14 protesters in Tehran on Saturday.", "COERCE", {"IRN"}, set(), {"mode": "arrest"}),
    ("The European Union imposed new sanctions on Russia.", "SANCTION", set(), {"RUS"}, {}),
]


@pytest.fixture(scope="module")
def coded() -> dict[str, list[dict]]:
    items = [Item(str(n), text, date(2024, 3, 6), None) for n, (text, *_rest) in enumerate(CASES)]
    return {i: r for i, r in code_items(items, LanguageConfig(workers=1))}


@pytest.mark.parametrize("n", range(len(CASES)))
def test_written_cases(coded: dict[str, list[dict]], n: int) -> None:
    text, kind, acts, recs, extra = CASES[n]
    evs = [e for e in coded[str(n)] if e["event"] == kind]
    assert evs, f"{text!r}: got {[(e['event'], codes(e['actor'])) for e in coded[str(n)]]}"
    e = evs[0]
    got_actor = countries(e["actor"]) | {p["code"] for p in e["actor"]}
    assert acts <= got_actor, (text, e["actor"])
    assert recs <= countries(e["recipient"]) | countries(e["actor"]) if kind in ("CONSULT",) else recs <= countries(e["recipient"]), (text, e["recipient"])
    for k, v in extra.items():
        assert e[k] == v, (text, k, e[k])


def test_python_facade_codes_without_a_database() -> None:
    from sitrep import code
    from sitrep.events.batch import BadItem

    evs = list(code([{"id": "x", "text": "Russian troops shelled Kharkiv on Friday.", "date": "2022-03-06"}]))
    assert [e["event"] for e in evs] == ["ASSAULT"] and evs[0]["date"] == "2022-03-04"
    assert evs[0]["actor"][0]["country"] == "RUS" and evs[0]["mode"] == "heavy-weapons"
    with pytest.raises(BadItem, match="non-empty"):
        list(code([{"id": "y", "text": ""}]))


def test_reciprocal_actors_share_the_actor_slot(coded: dict[str, list[dict]]) -> None:
    e = [e for e in coded["0"] if e["event"] == "CONSULT"][0]
    assert countries(e["actor"]) == {"DEU", "USA"} and e["recipient"] == [] and e["mode"] == "phone"


# -- lexicon data ---------------------------------------------------------------------------------------------
def _cameo2plover() -> dict[str, str]:
    path = _need(SHARED / "reference" / "plover" / "CAMEO2PLOVER-2021.txt")
    table: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(\d{2,4}):\s*([A-Z]+)", line)
        if m:
            table.setdefault(m.group(1), m.group(2))
    return table


def test_lexicon_cameo_codes_agree_with_plover() -> None:
    table = _cameo2plover()
    lex = Lexicon.load()
    entries = {e for lst in (*lex.verbs.values(), *lex.nouns.values()) for e in lst}
    assert lex.size >= 400 and {e.event for e in entries} == set(lex.ontology.types)
    wrong = [(e.pattern, e.cameo, e.event, table[e.cameo]) for e in entries
             if len(e.cameo) > 2 and e.cameo in table and table[e.cameo] != e.event]
    assert not wrong, wrong[:10]


def test_bad_lexicon_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("pattern\tpos\tobject\tevent\tmode\tcontext\tcameo\tnote\nbomb\tverb\t\tEXPLODE\t\t\t\tx\n",
                   encoding="utf-8")
    with pytest.raises(TableError, match="unknown PLOVER type"):
        Lexicon.load([bad])
    bad.write_text("pattern\tpos\tobject\tevent\tmode\tcontext\tcameo\tnote\nbomb\tverb\t\tASSAULT\tphone\t\t\tx\n",
                   encoding="utf-8")
    with pytest.raises(TableError, match="not a PLOVER mode"):
        Lexicon.load([bad])
    r = run_cli("code", "-", "--lexicon", str(bad), input=b'{"id": 1, "text": "x"}\n')
    assert r.returncode == 1 and "not a PLOVER mode" in r.stderr.decode() and "Traceback" not in r.stderr.decode()


def test_mode_spellings_are_translated() -> None:
    onto = Lexicon.load().ontology
    assert onto.mode("ASSAULT", "PRIMATIVE") == "primitive" and onto.mode("COERCE", "SIEZE") == "seize"
    assert onto.mode("CONSULT", "THIRD-PARTY") == "third-party" and onto.mode("ASSAULT", "ASSASSINATE") == "targeted"
    assert onto.mode("ASSAULT", "phone") is None


# -- the CLI ---------------------------------------------------------------------------------------------
def test_code_command_streams_events_and_reports_bad_lines(tmp_path: Path, validator) -> None:
    lines = [
        json.dumps({"id": "a1", "text": "Iran fired 22 missiles at two Iraqi bases on Tuesday. France condemned "
                                        "the attack.", "date": "2020-01-08", "outlet": "Test Wire"}),
        "not json",
        json.dumps({"id": "a2"}),
        json.dumps({"id": 7, "text": "The weather was mild.", "date": "2020-13-01"}),
        json.dumps({"id": 8, "text": "Protesters rallied outside the parliament in Baghdad, and police fired tear "
                                     "gas at them."}),
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = run_cli("code", str(src), "-o", str(out), timeout=180)
    err = r.stderr.decode()
    assert r.returncode == 3, err
    assert "line 2" in err and "line 3" in err and "line 4" in err and "YYYY-MM-DD" in err
    events = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert {e["evidence"][0]["doc_id"] for e in events} == {"a1", "8"}
    for e in events:
        assert not list(validator.iter_errors(e))
        ev = e["evidence"][0]
        assert ev["source"] == ev["doc_id"]
    a1 = [e for e in events if e["evidence"][0]["doc_id"] == "a1"]
    text = json.loads(lines[0])["text"]
    for e in a1:
        ev = e["evidence"][0]
        assert text[ev["start"]:ev["end"]] == ev["sentence"] and ev["outlet"] == "Test Wire"
    assert {e["event"] for e in a1} >= {"ASSAULT", "ACCUSE"}
    assert any(e["event"] == "ASSAULT" and e["date"] == "2020-01-07" for e in a1)
    # stdin, and two workers give the same lines
    r1 = run_cli("code", "-", input=src.read_bytes(), timeout=180)
    r2 = run_cli("code", "-", "--workers", "2", input=src.read_bytes(), timeout=240)
    assert r1.stdout == r2.stdout and r1.stdout.decode().splitlines() == out.read_text(encoding="utf-8").splitlines()


def test_events_filters_and_exports(seeds_db: Path, tmp_path: Path, validator) -> None:
    with Sitrep(seeds_db, read_only=True) as s:
        all_events, total = s.events(EventFilter(), limit=10000)
        assert total == len(all_events)
        irn, _ = s.events(EventFilter(actor="irn"), limit=10000)
        assert irn and all(any(p["code"].upper().startswith("IRN") or "irn" in p["name"].lower() for p in e["actor"])
                           for e in irn)
        fra, _ = s.events(EventFilter(country="FRA", type="accuse"), limit=10000)
        assert fra and all(e["event"] == "ACCUSE" and "FRA" in countries(e["actor"]) | countries(e["recipient"])
                           for e in fra)
        jan3, _ = s.events(EventFilter(since=date(2020, 1, 3), until=date(2020, 1, 3)), limit=10000)
        assert jan3 and all(e["date"].startswith("2020-01-03") for e in jan3)
        confident, n = s.events(EventFilter(min_confidence=0.8), limit=10000)
        assert all(e["confidence"] >= 0.8 for e in confident) and n < total
        one = s.event(all_events[0]["id"][:10])
        assert one == all_events[0]
    r = run_cli("events", "--actor", "IRN", "--type", "ASSAULT", db=seeds_db)
    assert r.returncode == 0 and "ASSAULT" in r.stdout.decode()
    r = run_cli("events", "--type", "EXPLODE", db=seeds_db)
    assert r.returncode == 2 and "EXPLODE" in r.stderr.decode()
    r = run_cli("events", "show", all_events[0]["id"][:10], db=seeds_db)
    assert r.returncode == 0 and "evidence" in r.stdout.decode() and "[[" in r.stdout.decode()
    r = run_cli("events", "show", "zzzz", db=seeds_db)
    assert r.returncode == 1 and "no event" in r.stderr.decode()
    r = run_cli("export", "events", db=seeds_db)
    lines = r.stdout.decode().splitlines()
    assert len(lines) == total and all(not list(validator.iter_errors(json.loads(x))) for x in lines)
    r = run_cli("export", "events", "--format", "gdelt", "--actor", "IRN", db=seeds_db)
    rows = list(csv.reader(io.StringIO(r.stdout.decode()), delimiter="\t"))
    assert rows[0][:5] == ["GlobalEventID", "Day", "MonthYear", "Year", "Actor1Code"] and "SOURCEURL" in rows[0]
    assert len(rows) - 1 == len(irn) and all(len(x) == len(rows[0]) for x in rows)
    quad = rows[0].index("QuadClass")
    assert {x[quad] for x in rows[1:]} <= {"1", "2", "3", "4"}
    r = run_cli("export", "events", "--format", "csv", db=seeds_db)
    assert len(list(csv.DictReader(io.StringIO(r.stdout.decode())))) == total
    pq = tmp_path / "ev.parquet"
    r = run_cli("export", "events", "--format", "parquet", "-o", str(pq), db=seeds_db)
    import pyarrow.parquet as papq

    assert r.returncode == 0 and papq.read_table(pq).num_rows == total


def test_recode_keeps_ids_and_adds_new_events(tmp_path: Path) -> None:
    doc = tmp_path / "a.txt"
    doc.write_text("date 2021-05-04\nIran fired rockets at the embassy on Monday. Iraq befriended Jordan on "
                   "Tuesday.\n", encoding="utf-8")
    db = tmp_path / "r.duckdb"
    assert run_cli("ingest", str(doc), db=db).returncode == 0
    with Sitrep(db, read_only=True) as s:
        before = {e["id"]: e for e in s.store.iter_events()}
    assert before and not any(e["event"] == "SUPPORT" for e in before.values())
    lex = tmp_path / "mine.tsv"
    lex.write_text("pattern\tpos\tobject\tevent\tmode\tcontext\tcameo\tnote\n"
                   "befriend\tverb\t\tSUPPORT\t\tdiplomatic\t050\tour test line\n", encoding="utf-8")
    r = run_cli("recode", "--lexicon", str(lex), "--json", db=db)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["articles"] == 1
    with Sitrep(db, read_only=True) as s:
        after = {e["id"]: e for e in s.store.iter_events()}
    assert set(before) < set(after)
    new = [e for i, e in after.items() if i not in before]
    assert [e["event"] for e in new] == ["SUPPORT"] and codes(new[0]["recipient"]) == {"JOR"}
    assert new[0]["pipeline_version"] != before[next(iter(before))]["pipeline_version"]
    assert all(after[i]["event"] == before[i]["event"] for i in before)


def test_petr2_type_accuracy_beats_the_baseline() -> None:
    """The PETRARCH-2 gold sentences, coded in-process: floors under the figures in docs/accuracy.md."""
    import sys

    _need(SHARED / "datasets" / "petr2_gsr")
    sys.path.insert(0, str(ROOT / "bench"))
    import accuracy  # bench/accuracy.py

    recs = accuracy.petr2_records(SHARED / "datasets" / "petr2_gsr" / "PETR2_GSR_validation.xml")
    items = [Item(r["id"], r["text"], date.fromisoformat(r["date"]) if r["date"] else None, None) for r in recs]
    events = {i: r for i, r in code_items(items, LanguageConfig(workers=1))}
    table = accuracy.plover_table(SHARED / "reference" / "plover" / "CAMEO2PLOVER-2021.txt")
    s = accuracy.petr2_scores(recs, events, table)
    c, n = s["c"], len(s["types"])
    base = s["base_type"][1] / n
    assert n >= 55 and c["type_ok"] / n >= 0.42 and c["type_ok"] / n >= base + 0.2, (c, base)
    assert c["type_ok"] / max(1, c["coded"]) >= 0.6  # right type where an event was given
    assert c["source_ok"] / max(1, c["source_n"]) >= 0.9

"""Files derived from installed packages and kept in the cache folder (sitrep.derived): the GeoNames index of the
gazetteer and the tokenised dictionary names. Built once, read back equal, rebuilt when missing, damaged or made
from other inputs, and never needed: an unwritable folder only costs the build."""
from __future__ import annotations

from pathlib import Path

import pytest

from sitrep.derived import cache_dir, derived
from sitrep.resolve.knowledge import Knowledge
from sitrep.resolve.places import Gazetteer, _build_geonames, geonames


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SITREP_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_built_once_then_read(folder: Path) -> None:
    calls: list[int] = []

    def build() -> dict:
        calls.append(1)
        return {"a": [1, 2]}

    assert cache_dir() == folder
    assert derived("thing", ["x", b"y"], build, dict) == {"a": [1, 2]}
    assert derived("thing", ["x", b"y"], build, dict) == {"a": [1, 2]}
    assert len(calls) == 1 and len(list(folder.glob("thing-*.pickle"))) == 1
    assert derived("thing", ["x", b"z"], build, dict) == {"a": [1, 2]}  # other inputs: another file
    assert len(calls) == 2 and len(list(folder.glob("thing-*.pickle"))) == 2
    assert not list(folder.glob("*.tmp"))


def test_damaged_or_foreign_file_is_rebuilt(folder: Path) -> None:
    derived("thing", ["x"], lambda: {"ok": True}, dict)
    (path,) = folder.glob("thing-*.pickle")
    path.write_bytes(b"\x80\x05not a pickle")
    assert derived("thing", ["x"], lambda: {"ok": 2}, dict) == {"ok": 2}
    assert derived("thing", ["x"], lambda: {"ok": 3}, dict) == {"ok": 2}  # the rebuilt file is read back
    path.write_bytes(__import__("pickle").dumps([1, 2, 3]))  # readable, but not what was asked for
    assert derived("thing", ["x"], lambda: {"ok": 4}, dict) == {"ok": 4}


def test_unwritable_folder_only_costs_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SITREP_CACHE_DIR", str(blocker / "cache"))
    assert derived("thing", ["x"], lambda: {"ok": 1}, dict) == {"ok": 1}
    assert derived("thing", ["x"], lambda: {"ok": 2}, dict) == {"ok": 2}


def test_cached_gazetteer_equals_a_fresh_build(folder: Path) -> None:
    fresh = _build_geonames("cities15000.json", 15000)
    first, again = geonames(), geonames()
    assert len(list(folder.glob("geonames-*.pickle"))) == 1
    for gn in (first, again):
        assert gn.cities == fresh.cities and gn.keys == fresh.keys and gn.iso3 == fresh.iso3
        assert gn.capital_zone == fresh.capital_zone and gn.continent == fresh.continent
    kb = Knowledge()
    gaz = Gazetteer(kb)
    assert gaz.choose("Erbil").place is not None and gaz.choose("Erbil").place.country == "IRQ"
    assert {p.place_id for p in gaz.candidates("Paris")} >= {"gn-2988507"}

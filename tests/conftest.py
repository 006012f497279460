"""Shared fixtures: paths to ../shared (skipping when absent), temporary databases, and a real CLI runner."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
DATASETS = SHARED / "datasets"
CORPUS = ROOT / "examples" / "corpus"
EXPECTED = ROOT / "examples" / "corpus_expected.json"


def need_shared(path: Path = SHARED) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared test data sits beside the repository in CI)")
    return path


@pytest.fixture
def seeds() -> Path:
    return need_shared(SEEDS)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


@pytest.fixture(scope="session")
def expected() -> dict:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


def run_cli(*args: str, db: Path | None = None, input: bytes | None = None, env: dict | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real `sitrep` command in a subprocess."""
    cmd = [sys.executable, "-m", "sitrep.cli", *args]
    if db is not None:
        cmd += ["--db", str(db)]
    full_env = {**os.environ, **(env or {})}
    full_env.pop("SITREP_DB", None) if env is None or "SITREP_DB" not in env else None
    return subprocess.run(cmd, input=input, capture_output=True, timeout=timeout, env=full_env, cwd=ROOT)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def served_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of the seeds and the example corpus, built once for the API and browser tests."""
    from sitrep import Sitrep
    from sitrep.nlp.layer import LanguageConfig

    seeds = need_shared(SEEDS)
    path = tmp_path_factory.mktemp("served") / "served.duckdb"
    with Sitrep(path) as s:
        s.ingest([str(seeds), str(CORPUS)], language=LanguageConfig(workers=1))
    return path

"""A state.db from before the cache packed small blobs into it was made without auto-vacuum: the pages its
packed blobs free are reused but never given back, so `agentmake clean --cache` left it at its full size.
Emptying the cache is when rewriting it is cheap: clean --cache turns incremental auto-vacuum on (a VACUUM of
what is left), so it shrinks then, and every later trim gives space back as in a new database."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent gen:
    run = "head -c 60000 /dev/urandom | base64 > {output}"
    inputs = src/{n}.txt
    outputs = out/{n}.txt
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


def _pragma(db: Path, name: str) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return int(conn.execute(f"PRAGMA {name}").fetchone()[0])


def test_clean_cache_shrinks_a_database_made_without_auto_vacuum(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE)
    for n in range(20):
        e2e.write(f"src/{n}.txt", f"{n}\n")
    assert e2e.am().summary.ran == 20
    db = e2e.root / ".agentmake" / "state.db"
    with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as conn:  # (as an older one made it)
        conn.execute("PRAGMA auto_vacuum = NONE")
        conn.execute("VACUUM")
    assert _pragma(db, "auto_vacuum") == 0
    full = db.stat().st_size
    assert full > 20 * 60_000  # (the packed blobs are in it)
    run = e2e.am("clean", "--cache")
    assert run.code == 0, run
    assert db.stat().st_size < full // 5, (db.stat().st_size, full)
    assert _pragma(db, "auto_vacuum") == 2  # (incremental from now on: a trim gives space back too)
    assert e2e.am().summary.ran == 20  # (and the database works on)

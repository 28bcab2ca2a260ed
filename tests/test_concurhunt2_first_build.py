"""A command that only reads the state (`status`, `explain`, `-n`) run while the first build of a project is
creating its state database: every moment of that creation is visited by a reader opened from the writer's
own statement trace (the reader's open runs just before each statement of the creation), so no timing is
guessed.

The reader used to see the tables the build had made so far with the format version not yet written, and
said `state.db is of an old format (v0): nothing recorded is shown; the next build moves it aside` (found
with a `status` run in a loop while the first build started); at the very start it created the tables
itself, writing the database a build owns."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agentmake.store import schema


def _tables(db: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def _probe_creation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], skip: int
) -> list[tuple[str, set[str], set[str], str]]:
    """Create a state database as a build does, opening a reader before each statement of the schema's
    creation but the first `skip`; returns (statement, tables before, tables after, what the reader said)."""
    db = tmp_path / "state.db"
    seen: list[tuple[str, set[str], set[str], str]] = []
    made: list[sqlite3.Connection] = []
    plain = schema.connect_waiting
    statements = 0

    def probe(sql: str) -> None:
        nonlocal statements
        if not sql.lstrip().upper().startswith(("CREATE", "PRAGMA USER_VERSION =")):
            return
        statements += 1
        if statements <= skip:
            return
        before = _tables(db)
        capsys.readouterr()
        reader = schema.connect(db, may_reset=False)
        try:
            reader.execute("SELECT count(*) FROM tasks").fetchone()  # (what status reads first)
        finally:
            reader.close()
        seen.append((sql.strip().split("\n")[0], before, _tables(db), capsys.readouterr().err))

    def traced(path: str, **kwargs: object) -> sqlite3.Connection:
        conn = plain(path, **kwargs)  # type: ignore[arg-type]
        if not made:  # the build's connection: the first one opened
            conn.set_trace_callback(probe)
        made.append(conn)
        return conn

    monkeypatch.setattr(schema, "connect_waiting", traced)
    writer = schema.connect(db)
    writer.set_trace_callback(None)
    try:
        assert writer.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    finally:
        writer.close()
    assert statements > 1, "the creation's statements were not traced"
    return seen


def test_reader_during_creation_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen = _probe_creation(tmp_path, monkeypatch, capsys, skip=0)
    assert seen
    for statement, before, after, _said in seen:
        assert after == before, f"a reader opened before `{statement}` created tables: {after - before}"


def test_reader_during_creation_says_no_old_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen = _probe_creation(tmp_path, monkeypatch, capsys, skip=1)  # (the build made its first table)
    assert seen
    for statement, _before, _after, said in seen:
        assert "old format" not in said, f"a reader opened before `{statement}` said: {said}"
        assert said == "", f"a reader opened before `{statement}` said: {said}"

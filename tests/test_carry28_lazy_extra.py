"""A history row read back (`records.attempt_from_row`) decodes its `extra` (JSON) only when it is read:
a report's ledger (`Journal.spend_between`) over 10k tasks read ~86k rows and decoded every one's, ~0.5 s,
though it wants only `paid_earlier` of the cached ones (which its query now reads itself). Read or not,
the row is the one written."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from agentmake.store import AttemptRecord, Store, records


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The JSON texts `records` decodes from now on."""
    seen: list[str] = []
    json = records.json

    def loads(text: str, **kw: Any) -> Any:
        seen.append(text)
        return json.loads(text, **kw)

    monkeypatch.setattr(records, "json", SimpleNamespace(loads=loads, dumps=json.dumps))
    return seen


def _write(store: Store, rows: list[AttemptRecord]) -> None:
    for a in rows:
        store.record_attempt(a)


def test_spend_between_decodes_no_spending_rows_extra(tmp_path: Path, decoded: list[str]) -> None:
    with Store.open(tmp_path) as store:
        first = store.begin_run()
        store.end_run(first, {})
        run = store.begin_run()
        after = {"after": ["t:0", "dependency"], "runs": [[1.0, 2.0], [3.0, 4.0]]}
        _write(store, [
            AttemptRecord(run, "t:1", "done", 1.0, 4.0, 2, 0.5, 10, 5, extra=after),
            AttemptRecord(run, "t:2", "failed", 1.0, 2.0, 1, 0.25, extra={"after": ["t:1", "slot"]}),
            AttemptRecord(run, "t:3", "cached", 1.0, 1.0, 1, 0.125, extra={"paid_earlier": True}),
            AttemptRecord(run, "t:4", "cached", 1.0, 1.0, 1, 0.0625, extra={"made": {"attempts": 1}}),
        ])  # fmt: skip
        store.end_run(run, {})
        last = store.begin_run()
        decoded.clear()
        rows = store.spend_between(first, last, ["t:1", "t:2", "t:3", "t:4"])
        assert [(a.task_id, a.cost_usd) for a in rows] == [("t:1", 0.5), ("t:2", 0.25), ("t:3", 0.125)]
        # (none of the rows that spent: a cached one's, to tell whether it did, at most)
        assert set(decoded) <= {'{"paid_earlier": true}', '{"made": {"attempts": 1}}'}
        before = len(decoded)
        assert rows[0].extra == after  # (read when wanted, once)
        assert rows[0].extra is rows[0].extra
        assert len(decoded) == before + 1


def test_a_row_read_back_is_the_row_written(tmp_path: Path) -> None:
    written = [
        AttemptRecord(1, "a", "done", 1.0, 2.0, 1, 0.5, 3, 4, extra={"after": ["b", "slot"], "duration": 1}),
        AttemptRecord(1, "b", "failed", 1.0, 2.0, 2, None, None, None, "timeout", "took too long"),
        AttemptRecord(1, "c", "cached", 1.0, 1.0, 0, extra={"paid_earlier": True}),
    ]
    with Store.open(tmp_path) as store:
        run = store.begin_run()
        assert run == 1
        _write(store, written)
        read = store.attempts(run)
        assert read == written
        assert [a.extra for a in read] == [a.extra for a in written]
        assert "'after': ['b', 'slot']" in repr(read[0])
        read[1].extra["note"] = 1  # (a dict of its own, kept: as an eager record's)
        read[0].extra["note"] = 2
        assert (read[1].extra, read[0].extra["note"]) == ({"note": 1}, 2)
        assert read[2].extra is not store.attempts(run)[2].extra

"""The state database's ledger of spend found in a killed build's logs (`Journal.record_found`): the finding
build's own (`found_in`), reported by the next build if that one never ended (`spend_unsummed`), once (its
end marks it), never found in the logs again (`spend_reported`), pruned with the runs; refused, not raised,
once the store gave up waiting for the lock (the caller then counts it as before)."""

from __future__ import annotations

from pathlib import Path

from agentmake.store import Store
from agentmake.store.journal import RUNS_KEPT

PAID_AT = 1796631869.418779  # (when the attempt that paid started, as its key file says)


def _found_by_a_killed_build(root: Path) -> int:
    with Store.open(root) as store:
        run = store.begin_run()  # (never ended)
        assert store.record_found(run, "t", [(PAID_AT, "/logs/t.1", 0.0421, 10, None)])
        assert [(a.cost_usd, a.tokens_in, a.tokens_out) for a in store.found_in(run)] == [(0.0421, 10, None)]
    return run


def test_found_spend_is_reported_once_by_the_next_build(tmp_path: Path) -> None:
    killed = _found_by_a_killed_build(tmp_path)
    with Store.open(tmp_path) as store:
        assert store.spend_reported("t", PAID_AT)  # (no build counts it from the logs again)
        assert not store.spend_reported("t", PAID_AT + 1) and not store.spend_reported("u", PAID_AT)
        run = store.begin_run()
        found = store.spend_unsummed(run)
        assert [(a.run_id, a.task_id, a.state, a.cost_usd) for a in found] == [(killed, "t", "found", 0.0421)]
        assert store.found_in(run) == []  # (not this build's own find)
        store.end_run(run, {}, [killed])
    with Store.open(tmp_path) as store:
        assert store.spend_unsummed(None) == []
        assert store.spend_reported("t", PAID_AT)


def test_it_is_pruned_with_the_runs(tmp_path: Path) -> None:
    killed = _found_by_a_killed_build(tmp_path)
    with Store.open(tmp_path) as store:
        for _ in range(RUNS_KEPT):
            store.end_run(store.begin_run(), {}, [killed])
        assert store.found_in(killed) == []


def test_a_store_that_gave_up_waiting_records_nothing(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        run = store.begin_run()
        store.busy.gave_up = "Ctrl-C"
        assert not store.record_found(run, "t", [(PAID_AT, "/logs/t.1", 0.0421, 10, None)])
        assert store.found_in(run) == []

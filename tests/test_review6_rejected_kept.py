"""What an answer a build rejected or never used cost, counted as its attempt ends because its record as found
failed when it was found (`earlier.record_found`: the database busy, a full disk, for a moment), is recorded
then as found (`Spending._add_rejected`), not only held in the task's outcome: a salvaged answer's history row
holds that answer's own cost alone, so a build killed before its summary line left that spend on no line (the
next build's `Journal.spend_unsummed` did not hold it) while its key file said a build had reported it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from test_money24_salvaged_double_count import UNUSED, _Build, _record, _salvaged, _task

from agentmake.runners.salvage import key_file
from agentmake.store import Store


def test_an_unused_answer_counted_as_its_attempt_ends_is_recorded_as_found(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    with Store.open(tmp_path) as store:
        made = store.begin_run()  # (the build that made the salvaged answer, and reported it)
        store.record_success(_record(made), {})
        store.end_run(made, {"done": 1})
        run = store.begin_run()  # (killed before it ends: its summary line never printed)
        build, t = _Build(store, run), _task()
        result = _salvaged(logs)
        paid_at = result.rejected[0].paid_at
        key_file(logs / "t.1").write_text(f"k-other\n{paid_at}\n", encoding="utf-8")  # (unused: another key)
        build._add_cost(t, result)  # (its record as found failed as the attempt started: tried again now)
        now = time.time()
        build._record_done(t, result, {}, now, now, note=False)
    assert "reported" in key_file(logs / "t.1").read_text(encoding="utf-8")  # (no later build finds it)
    with Store.open(tmp_path) as store:
        rows = store.spend_unsummed(None)  # (killed: the next build's line says it; before: nothing)
        assert [(r.state, r.cost_usd, r.tokens_in) for r in rows] == [("found", pytest.approx(UNUSED), 30)]
        assert store.spend_reported("t", paid_at)  # (and no build counts it again)

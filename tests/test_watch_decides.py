"""`agentmake watch` decides each task once per change: the "nothing to do" check that comes before a build
(`agentmake.watch.idle`) decides every task, and the build it does not spare takes the tasks it found up to
date as decided, instead of deciding them all again. Read from the run's trace (`AGENTMAKE_TRACE`: the build
marks how many tasks it decided before it started anything)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_watch import AGENTFILE, Watch, write


def _decided(trace: Path) -> list[int]:
    """How many tasks each build of the traced run decided before it started anything."""
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    return [int(e["detail"]) for e in events if e["moment"] == "predecided"]


def test_a_build_after_an_edit_decides_again_only_what_the_check_did_not_find_up_to_date(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project, log = tmp_path / "proj", tmp_path / "runs.log"
    (project / "docs").mkdir(parents=True)
    (project / "Agentfile").write_text(AGENTFILE.format(log=log, sleep=""))
    for i in range(12):
        write(project / f"docs/d{i}.md", f"d{i}\n")
    trace = tmp_path / "trace.jsonl"
    monkeypatch.setenv("AGENTMAKE_TRACE", str(trace))
    w = Watch(project, log)
    try:
        w.wait_for(lambda: len(w.summaries()) == 1 and "watching" in w.stderr(), "the first build")
        assert w.summaries()[0][:4] == (13, 0, 0, 0)
        write(project / "docs/d3.md", "d3 again\n")
        assert w.next_build(1)[:4] == (2, 0, 11, 0)  # copy:d3 and the report; the other copies up to date
        assert w.runs()[12:] == ["copy:d3"]
        assert "d3 again" in (project / "build/d3.txt").read_text()
        write(project / "docs/d5.md", "d5 again\n")
        assert w.next_build(2)[:4] == (2, 0, 11, 0)
        assert w.runs()[13:] == ["copy:d5"]
    finally:
        assert w.stop() == 130
    # the first build decided the copies (the report waits for them); each later one only the copy whose
    # input changed: the other eleven the check had found up to date, and nothing changed since
    assert _decided(trace) == [12, 1, 1]

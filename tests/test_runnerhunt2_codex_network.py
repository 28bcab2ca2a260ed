"""codex with the network down says `Reconnecting... waiting for network` forever (shared/RUNNERS.md). With
--json, as the codex preset runs it, every stream error the turn retries is an `error` event on stdout
(openai/codex#32984: `{"type":"error","message":"Reconnecting... 1/5 (...)"}`), not a line on stderr; the
network watch read stderr alone, and took each such event for output (the network back), so a codex run of
the preset waited for the network until its time limit (an hour by default)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from conftest import FakeAgents, RunnerProject

from agentmake.runners.stall import NetworkWatch


def test_fake_codex_json_tells_the_wait_for_the_network_in_error_events(
    fake_agents: FakeAgents, tmp_path: Path
) -> None:
    proc = subprocess.Popen(
        [str(fake_agents.bin / "codex"), "exec", "--json", "--skip-git-repo-check", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env=fake_agents.env(),
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("q\nFAKE: fail=network")
    proc.stdin.close()
    lines = [json.loads(proc.stdout.readline()) for _ in range(4)]
    proc.kill()
    proc.wait(timeout=10)
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    assert [e["type"] for e in lines] == ["thread.started", "turn.started", "error", "error"]
    assert lines[-1]["message"] == "Reconnecting... waiting for network"
    assert "waiting for network" not in err


def test_codex_json_waiting_for_the_network_is_ended_after_the_patience(project: RunnerProject) -> None:
    task = project.agent("a", runner="codex", timeout=600.0)
    started = time.monotonic()
    res = project.run(task, "q\nFAKE: fail=network", grace=0.5, network_patience=0.5)
    assert (res.outcome, res.error_type) == ("retry", "network"), res.message
    assert time.monotonic() - started < 60
    assert '"Reconnecting... waiting for network"' in (project.root / ".agentmake/logs/a.1.out").read_text()


def test_the_watch_reads_codex_error_events_on_stdout_but_not_an_answer_quoting_them(tmp_path: Path) -> None:
    stem = tmp_path / "a.1"
    out = stem.with_name("a.1.out")
    now = [0.0]
    watch = NetworkWatch(stem, patience=10.0, clock=lambda: now[0])
    waiting = json.dumps({"type": "error", "message": "Reconnecting... waiting for network"}) + "\n"
    answer = {"type": "item.completed", "item": {"type": "agent_message", "text": waiting}}
    with open(out, "a") as fh:
        fh.write(json.dumps({"type": "turn.started"}) + "\n" + waiting)
    assert watch() is None
    for _ in range(3):  # more of the same: still waiting, not output
        now[0] += 5.0
        with open(out, "a") as fh:
            fh.write(waiting)
        result = watch()
    assert result is not None and "waited 10s for the network" in result
    # an answer that quotes the words (inside its JSON string) is output: the network is back
    watch = NetworkWatch(stem.with_name("b.1"), patience=10.0, clock=lambda: now[0])
    with open(stem.with_name("b.1.out"), "a") as fh:
        fh.write(json.dumps(answer) + "\n")
    for _ in range(3):
        now[0] += 5.0
        assert watch() is None

"""A kill -9 in the instant a file that vouches for a paid answer is created and not yet written: a
two-output agent's kept files (``<stem>.salvage/outputs.json``, `backups.keep_answer_files`) and the key file
rewritten as an answer is noted reported (`salvage.note_reported`). Either file, left empty, hid the answer
from the next build, which paid for it again (soak_kill9: seeds 2238 and 2301, a two-output `claude` agent
killed ~25 ms after its answer)."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_after_create
from e2e_helpers import E2E, Run, alive, kill_quietly, wait_for

from agentmake.runners.backups import keep_delivered_answer, kept_files
from agentmake.runners.parse import delivered
from agentmake.runners.salvage import key_file

PAIR = '''\
agent pair:
    inputs = src.txt
    outputs = out/a.txt out/b.txt
    prompt = """
        FAKE: label=pair write=out/a.txt,out/b.txt
        Write both from {{ read(input) }}
        """
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", PAIR, dedent=False)
    e2e.write("src.txt", "v1\n")
    return e2e


def test_killed_as_the_kept_files_list_is_created_the_answer_is_salvaged(e2e: E2E) -> None:
    crash_after_create(e2e, "pair.1.salvage/outputs.json")
    assert e2e.calls() == ["pair"]
    listed = e2e.root / ".agentmake" / "logs" / "pair.1.salvage" / "outputs.json"
    assert not listed.exists() or json.loads(listed.read_text()) == ["out/a.txt", "out/b.txt"]
    e2e.reset_calls()
    run = e2e.am()
    assert run.code == 0, run
    assert e2e.calls() == [], run  # not paid for again
    assert "salvaged from pair.1.out" in run.err, run
    for name in ("a", "b"):
        assert e2e.read(f"out/{name}.txt").startswith(f"written by fake claude: out/{name}.txt\n")
    again = e2e.am()
    assert again.code == 0 and again.summary.up_to_date == 1 and e2e.calls() == [], again


def test_killed_as_the_key_file_is_noted_reported_the_answer_stays_salvageable(e2e: E2E) -> None:
    crash_after_create(e2e, "pair.1.key", nth=2)  # (the first: the attempt's own, before it started)
    key = e2e.root / ".agentmake" / "logs" / "pair.1.key"
    assert key.read_text().count("\n") >= 2, "the key file lost its key"
    (e2e.root / ".agentmake" / "state.db").unlink()  # the record lost: only the logs prove the answer
    e2e.reset_calls()
    run = e2e.am()
    assert run.code == 0, run
    assert e2e.calls() == [] and "salvaged from pair.1.out" in run.err, run


def test_recovery_keeps_the_files_again_over_a_damaged_kept_list(tmp_path: Path) -> None:
    """Kept files whose list is not whole (empty: an older agentmake killed as it wrote it) are no kept
    answer: recovery keeps the files the agent wrote again rather than take them for kept and undo them."""
    root, logs = tmp_path / "proj", tmp_path / "logs"
    (root / "out").mkdir(parents=True)
    logs.mkdir()
    for name in ("a", "b"):
        (root / "out" / f"{name}.txt").write_text(f"answer {name}\n")
    stem = logs / "pair.1"
    key_file(stem).write_text("k\n1.0\n")
    result = {
        "type": "result",
        "subtype": "success",
        "is_error": False,
        "result": "done",
        "total_cost_usd": 0.1,
    }
    stem.with_name("pair.1.out").write_text(json.dumps(result) + "\n")
    keep = stem.with_name("pair.1.salvage")
    keep.mkdir()
    (keep / "outputs.json").write_text("")
    outputs = ["out/a.txt", "out/b.txt"]
    assert keep_delivered_answer(root, stem, "claude-json", outputs) == keep
    assert kept_files(keep, outputs) == {"out/a.txt": keep / "0", "out/b.txt": keep / "1"}
    assert (keep / "1").read_text() == "answer b\n"
    assert keep_delivered_answer(root, stem, "claude-json", outputs) is None  # (kept now: left as it is)


TOKENS_ONLY = '''\
agent bad:
    runner = codex
    inputs = docs/a.md
    outputs = build/bad.md
    prompt = """
        FAKE: label=bad linger=60
        Translate: {{ read(input) }}
        """
'''


def _tokens(run: Run) -> tuple[int, int] | None:
    found = re.search(r"^agentmake: .*, ([\d,]+) tokens in / ([\d,]+) out$", run.out, re.M)
    return None if found is None else (int(found[1].replace(",", "")), int(found[2].replace(",", "")))


def test_a_tokens_only_salvaged_answer_recorded_by_a_killed_build_is_said_by_the_next(e2e: E2E) -> None:
    """A codex answer (tokens, no price) a killed build paid for, salvaged by a build killed in turn after
    it recorded it and before its summary line: the build after that says its tokens, once (before: its
    history row said "cached" as a restore's does, no build's spend, and no build ever said them)."""
    from test_faults22_found_spend import _paid_then_killed

    e2e.write("Agentfile", TOKENS_ONLY)
    e2e.write("docs/a.md", "one\n")
    _paid_then_killed(e2e)
    usage = json.loads((e2e.root / ".agentmake" / "logs" / "bad.1.out").read_text().splitlines()[-1])["usage"]
    e2e.reset_calls()
    crash_after_create(
        e2e, "bad.1.key", "-j1"
    )  # (noted reported once recorded: the summary line comes later)
    assert e2e.calls() == []
    run = e2e.am("-j1")
    assert run.code == 0 and e2e.calls() == [], run
    assert _tokens(run) == (usage["input_tokens"], usage["output_tokens"]), run
    again = e2e.am("-j1")
    assert again.code == 0 and _tokens(again) is None and e2e.calls() == [], again


QUIET_PAIR = '''\
agent pair:
    inputs = src.txt
    outputs = out/a.txt out/b.txt
    prompt = """
        FAKE: label=pair write=out/a.txt,out/b.txt linger=60 answer=
        Write both from {{ read(input) }}
        """
'''


def test_a_two_output_answer_with_no_text_is_kept_and_salvaged(e2e: E2E) -> None:
    """A two-output agent's answer is its files (each checked to exist), its text may well be empty: such a
    finished, successful result proves the files whole, as one with text does. Killed after it, agentmake's
    next build keeps them and uses them (before: recovery undid them and the agent was paid again)."""
    e2e.write("Agentfile", QUIET_PAIR, dedent=False)
    (e2e.fake.state / "stop-lingering").unlink(missing_ok=True)
    e2e.reset_calls()
    build = e2e.spawn()
    try:
        wait_for(lambda: any(ev == "end" for ev, *_ in e2e.fake.log_lines()), what="the answer")
    finally:
        kill_quietly(build.pid, signal.SIGKILL)
        E2E.finish(build)
    agent = next(pid for ev, _, pid, _, _ in e2e.fake.log_lines() if ev == "end")
    wait_for(lambda: not alive(agent), what="the agent to die with agentmake")
    (e2e.fake.state / "stop-lingering").touch()
    out = (e2e.root / ".agentmake" / "logs" / "pair.1.out").read_text()
    assert json.loads(out)["result"] == "", out  # (no text: the files are the answer)
    e2e.reset_calls()
    run = e2e.am()
    assert run.code == 0, run
    assert e2e.calls() == [] and "salvaged from pair.1.out" in run.err, run
    assert e2e.read("out/b.txt").startswith("written by fake claude: out/b.txt\n")


def test_a_two_output_agent_answering_no_text_succeeds() -> None:
    """What a finished result proves, for one output (its text is the answer) and for several (its files)."""
    done = json.dumps({"type": "result", "subtype": "success", "is_error": False, "result": " "})
    assert delivered("claude-json", done, "") is None
    parsed = delivered("claude-json", done, "", answer_needed=False)
    assert parsed is not None and not parsed.is_error
    error = json.dumps({"type": "result", "subtype": "error_max_turns", "is_error": True})
    assert delivered("claude-json", error, "", answer_needed=False) is None

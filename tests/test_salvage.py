"""An answer paid for but not recorded (agentmake `kill -9`ed while the agent, its answer printed, was still
exiting) is used by the next run instead of asking again: only for the same key, only when the output proves
the agent finished (JSON runners), never with -B, and only if it passes the agent's check."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FakeAgents, RunnerProject
from e2e_helpers import E2E, Run, alive, kill_quietly, wait_for

from agentmake.runners.parse import delivered
from agentmake.runners.salvage import done_file, key_file


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    return E2E(tmp_path / "proj", fake_agents)


CLAUDE_RESULT = {
    "type": "result", "subtype": "success", "is_error": False, "result": "bonjour",
    "total_cost_usd": 0.25, "usage": {"input_tokens": 3, "output_tokens": 4},
}  # fmt: skip


def test_only_a_finished_successful_output_is_delivered() -> None:
    done = json.dumps(CLAUDE_RESULT)
    parsed = delivered("claude-json", done + "\n", "")
    assert parsed is not None and parsed.answer == "bonjour" and parsed.cost_usd == 0.25
    assert delivered("claude-json", done[: len(done) // 2], "") is None  # cut off: no result record
    assert delivered("claude-json", json.dumps({**CLAUDE_RESULT, "is_error": True}), "") is None
    assert delivered("claude-json", json.dumps({**CLAUDE_RESULT, "result": "  "}), "") is None
    assert delivered("claude-json", json.dumps({**CLAUDE_RESULT, "subtype": "error_max_turns"}), "") is None
    message = {"type": "item.completed", "item": {"type": "agent_message", "text": "hola"}}
    turn = {"type": "turn.completed", "usage": {"input_tokens": 1, "output_tokens": 2}}
    assert delivered("codex-jsonl", json.dumps(message) + "\n", "") is None  # the turn never completed
    codex = delivered("codex-jsonl", json.dumps(message) + "\n" + json.dumps(turn) + "\n", "")
    assert codex is not None and codex.answer == "hola"
    gemini = delivered("gemini-json", json.dumps({"response": "hallo", "stats": {}}), "")
    assert gemini is not None and gemini.answer == "hallo"
    assert delivered("llm-json", json.dumps([{"response": "ciao"}]), "") is not None
    assert delivered("text", "a whole answer, or half of one: nobody can tell\n", "") is None


AGENTFILE = '''\
lang = "French"

agent translate:
    inputs = docs/{name}.md
    outputs = build/{name}.md
    prompt = """
        FAKE: label={{ name }} sleep=0.5 linger=60
        Translate into {{ lang }}:
        {{ read(input) }}
        """

agent plain:
    runner = llm
    inputs = docs/a.md
    outputs = build/plain.md
    prompt = """
        FAKE: label=plain linger=60
        Summarise: {{ read(input) }}
        """
'''


def _answered_then_killed(e2e: E2E, labels: set[str], *args: str) -> int:
    """Start a build, wait until every agent in `labels` has printed its whole answer (each then lingers
    before exiting), `kill -9` agentmake; returns its pid once the agents are gone too (parent death)."""
    (e2e.fake.state / "stop-lingering").unlink(missing_ok=True)
    e2e.reset_calls()
    build = e2e.spawn(*args)
    try:
        wait_for(lambda: {lb for ev, _, _, _, lb in e2e.fake.log_lines() if ev == "end"} >= labels,
                 timeout=30, what="every agent to answer")  # fmt: skip
        agents = [pid for ev, _, pid, _, lb in e2e.fake.log_lines() if ev == "end" and lb in labels]
        assert all(alive(pid) for pid in agents), "the agents linger after answering"
    finally:
        kill_quietly(build.pid, signal.SIGKILL)
        E2E.finish(build)
    wait_for(lambda: not any(alive(pid) for pid in agents), what="the agents to die with agentmake")
    (e2e.fake.state / "stop-lingering").touch()  # agents asked again from now on exit at once
    return build.pid


def test_a_killed_runs_answers_are_salvaged_for_the_same_key_only(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE, dedent=False)
    for name in "abc":
        e2e.write(f"docs/{name}.md", f"doc {name}\n")
    _answered_then_killed(e2e, {"a", "b", "c", "plain"})
    assert not e2e.exists("build/a.md")  # the answers never reached their outputs
    e2e.write("docs/b.md", "doc b, edited\n")  # b's key changes: its old answer is for another prompt
    e2e.reset_calls()
    run = e2e.am()
    assert run.code == 0, run
    assert sorted(e2e.calls()) == ["b", "plain"], run  # b: new key; plain: text output proves nothing
    for name in "ac":
        assert e2e.read(f"build/{name}.md") == f"ANSWER:\nTranslate into French:\ndoc {name}\n"
        notice = next(line for line in run.err.splitlines() if line.startswith(f"! translate:{name}: "))
        assert "an answer for the same key, never recorded, salvaged from" in notice, run
        assert notice.endswith(".out: not asked again"), run
    assert e2e.read("build/b.md") == "ANSWER:\nTranslate into French:\ndoc b, edited\n"
    assert "! translate:b:" not in run.err and "! plain:" not in run.err, run
    summary = run.summary  # a and c: no call made, shown as cached; b and plain ran and were paid for
    assert (summary.ran, summary.cached) == (2, 2) and summary.cost is not None and summary.cost > 0, run
    rows = {r["task"]: r for r in json.loads(e2e.am("status", "--json").out)}
    for name in "ac":  # recorded as taking as long as its attempt did, not the moment of salvaging it
        assert rows[f"translate:{name}"]["last_duration"] >= 0.5, rows
    again = e2e.am()
    assert again.code == 0 and again.summary.up_to_date == 4 and sorted(e2e.calls()) == ["b", "plain"], again


def test_B_and_a_failing_check_ask_again(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE.split("agent plain")[0], dedent=False)
    for name in "ab":
        e2e.write(f"docs/{name}.md", f"doc {name}\n")
    _answered_then_killed(e2e, {"a", "b"})
    e2e.reset_calls()
    forced = e2e.am("-B")
    assert forced.code == 0, forced
    assert sorted(e2e.calls()) == ["a", "b"] and "salvaged" not in forced.err, forced

    # (a retry's prompt quotes the failed check, which the fake echoes: the word is put together so that
    # the quote does not hold it, and the retry's answer fails the check too)
    checked = AGENTFILE.split("agent plain")[0] + '    check = "grep -q $(printf edi)ted {output}"\n'
    e2e.write("Agentfile", checked, dedent=False)
    e2e.write("docs/a.md", "doc a, second\n")
    e2e.write("docs/b.md", "doc b, edited\n")
    _answered_then_killed(e2e, {"a", "b"})
    e2e.reset_calls()
    run = e2e.am()
    assert run.code == 1, run  # a's answer fails its check, salvaged or asked again
    assert e2e.calls().count("a") >= 1 and "b" not in e2e.calls(), run
    assert e2e.read("build/b.md") == "ANSWER:\nTranslate into French:\ndoc b, edited\n"


def test_the_key_file_is_written_after_the_older_logs_are_gone(project: RunnerProject) -> None:
    """Never an old answer beside a new key: `_note_key` removes the attempt's older logs first."""
    task = project.agent("t")
    executor = project.executor()
    stem = executor._stem(task, 1)
    for suffix, text in ((".out", json.dumps(CLAUDE_RESULT)), (".err", "old"), (".key", "old-key")):
        stem.with_name(stem.name + suffix).write_text(text)
    executor._note_key(task, stem, "new-key")
    key, started = key_file(stem).read_text().splitlines()
    assert key == "new-key" and abs(float(started) - time.time()) < 60
    assert os.listdir(stem.parent) == [key_file(stem).name]  # the old answer and its stderr are gone
    done_file(stem).write_text("")  # an earlier plain-text attempt's proof of success
    executor._note_key(project.agent("t", runner="llm"), stem, "other-key")
    assert key_file(stem).read_text().startswith("other-key\n")  # plain text too: its `.done` proves it
    assert not done_file(stem).exists()  # the old proof never stands beside a new key


def test_clean_cache_forgets_the_answers_in_the_logs(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE.split("agent plain")[0], dedent=False)
    e2e.write("docs/a.md", "doc a\n")
    _answered_then_killed(e2e, {"a"})
    assert list((e2e.root / ".agentmake" / "logs").glob("*.key")), "the attempt wrote its key"
    cleaned = e2e.am("clean", "--cache")
    assert cleaned.code == 0, cleaned
    assert not list((e2e.root / ".agentmake" / "logs").glob("*.key"))
    e2e.reset_calls()
    run = e2e.am()
    assert run.code == 0 and e2e.calls() == ["a"] and "salvaged" not in run.err, run


READER = """
import sys, threading
from pathlib import Path
from agentmake.runners.process import run_process
d = Path(sys.argv[1])
child = "echo $$ > started.tmp && mv started.tmp started; while [ ! -e go ]; do sleep 0.01; done; "
child += "echo answer; touch printed; sleep 30"
run_process(["sh", "-c", child], stdin=None, env=None, cwd=d, stdout_path=d / "a.out",
            stderr_path=d / "a.err", timeout=None, cancel=threading.Event(), parent_death=True)
"""


def test_an_llm_agents_answer_is_on_disk_though_agentmake_never_read_it(tmp_path: Path) -> None:
    """LLM agents write into their log files themselves: nothing waits in a pipe for a reader that died."""
    reader = subprocess.Popen([sys.executable, "-c", READER, str(tmp_path)])
    try:
        wait_for(lambda: (tmp_path / "started").exists(), what="the agent to start")
        os.kill(reader.pid, signal.SIGSTOP)  # agentmake reads nothing from now on
        (tmp_path / "go").touch()
        wait_for(lambda: (tmp_path / "printed").exists(), what="the agent to print its answer")
    finally:
        kill_quietly(reader.pid, signal.SIGKILL)
        reader.wait(timeout=10)
        with contextlib.suppress(OSError, ValueError):  # the agent's group (its `sleep`) too
            os.killpg(int((tmp_path / "started").read_text()), signal.SIGKILL)
    assert (tmp_path / "a.out").read_text() == "answer\n"


PAIR = '''\
agent pair:
    inputs = src.txt
    outputs = out/a.txt out/b.txt
    prompt = """
        FAKE: label=pair write=out/a.txt,out/b.txt sleep=0.3 linger=60
        Write both from {{ read(input) }}
        """
'''


def test_a_multi_output_agents_files_are_kept_by_recovery_and_salvaged_for_the_same_key(e2e: E2E) -> None:
    """An agent that writes its outputs itself: recovery puts the old outputs back (the killed attempt was
    never recorded) but first keeps the files a finished, successful answer wrote; the next run uses them."""
    e2e.write("Agentfile", PAIR, dedent=False)
    e2e.write("src.txt", "v1\n")
    (e2e.fake.state / "stop-lingering").touch()
    assert e2e.am().code == 0
    old = e2e.read("out/a.txt")
    e2e.write("src.txt", "v2\n")
    _answered_then_killed(e2e, {"pair"})
    assert "v2" in e2e.read("out/a.txt") and "v2" in e2e.read("out/b.txt")  # written, never recorded
    e2e.reset_calls()
    run = e2e.am()
    assert run.code == 0, run
    assert e2e.calls() == [], run  # not asked again
    assert "its finished answer kept in" in run.err, run
    assert "an answer for the same key, never recorded, salvaged from pair.1.out" in run.err, run
    for name in ("a", "b"):
        text = e2e.read(f"out/{name}.txt")
        assert text.startswith(f"written by fake claude: out/{name}.txt\n") and "v2" in text, text
    assert e2e.read("out/a.txt") != old
    again = e2e.am()
    assert again.code == 0 and again.summary.up_to_date == 1 and e2e.calls() == [], again


def test_kept_files_are_not_used_for_another_key_or_after_clean_cache(e2e: E2E) -> None:
    e2e.write("Agentfile", PAIR, dedent=False)
    e2e.write("src.txt", "v1\n")
    _answered_then_killed(e2e, {"pair"})
    e2e.write("src.txt", "v1, edited\n")  # another prompt: the kept files answer the old one
    e2e.reset_calls()
    run = e2e.am()
    assert run.code == 0 and e2e.calls() == ["pair"] and "salvaged" not in run.err, run
    assert "v1, edited" in e2e.read("out/a.txt")
    kept = e2e.root / ".agentmake" / "logs" / "pair.1.salvage"
    assert "v1, edited" in (kept / "0").read_text(), "a new attempt replaces them"

    e2e.write("src.txt", "v3\n")
    _answered_then_killed(e2e, {"pair"})
    assert e2e.am("status").code == 0  # a later command recovers (and keeps the answer) when idle
    assert "v3" in (kept / "0").read_text()
    assert e2e.am("clean", "--cache").code == 0
    assert not list((e2e.root / ".agentmake" / "logs").glob("*.salvage"))
    e2e.reset_calls()
    run = e2e.am()
    assert run.code == 0 and e2e.calls() == ["pair"] and "salvaged" not in run.err, run
    assert "v3" in e2e.read("out/a.txt")


def test_a_multi_output_answer_recorded_then_lost_with_the_state_is_salvaged(e2e: E2E) -> None:
    """A successful attempt keeps its files beside its log before staging them (agentmake may die before it
    records them, after the agent is gone): with the state database lost, the next run uses them."""
    e2e.write("Agentfile", PAIR, dedent=False)
    e2e.write("src.txt", "v1\n")
    (e2e.fake.state / "stop-lingering").touch()
    assert e2e.am().code == 0
    kept = e2e.root / ".agentmake" / "logs" / "pair.1.salvage"
    assert json.loads((kept / "outputs.json").read_text()) == ["out/a.txt", "out/b.txt"]
    assert [(kept / n).read_text() for n in "01"] == [e2e.read("out/a.txt"), e2e.read("out/b.txt")]
    (e2e.root / ".agentmake" / "state.db").unlink()
    e2e.reset_calls()
    run = e2e.am()
    assert run.code == 0 and e2e.calls() == [] and "salvaged from pair.1.out" in run.err, run
    assert "v1" in e2e.read("out/b.txt")


def test_a_multi_output_answer_cut_short_by_ctrl_c_is_salvaged(e2e: E2E) -> None:
    """Ctrl-C while the agent, its files written and its answer printed, is still exiting: agentmake ends it
    and undoes its files, but keeps them first; the next run uses them."""
    e2e.write("Agentfile", PAIR, dedent=False)
    e2e.write("src.txt", "v1\n")
    (e2e.fake.state / "stop-lingering").unlink(missing_ok=True)
    e2e.reset_calls()
    build = e2e.spawn()
    try:
        wait_for(lambda: any(ev == "end" for ev, *_ in e2e.fake.log_lines()), timeout=30, what="the answer")
        build.send_signal(signal.SIGINT)
        out, err = build.communicate(timeout=30)
    finally:
        kill_quietly(build.pid, signal.SIGKILL)
    assert build.returncode == 130, out + err
    assert not e2e.exists("out/a.txt")  # undone: the attempt was never recorded
    (e2e.fake.state / "stop-lingering").touch()
    e2e.reset_calls()
    run = e2e.am()
    assert run.code == 0 and e2e.calls() == [] and "salvaged from pair.1.out" in run.err, run
    assert "v1" in e2e.read("out/a.txt") and "v1" in e2e.read("out/b.txt")


def _last_costs(e2e: E2E) -> dict[str, float | None]:
    return {r["task"]: r["last_cost"] for r in json.loads(e2e.am("status", "--json").out)}


def _assert_salvaged_at_no_cost(e2e: E2E, run: Run, names: str, wording: str) -> None:
    """`run` (its budget below one answer's cost) salvaged every task in `names`: no call, nothing spent."""
    assert e2e.calls() == [], run  # no agent was asked
    assert run.code == 0 and "budget" not in run.text, run  # nothing was spent, so no budget was reached
    summary = run.summary
    assert (summary.ran, summary.cached, summary.not_run) == (0, len(names), 0), run
    assert summary.cost is None, run  # the answers were paid for by an earlier build
    for name in names:
        notice = next(line for line in run.err.splitlines() if line.startswith(f"! translate:{name}: "))
        assert f"an answer for the same key, {wording}, salvaged from" in notice, run
        assert e2e.read(f"build/{name}.md") == f"ANSWER:\nTranslate into French:\ndoc {name}\n"


def test_a_salvaged_answer_never_reported_is_counted_by_this_build(e2e: E2E) -> None:
    """No call is made, but the killed run that paid for the answers never reported it: this build counts it
    in its total, saying so, and against its `--budget` (`test_salvage_cost`); the task's record keeps the
    answer's cost."""
    e2e.write("Agentfile", AGENTFILE.split("agent plain")[0], dedent=False)
    for name in "ab":
        e2e.write(f"docs/{name}.md", f"doc {name}\n")
    _answered_then_killed(e2e, {"a", "b"})
    e2e.reset_calls()
    run = e2e.am("-j1", "--budget", "0.000001")  # below one answer's cost
    assert e2e.calls() == [] and run.code == 0, run
    assert (run.summary.ran, run.summary.cached) == (0, 2) and "paid by an interrupted run" in run.out, run
    costs = _last_costs(e2e)
    assert all(costs[f"translate:{n}"] for n in "ab"), costs
    assert run.summary.cost == pytest.approx(sum(costs.values()), abs=0.006), run  # type: ignore[arg-type]


def test_a_recorded_answer_gone_from_the_cache_is_salvaged_at_no_cost(e2e: E2E) -> None:
    """The key was recorded (its cache entry is gone: evicted, or failed to restore): salvaged as well, at no
    cost, and the notice does not claim it was never recorded."""
    e2e.write("Agentfile", AGENTFILE.split("agent plain")[0], dedent=False)
    for name in "ab":
        e2e.write(f"docs/{name}.md", f"doc {name}\n")
    (e2e.fake.state / "stop-lingering").touch()
    assert e2e.am("-j1").code == 0 and len(e2e.calls()) == 2
    paid = _last_costs(e2e)
    assert all(paid[f"translate:{n}"] for n in "ab"), paid
    with contextlib.closing(sqlite3.connect(e2e.root / ".agentmake" / "state.db")) as conn, conn:
        conn.execute("DELETE FROM cache")  # as an eviction would
    for name in "ab":
        (e2e.root / f"build/{name}.md").unlink()
    e2e.reset_calls()
    run = e2e.am("-j1", "--budget", "0.000001")
    _assert_salvaged_at_no_cost(e2e, run, "ab", "recorded before but not in the cache")
    assert _last_costs(e2e) == paid, "the record keeps what the answer cost"
    again = e2e.am()
    assert again.code == 0 and again.summary.up_to_date == 2 and e2e.calls() == [], again


def test_a_plain_text_answer_the_build_could_not_record_is_salvaged(
    e2e: E2E, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plain-text runner's answer came back whole (its process exited 0), then the build stopped before
    recording it (here the state database failed; a full disk or a crash alike): the next build used to ask
    again, paying twice. The attempt's `.done` mark proves the answer; one cut short has none (see
    `test_a_killed_runs_answers_are_salvaged_for_the_same_key_only`: `plain` is asked again)."""
    from agentmake.cli import main
    from agentmake.store import Store

    e2e.write("Agentfile", 'agent plain:\n    runner = llm\n    inputs = in.md\n    outputs = out.md\n'
              '    prompt = "FAKE: label=plain\\nSummarise: {{ read(input) }}"\n', dedent=False)  # fmt: skip
    e2e.write("in.md", "the text\n")
    real = Store.record_success

    def broken(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Store, "record_success", broken)
    assert main(["-C", str(e2e.root)]) == 2
    assert e2e.calls() == ["plain"] and not e2e.exists("out.md")
    monkeypatch.setattr(Store, "record_success", real)
    capsys.readouterr()
    assert main(["-C", str(e2e.root)]) == 0
    captured = capsys.readouterr()
    assert e2e.calls() == ["plain"], "the answer paid for was asked for again"
    assert "Summarise: the text" in e2e.read("out.md")
    assert "salvaged from" in captured.err and "0 ran, 1 cached" in captured.out, captured

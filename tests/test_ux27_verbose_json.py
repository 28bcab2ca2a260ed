"""`agentmake -v` with a CLI answering in JSON (claude) echoed its raw result object; it now tells what a user
reads: the answer's lines, then the cost, turns and tokens the CLI reported. The raw output stays in the
attempt's log, where it was (ux27). A text CLI's output is still streamed as it comes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.execute import streams_events
from agentmake.runners.parsed import Parsed
from agentmake.runners.verbose import tell_parsed

ONE = 'agent a:\n    outputs = a.md\n    prompt = "FAKE: label=a answer=first line\\\\nsecond line"\n'


def test_verbose_claude_shows_the_answer_and_its_figures_not_the_raw_json(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("Agentfile", ONE, dedent=False)
    run = e2e.am("-v")
    assert run.code == 0 and run.summary.cost is not None, run
    assert '"type":"result"' not in run.err and "total_cost_usd" not in run.err, run  # (was echoed whole)
    lines = run.err.splitlines()
    i = lines.index("[a] first line")
    assert lines[i + 1] == "[a] second line", run
    assert lines[i + 2].startswith("[a] (cost $0.0000") and ", 1 turn, " in lines[i + 2], run
    raw = (e2e.root / ".agentmake" / "logs" / "a.1.out").read_text()
    assert '"total_cost_usd"' in raw and '"num_turns":1' in raw  # (the raw JSON, kept in the log)


def test_verbose_text_runner_still_streams_its_output(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("Agentfile", 'agent a:\n    outputs = a.md\n    run = "echo hello; echo x > {output}"\n')
    run = e2e.am("-v")
    assert run.code == 0 and "[a] hello" in run.err, run


def test_a_failed_attempt_tells_its_error_and_what_it_cost() -> None:
    out = io.StringIO()
    tell_parsed(
        "t",
        Parsed(is_error=True, error="claude stopped (error_max_turns)", cost_usd=0.5, turns=9),
        stream=out,
    )
    assert out.getvalue() == "[t] error: claude stopped (error_max_turns)\n[t] (cost $0.50, 9 turns)\n"
    tell_parsed("t", Parsed(), stream=out)  # (nothing parsed: cancelled)
    assert out.getvalue().count("\n") == 2


def test_verbose_codex_still_streams_its_progress_events(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """codex's stdout is a stream of JSONL events, its progress as it works: `-v` shows them as they come (a
    long codex attempt showed nothing until it ended, its stderr only "Reading additional input...")."""
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("Agentfile", ONE.replace("agent a:\n", "agent a:\n    runner = codex\n"), dedent=False)
    run = e2e.am("-v")
    assert run.code == 0, run
    # (as its text, not the raw events: heldux29)
    assert "[a] first line" in run.err.splitlines() and '"thread.started"' not in run.err, run


CLAUDE_STREAM = (
    'runner s:\n    base = claude\n    command = "claude -p --output-format stream-json --verbose"\n\n'
)
STREAM_JSON = {  # (runners told to print a stream of JSON events: claude's and gemini's `stream-json`)
    "claude": (CLAUDE_STREAM, '"type":"result"'),
    "gemini": ('runner s:\n    base = gemini\n    command = "gemini -o stream-json"\n\n', '"type":"init"'),
}  # fmt: skip


@pytest.mark.parametrize("cli", sorted(STREAM_JSON))
def test_verbose_stream_json_runners_still_stream_their_events(
    cli: str, tmp_path: Path, fake_agents: FakeAgents
) -> None:
    """A claude or gemini runner told `stream-json` prints its progress as JSONL events while it works, as
    codex does: `-v` shows them as they come, not nothing until the attempt ends (its format is claude-json or
    gemini-json, as the single-object `json`'s, which is told once parsed)."""
    runner, event = STREAM_JSON[cli]
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("Agentfile", runner + ONE.replace("agent a:\n", "agent a:\n    runner = s\n"), dedent=False)
    run = e2e.am("-v")
    assert run.code == 0, run
    # (as its text, not the raw events: heldux29)
    assert "[a] first line" in run.err.splitlines() and event not in run.err, run.err


def test_which_runners_stream_their_events() -> None:
    assert streams_events("claude-json", ("claude", "-p", "--output-format=stream-json", "--verbose"))
    assert streams_events("gemini-json", ("gemini", "-o", "stream-json"))
    assert streams_events("codex-jsonl", ("codex", "exec", "--json", "-"))
    assert not streams_events("claude-json", ("claude", "-p", "--output-format", "json"))
    assert not streams_events("gemini-json", ("gemini", "-o", "json"))

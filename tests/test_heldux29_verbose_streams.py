"""(heldux29) `-v` with a CLI that streams JSON events as it works (claude's and gemini's `stream-json`,
codex's `--json`) showed the raw events; it now shows what they say as they come: the agent's text, the
tools it calls, an error once, the figures of the result. codex's "Reading additional input from stdin...",
printed on stderr at every call, is no longer shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.verbose import Shown

ONE = 'agent a:\n    outputs = a.md\n    prompt = "FAKE: label=a answer=first line\\\\nsecond line"\n'
RUNNERS = {
    "claude": (
        'runner s:\n    base = claude\n    command = "claude -p --output-format stream-json --verbose"\n\n'
    ),
    "gemini": 'runner s:\n    base = gemini\n    command = "gemini -o stream-json"\n\n',
    "codex": "runner s:\n    base = codex\n\n",
}


@pytest.mark.parametrize("cli", sorted(RUNNERS))
def test_verbose_tells_streamed_events_as_their_text(
    cli: str, tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write(
        "Agentfile", RUNNERS[cli] + ONE.replace("agent a:\n", "agent a:\n    runner = s\n"), dedent=False
    )
    run = e2e.am("-v")
    assert run.code == 0, run
    lines = run.err.splitlines()
    i = lines.index("[a] first line")
    assert lines[i + 1] == "[a] second line", run.err
    assert lines[i + 2].startswith("[a] (") and " tokens in / " in lines[i + 2], run.err  # (the figures)
    assert '"type"' not in run.err, run.err  # (no raw event)
    assert "Reading additional input from stdin" not in run.err, run.err


def test_gemini_pieces_of_a_message_are_joined_into_lines() -> None:
    shown = Shown("gemini", "gemini-json")

    def piece(text: str) -> str:
        return json.dumps({"type": "message", "role": "assistant", "content": text, "delta": True})

    assert shown(piece("hel"), False) == []
    assert shown(piece("lo\nwor"), False) == ["hello"]
    assert shown(json.dumps({"type": "result", "status": "success"}), False) == ["wor"]


def test_codex_error_is_said_once_and_its_stdin_line_left_out() -> None:
    shown = Shown("codex", "codex-jsonl")
    said = "exceeded retry limit, last status: 429 Too Many Requests"
    assert shown(json.dumps({"type": "error", "message": said}), False) == [f"error: {said}"]
    assert shown(json.dumps({"type": "turn.failed", "error": {"message": said}}), False) == []
    assert shown("Reading additional input from stdin...", True) == []
    assert shown("ERROR: something else", True) is None  # (shown as printed)
    assert Shown("claude", None)("Reading additional input from stdin...", True) is None


def test_a_gemini_error_is_shown_once(tmp_path: Path, fake_agents: FakeAgents) -> None:
    """(heldux29) gemini `-o json` prints its error as a JSON object on stderr: `-v` streamed it raw, then
    told the parsed error: twice. The object is left out; the error is told once."""
    e2e = E2E(tmp_path / "p", fake_agents)
    agent = 'agent a:\n    runner = gemini\n    outputs = a.md\n    prompt = "FAKE: label=a fail=500"\n'
    e2e.write("Agentfile", "retries = 0\n\n" + agent, dedent=False)
    run = e2e.am("-v")
    assert run.code == 1, run
    assert run.err.count("Internal error encountered") == 3, (
        run.err
    )  # (-v's line, the failed line, failures:)
    assert "[a] error: [API Error: Internal error encountered.]" in run.err.splitlines(), run.err
    assert '"error"' not in run.err, run.err


def test_other_json_on_stderr_is_still_shown() -> None:
    shown = Shown("gemini", None, told=True)
    assert [shown(line, True) for line in ("{", '  "note": 1', "}")] == [[], [], ["{", '  "note": 1', "}"]]
    assert shown('{"error": {"message": "x"}}', True) == []
    assert shown("{ not json", True) == [] and shown.end() == ([], ["{ not json"])  # (held until the end)
    assert shown("Loaded cached credentials.", True) is None

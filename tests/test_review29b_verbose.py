"""(review29b) Under -v: a JSON error object a CLI printed on stderr was left out wherever its answer is
told once parsed, even where that answer was a success and nothing told the object's message (a proxy's
warning beside claude's answer): it was shown nowhere. And a line of JSON nested beyond Python's recursion
limit in a stream of events ended the thread that shows the attempt's lines, with a traceback."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.verbose import Shown

WARNED = """\
runner c:
    base = claude

agent a:
    runner = c
    outputs = a.md
    prompt = "FAKE: stderr={\\"error\\": {\\"message\\": \\"proxy: near quota\\"}}\\nhello"
"""


def test_an_error_object_beside_a_success_is_shown(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("Agentfile", WARNED, dedent=False)
    run = e2e.am("-v")
    assert run.code == 0, run
    assert '[a!] {"error": {"message": "proxy: near quota"}}' in run.err.splitlines(), run.err  # (nowhere)
    assert "[a] hello" in run.err.splitlines(), run.err


def test_a_line_nested_beyond_reason_is_shown_as_printed() -> None:
    deep = "[" * 5000 + "]" * 5000
    for shown in (Shown("claude", "claude-json"), Shown("gemini", "gemini-json", told=True)):
        assert shown(deep, False) == [deep]  # (as printed; it raised RecursionError)
    shown = Shown("gemini", None, told=True)
    assert shown("{" + '"a":{' * 3000 + "}" * 3001, True) == ["{" + '"a":{' * 3000 + "}" * 3001]

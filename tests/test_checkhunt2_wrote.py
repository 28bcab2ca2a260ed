"""A single-output agent allowed to write files wrote its own output path while it ran; agentmake moved
that beside the attempt's logs (`<task>.<attempt>.wrote`). When the answer then fails its `check`, the run
must still say where that file went (README: "and the run says so"), as it does for any other failure."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
runner claude:
    command = "claude -p --output-format json --permission-mode acceptEdits"
agent a:
    runner = claude
    prompt = prompts/a.md
    outputs = out.json
    check = json
    retries = 0
"""


def test_a_failed_check_still_says_where_what_the_agent_wrote_went(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e = E2E(tmp_path / "p", fake_agents)
    e.write("Agentfile", AGENTFILE, dedent=False)
    e.write("out.json", '{"before": 1}\n')
    e.write("prompts/a.md", "FAKE: write=out.json answer=not json\n")
    run = e.am()
    assert run.code == 1, run
    assert "not valid JSON" in run.err
    kept = e.root / ".agentmake" / "logs" / "a.1.wrote"
    assert kept.read_text().startswith("written by fake claude: out.json")
    assert e.read("out.json") == '{"before": 1}\n'  # (the output keeps what it held before)
    assert str(kept) in run.err, run.err
    assert "keeps what it held before" in run.err

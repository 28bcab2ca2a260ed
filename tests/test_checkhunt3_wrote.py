"""What a single-output agent wrote to its own output path is kept per attempt (`<task>.<attempt>.wrote`):
a retry's does not replace the earlier attempt's, and each failure names its own. `clean --leftovers`
removes these files of a task it forgets, as it removes its logs (they were left for ever)."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
backoff = 0
runner claude:
    command = "claude -p --output-format json --permission-mode acceptEdits"
agent a:
    runner = claude
    prompt = prompts/a.md
    outputs = out.json
    check = json
    retries = 1
"""


def test_each_attempt_keeps_what_its_agent_wrote(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e = E2E(tmp_path / "p", fake_agents)
    e.write("Agentfile", AGENTFILE, dedent=False)
    e.write("out.json", '{"before": 1}\n')
    e.write("prompts/a.md", "FAKE: label=a write=out.json answer=not json\n")
    run = e.am()
    assert run.code == 1 and len(e.calls("a")) == 2, run
    logs = e.root / ".agentmake" / "logs"
    for n in (1, 2):  # the second attempt's did not replace the first's
        assert (logs / f"a.{n}.wrote").read_text().startswith("written by fake claude: out.json")
    assert str(logs / "a.2.wrote") in run.err, run  # (the failure names its attempt's)
    assert e.read("out.json") == '{"before": 1}\n'
    # the task leaves the graph: clean --leftovers removes every file of it, these too
    other = AGENTFILE.replace("agent a:", "agent b:").replace("out.json", "b.json")
    e.write("Agentfile", other, dedent=False)
    cleaned = e.am("clean", "--leftovers")
    assert cleaned.code == 0, cleaned
    assert sorted(p.name for p in logs.glob("a.*")) == []

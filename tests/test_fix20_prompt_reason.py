"""Why `-n` and `explain` say an inline prompt changed, when its render memo was missed (a variable it does
not read changed: the memo's signature hashes every variable in scope) and the prompt, rendered again,
differs from the one recorded while its text, the variables it reads and its paths are as they were (as an
older agentmake rendered it otherwise): the reason says so, and not that a variable it uses changed
(`plan.changes._prompt`). The older agentmake is this one rendering each prompt with a line more. Real CLI
runs with the fake agents."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = '''\
tone = plain

agent summarize:
    inputs = docs/a.md
    outputs = out/all.md
    prompt = """
        FAKE: label=all
        Summarise {{ read(input) }}
        """

agent other:
    inputs = docs/a.md
    outputs = out/other.md
    prompt = """
        FAKE: label=other
        In a {{ tone }} tone: {{ read(input) }}
        """
'''

# an agentmake that rendered each prompt otherwise (a line more)
OLDER = (
    "import sys, agentmake.plan.keyparts as k; r = k.render_task_prompt;"
    " k.render_task_prompt = lambda *a, **kw: (r(*a, **kw) or '') + '\\nolder';"
    " from agentmake.launch import main; sys.argv[0] = 'agentmake'; sys.exit(main())"
)


def test_a_prompt_rendered_otherwise_blames_no_variable(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE)
    e2e.write("docs/a.md", "a\n")
    older = subprocess.run(
        [sys.executable, "-c", OLDER], cwd=e2e.root, env=e2e.env(), capture_output=True, text=True, timeout=60
    )
    assert older.returncode == 0, older.stderr
    e2e.write("Agentfile", AGENTFILE.replace("tone = plain", "tone = formal"))
    dry = e2e.am("-n")
    assert "would run other: inline prompt changed (variable tone: 'plain' → 'formal')" in dry.out, dry
    said = "inline prompt changed (not its text, nor a variable it reads: the order of the paths it names, or"
    assert f"would run summarize: {said}" in dry.out, dry
    assert "variable or wildcard" not in dry.out, dry
    explain = e2e.am("explain", "summarize")
    assert said in explain.out and "variable or wildcard" not in explain.out, explain

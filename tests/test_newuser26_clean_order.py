"""`agentmake clean -n` (and clean) name the outputs in natural order, notes/2.md's before notes/10.md's, as
`-n`, `status` and `list` name their tasks: they came in plain string order (1, 10, 2, 20, 3)."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """
agent sum:
    inputs = notes/{name}.md
    outputs = build/{name}.md
    run = "cat {input} > {output}"
"""


def test_clean_names_outputs_in_natural_order(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE)
    for name in ("10", "2", "1", "20", "3"):
        e2e.write(f"notes/{name}.md", f"{name}\n")
    assert e2e.am().code == 0
    want = [f"build/{n}.md" for n in ("1", "2", "3", "10", "20")]
    dry = e2e.am("clean", "-n")
    assert re.findall(r"^would remove (build/\d+\.md)$", dry.out, re.M) == want, dry
    assert re.findall(r"^would run (sum:\d+)", e2e.am("-n", "-B").out, re.M) == [
        f"sum:{n}" for n in ("1", "2", "3", "10", "20")
    ]  # (the order -n says its tasks in)

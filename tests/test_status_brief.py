"""`agentmake status` tells the reasons of a fan-in as `-n` does: more than three of a kind that names a path
are one line ("10 inputs changed: docs/0.md, docs/1.md and 8 more"); it printed a line per input, 2,000 lines
for one task of a 2,000-file fan-in. `status --json` (and `explain`) still give every one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

AGENTFILE = """\
agent join:
    inputs = docs/*.md
    outputs = all.txt
    run = "cat {inputs} > {output}"
"""


def agentmake(project: Path, *args: str) -> str:
    cmd = [sys.executable, "-m", "agentmake", *args]
    return subprocess.run(cmd, cwd=project, capture_output=True, text=True, check=True, timeout=60).stdout


def test_status_groups_a_fan_ins_changed_inputs_and_json_keeps_them_all(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    (tmp_path / "docs").mkdir()
    for n in range(10):
        (tmp_path / "docs" / f"{n}.md").write_text(f"{n}\n")
    agentmake(tmp_path)
    for n in range(10):
        (tmp_path / "docs" / f"{n}.md").write_text(f"{n} changed\n")
    text = agentmake(tmp_path, "status")
    reasons = [line.strip() for line in text.splitlines() if line.startswith("    ")]
    assert reasons == ["- 10 inputs changed: docs/0.md, docs/1.md and 8 more"], text
    rows = json.loads(agentmake(tmp_path, "status", "--json"))
    assert len([r for r in rows[0]["reasons"] if "changed" in r]) == 10

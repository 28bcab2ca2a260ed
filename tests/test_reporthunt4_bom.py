"""An input (an agent's output, a source file) or a report template that starts with a UTF-8 byte order
mark: the mark is no part of the text (as in the Agentfile and a prompt file), so it does not appear in the
report, where it stood before a heading (which then was no heading: not demoted, shown as text), before a
fenced file's first line, and made a JSON file fail to parse (shown raw, not as tables). Real builds through
the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

BOM = "\ufeff"

AGENTFILE = """
agent echo:
    run = "printf '\\\\357\\\\273\\\\277# Found\\\\n\\\\nsome text\\\\n' > {output}"
    outputs = build/found.md

report r:
    inputs = build/found.md notes.txt data.json
    output = R.md
    summary = false
{template}"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    project = E2E(tmp_path / "proj", fake_agents)
    (project.root / "notes.txt").write_bytes(BOM.encode() + b"plain notes\n")
    (project.root / "data.json").write_bytes(BOM.encode() + b'{"findings": [{"file": "a.py", "line": 3}]}')
    return project


def test_no_byte_order_mark_in_a_built_in_report(e2e: E2E) -> None:
    e2e.write("Agentfile", AGENTFILE.replace("{template}", ""))
    run = e2e.am()
    assert run.code == 0, run
    assert (e2e.root / "build/found.md").read_bytes().startswith(BOM.encode())  # (the agent wrote one)
    report = e2e.read("R.md")
    assert BOM not in report, report
    assert "\n### Found\n" in report, report  # a heading, demoted under the file's section
    assert "```\nplain notes\n```" in report, report
    assert "| a.py | 3 |" in report, report  # the JSON parsed: its findings are a table


def test_no_byte_order_mark_from_a_template_or_its_inputs(e2e: E2E) -> None:
    (e2e.root / "r.md.j2").write_bytes(
        BOM.encode() + b"# {{ title }}\n{% for i in inputs %}[{{ i.content.split()[0] }}]\n{% endfor %}"
        b"{{ inputs[2].data.findings[0].file }}\n"
    )
    e2e.write("Agentfile", AGENTFILE.replace("{template}", "    template = r.md.j2\n"))
    run = e2e.am()
    assert run.code == 0, run
    report = e2e.read("R.md")
    assert report == '# r\n[#]\n[plain]\n[{"findings":]\na.py\n', report

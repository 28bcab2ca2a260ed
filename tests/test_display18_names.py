"""Names in reasons: a source file whose name holds a newline, another control character or a bidirectional
override, named in a reason (`input … will be rebuilt by TASK`), keeps status's, explain's and -n's lines one
line each, the name shown escaped; `status --json` keeps it exact."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent sum:
    runner = claude
    prompt = "Summarise {{ name }}"
    inputs = docs/{name}.md
    outputs = build/{name}.md

agent all:
    runner = claude
    prompt = "all of them"
    inputs = build/*.md
    outputs = all.md
"""
RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # controls but the newline


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e = E2E(tmp_path / "proj", fake_agents)
    e.write("Agentfile", AGENTFILE)
    for name in ("a", "evil\nname", "rtl\u202etxt", "bell\x07x"):
        e.write(f"docs/{name}.md", "one\n")
    built = e.am()
    assert built.code == 0, built
    for name in ("evil\nname", "rtl\u202etxt"):
        e.write(f"docs/{name}.md", "two\n")
    return e


def test_a_reason_naming_a_task_stays_one_line_in_status_explain_and_dry_run(e2e: E2E) -> None:
    status = e2e.am("status")
    assert status.code == 0, status
    lines = status.out.splitlines()
    assert not RAW.search(status.out), status.out
    assert '    - input "build/evil\\nname.md" will be rebuilt by sum:evil\\nname' in lines, status.out
    assert "    - input build/rtl\\u202etxt.md will be rebuilt by sum:rtl\\u202etxt" in lines, status.out
    assert not any(line.strip() == "name" for line in lines), status.out
    for args in (("-n",), ("-n", "-v"), ("explain", "all.md")):
        run = e2e.am(*args)
        assert run.code == 0, run
        assert not RAW.search(run.text), run
        line = next(line for line in run.text.splitlines() if "all" in line and "rebuilt" in line)
        assert "will be rebuilt by sum:evil\\nname" in line, run


def test_status_json_keeps_the_names_in_reasons_exact(e2e: E2E) -> None:
    run = e2e.am("status", "--json")
    rows = {row["task"]: row for row in json.loads(run.out)}
    said = "input build/evil\nname.md will be rebuilt by sum:evil\nname"
    assert said in rows["all"]["reasons"], rows["all"]


SHELL_AGENTFILE = """\
retries = 0

agent sum:
    inputs = docs/{name}.md
    outputs = build/{name}.md
    run = "if grep -q broken {input}; then exit 1; fi; cat {input} > {output}"

agent gather:
    inputs = build/*.md
    outputs = all.md
    run = "cat {inputs} > {output}"
"""


@pytest.mark.parametrize("keep_going", [False, True])
def test_a_task_not_run_names_the_failed_one_whole_on_one_line(
    tmp_path: Path, fake_agents: FakeAgents, keep_going: bool
) -> None:
    e = E2E(tmp_path / "proj", fake_agents)
    e.write("Agentfile", SHELL_AGENTFILE)
    e.write("docs/a.md", "fine\n")
    e.write("docs/evil\nname.md", "broken\n")
    build = e.am(*(["-k"] if keep_going else []))
    assert build.code == 1, build
    said = "sum:evil\\nname failed" if keep_going else "build stopped after failure of sum:evil\\nname"
    assert any(line.endswith(f"] not run     gather  ({said})") for line in build.err.splitlines()), build
    assert not RAW.search(build.text), build
    status = e.am("status")
    assert f"    - not run by the last build: {said}" in status.out.splitlines(), status.out
    assert not any(
        line.strip() == "name" or line.strip().startswith("name ") for line in status.out.splitlines()
    )
    rows = {row["task"]: row for row in json.loads(e.am("status", "--json").out)}
    assert f"not run by the last build: {said}".replace("\\n", "\n") in rows["gather"]["reasons"], rows

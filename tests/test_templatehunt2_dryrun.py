"""`-n` on a prompt that does not render for one task: a build fails that task alone (exit 1, the others
built; grammar/README.md: "that task fails, located, with no call"), so the dry run says so of that task,
`would fail`, with the located error, still says what every other task would do, and exits 1 as the build
would, instead of refusing the whole project as an Agentfile error (exit 2) with the first task's error
alone. Real CLI, fake claude."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent t:
    prompt = p.md
    inputs = docs/{n}.md
    outputs = out/{n}.md

agent u:
    prompt = "Say hi"
    inputs = docs/a.md
    outputs = out/u.md
"""


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e = E2E(tmp_path / "proj", fake_agents)
    e.write("docs/a.md", "alpha\n")
    e.write("docs/b.md", "", dedent=False)  # (read whole, it renders the prompt empty)
    e.write("docs/c.md", "gamma\n")
    e.write("Agentfile", AGENTFILE)
    e.write("p.md", "{{ read(input) }}", dedent=False)
    return e


def test_dry_run_names_the_task_that_would_fail_and_every_other(e2e: E2E) -> None:
    dry = e2e.am("-n")
    assert dry.code == 1, dry
    lines = dry.out.splitlines()
    assert "would run t:a: never built" in lines, dry
    assert "would run t:c: never built" in lines, dry
    assert "would run u: never built" in lines, dry
    failing = [line for line in lines if line.startswith("would fail t:b: ")]
    assert len(failing) == 1 and "p.md:1:" in failing[0] and "renders empty" in failing[0], dry
    assert lines[-1] == "agentmake: 3 to run, 1 would fail, 0 up to date (dry run)", dry
    assert e2e.calls() == []
    build = e2e.am("-k")
    assert build.code == 1 and build.summary.ran == 3 and build.summary.failed == 1, build
    again = e2e.am("-n")
    assert again.code == 1 and again.out.splitlines() == [
        failing[0],
        "agentmake: 0 to run, 1 would fail, 3 up to date (dry run)",
    ], again


def test_question_mode_is_stale_not_an_agentfile_error(e2e: E2E) -> None:
    q = e2e.am("-q")
    assert q.code == 1, q

"""`agentmake -t` and one task two Agentfiles sharing the directory's state both declare alike (the same id,
the same key: from an include both read). A build takes it for no shared output (`check_shared` drops such
"alike" entries): the result there is its own too, made under its key. -t dropped them only when nothing
else was shared: with another output genuinely shared, `touching._theirs` still read the alike task's and
left it "not touched (output scan.md holds the result of task scan of Agentfile ...)", where without that
other output it touched it. -B shows it (without -B the task is up to date: its output holds the cached
result of its key). Now it is touched either way, and only the output genuinely shared is warned of."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E


def _agent(name: str, output: str) -> str:
    return f'''agent {name}:
    inputs = src.md
    outputs = {output}
    prompt = """
        FAKE: label={name}
        {name} says: {{{{ read(input) }}}}
        """
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("src.md", "hello\n")
    e2e.write("common.Agentfile", _agent("scan", "scan.md"))
    return e2e


@pytest.mark.parametrize("other_shared", [False, True], ids=["alone", "beside-a-shared-output"])
@pytest.mark.parametrize("dry", [False, True], ids=["touch", "dry-run"])
def test_a_task_both_agentfiles_declare_alike_is_touched(e2e: E2E, other_shared: bool, dry: bool) -> None:
    """Before, beside a shared output: `not touched scan (output scan.md holds the result of task scan of
    Agentfile, ...)`, exit 1, scan never built for nightly.Agentfile (with -n: `would not touch scan`)."""
    mine = 'include "common.Agentfile"\n'
    e2e.write("Agentfile", mine + (_agent("a", "shared.md") if other_shared else ""))
    e2e.write("nightly.Agentfile", mine + (_agent("b", "shared.md") if other_shared else ""))
    assert e2e.am().code == 0  # (scan.md and shared.md made and recorded by Agentfile)
    run = e2e.am("-f", "nightly.Agentfile", "-t", "-B", *(["-n"] if dry else []))
    if dry:
        assert "would touch scan" in run.out and "would not touch scan" not in run.out, run
    else:
        assert "touched     scan" in run.err and "not touched scan" not in run.err, run
    if other_shared:  # (b is still not touched: shared.md holds a's result, paid for)
        said = run.out if dry else run.err
        assert "touch b: output shared.md holds the result of task a of Agentfile" in said or (
            "not touched b  (output shared.md holds the result of task a of Agentfile" in said
        ), run
        assert "shared.md is an output of both" in run.err and "scan.md is an output" not in run.err, run
    else:
        assert "is an output of both" not in run.err, run
    if not dry:
        assert run.code == (1 if other_shared else 0), run
        assert e2e.am("-f", "nightly.Agentfile", "-q", "scan").code == 0  # (scan recorded as built)
    assert e2e.calls("scan") == ["scan"]  # (Agentfile's one call; -t calls none)


def test_touch_without_b_leaves_the_alike_task_up_to_date(e2e: E2E) -> None:
    """Without -B, the alike task is up to date for the other Agentfile (never built, its output the cached
    result of its key), beside a shared output or not: left alone, nothing recorded or said of it."""
    e2e.write("Agentfile", 'include "common.Agentfile"\n' + _agent("a", "shared.md"))
    e2e.write("nightly.Agentfile", 'include "common.Agentfile"\n' + _agent("b", "shared.md"))
    assert e2e.am().code == 0
    run = e2e.am("-f", "nightly.Agentfile", "-t", "-v")
    assert "up to date  scan" in run.err and "not touched b" in run.err and run.code == 1, run

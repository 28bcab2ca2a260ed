"""A kill -9 while a two-output agent's attempt puts the outputs back as they were (`backups.restore_outputs`,
after a failure: the agent did not write all of its files): what is in place then is the build's earlier
outputs, not the agent's answer. The next build's recovery must not keep them as that answer (its log proves
the agent finished): else the build after takes the old files for the new key, "salvaged", and never asks."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at
from e2e_helpers import E2E

PAIR = '''\
agent pair:
    inputs = src.txt
    outputs = out/a.txt out/b.txt
    prompt = """
        FAKE: label=pair write={writes}
        Write both from {{{{ read(input) }}}}
        """
'''


@pytest.fixture
def e2e(tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", PAIR.format(writes="out/a.txt,out/b.txt"), dedent=False)
    e2e.write("src.txt", "v1\n")
    first = e2e.am()
    assert first.code == 0 and e2e.calls() == ["pair"], first
    return e2e


def test_killed_while_putting_the_outputs_back_the_old_files_are_not_kept_as_the_answer(e2e: E2E) -> None:
    before = {name: e2e.read(f"out/{name}.txt") for name in ("a", "b")}
    e2e.write("Agentfile", PAIR.format(writes="out/a.txt"), dedent=False)  # (a new key: b is not written)
    e2e.reset_calls()
    # killed once the outputs are put back, before their copies are removed
    crash_at(e2e, "shutil.rmtree", ".agentmake/tmp/pair.1-", "-j1")
    assert e2e.calls() == ["pair"]
    assert {name: e2e.read(f"out/{name}.txt") for name in ("a", "b")} == before
    e2e.reset_calls()
    run = e2e.am()
    assert "salvaged" not in run.err, run  # (before: the earlier outputs, kept as the new answer)
    assert e2e.calls(), run  # the agent is asked (and fails again: it still does not write out/b.txt)
    assert run.code != 0 and "did not write out/b.txt" in run.text, run
    assert "paid by an interrupted run" in run.out, run  # (the killed attempt's answer: paid, and said)
    assert {name: e2e.read(f"out/{name}.txt") for name in ("a", "b")} == before

"""A changed `check` that only changes an output's file mode (`chmod +x {output}`): the re-check of the
outputs in place runs it on copies (`Executor._recheck`), and kept a copy only when its content changed, so
the mode it set was dropped, where the same check of an attempt's answer keeps it (the staged file is
committed as the check left it). Both now keep it."""

from __future__ import annotations

import stat
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
agent a:
    run = "echo 'echo hi' > {{output}}"
    outputs = a.sh
    check = "{check}"
"""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_check_that_sets_the_mode_keeps_it_without_a_run(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e = E2E(tmp_path / "p", fake_agents)
    e.write("Agentfile", AGENTFILE.format(check="true"))
    assert e.am().code == 0
    out = e.root / "a.sh"
    out.chmod(0o644)
    e.write("Agentfile", AGENTFILE.format(check="chmod 755 {output}"))
    run = e.am()
    assert run.code == 0, run
    assert run.summary.ran == 0, run  # (no run: the outputs in place pass it)
    assert _mode(out) == 0o755, oct(_mode(out))
    assert e.read("a.sh") == "echo hi\n"
    again = e.am()
    assert again.code == 0 and again.summary.up_to_date == 1, again


def test_the_same_check_of_an_attempt_keeps_the_mode(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e = E2E(tmp_path / "p", fake_agents)
    e.write("Agentfile", AGENTFILE.format(check="chmod 755 {output}"))
    run = e.am()
    assert run.code == 0, run
    assert _mode(e.root / "a.sh") == 0o755

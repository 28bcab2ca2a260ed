"""A warning of loading the Agentfile (`lnag=French` on the command line sets nothing; `jbos = 3` in the
Agentfile is taken as a variable) was said by the first build only: that build, up to date, wrote the build
stamp, and the same command again was answered by it without loading the Agentfile, so it said nothing, as
if the misspelt name were fine. A build that warns must warn again: now it writes no stamp."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

AGENTFILE = """\
lang = "English"
{extra}
agent copy:
    inputs = in.txt
    outputs = out/copy.txt
    run = "echo ${{lang}} > {{output}}"
"""


@pytest.mark.parametrize(
    ("extra", "args", "warning"),
    [
        ("", ("lnag=French",), "lnag=... on the command line sets nothing"),
        ("jbos = 3", (), "'jbos' (Agentfile:2) is taken as a variable, not a setting"),
    ],
)
def test_a_load_warning_is_said_by_every_build(
    tmp_path: Path, fake_agents: FakeAgents, extra: str, args: tuple[str, ...], warning: str
) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE.format(extra=extra), dedent=False)
    e2e.write("in.txt", "hi\n")
    for command in ((), (), ("-n",), ()):  # (built, then up to date: twice, as a stamp would answer)
        run = e2e.am(*command, *args)
        assert run.code == 0, run
        assert run.err.count(warning) == 1, run
    assert not (e2e.root / ".agentmake" / "stamp").exists()


def test_a_build_without_warnings_still_writes_its_stamp(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE.format(extra=""), dedent=False)
    e2e.write("in.txt", "hi\n")
    assert e2e.am("lang=French").code == 0
    run = e2e.am("lang=French")
    assert run.code == 0 and "warning" not in run.err, run
    assert (e2e.root / ".agentmake" / "stamp").exists()

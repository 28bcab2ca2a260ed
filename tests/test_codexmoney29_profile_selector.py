"""A codex runner whose command gives ``-c profile=NAME`` (a legacy profile selector) makes codex 0.134 and
later refuse to start (openai/codex#24051), so every task on it fails; nothing said so before. Now every
load of the Agentfile (a build, `check`) warns of it, naming the fix, ``--profile NAME``
(`check_warnings.codex_profile_selectors`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.check_warnings import load_warnings
from agentmake.syntax.load import load_agentfile

AGENTFILE = """\
runner work:
    base = codex
    command = "codex exec --json --skip-git-repo-check {flags}"
agent sum:
    runner = work
    inputs = src.txt
    outputs = sum.md
    prompt = "FAKE: label=sum\\nSum up {{{{ read(input) }}}}"
"""


@pytest.mark.parametrize(
    "flags", ["-c profile=fast", "--config profile=fast", "--config=profile=fast", "-cprofile=fast"]
)
def test_a_legacy_selector_is_warned_of_with_its_fix(tmp_path: Path, flags: str) -> None:
    (tmp_path / "Agentfile").write_text(AGENTFILE.format(flags=flags))
    (warning,) = load_warnings(load_agentfile(tmp_path / "Agentfile"))
    assert warning.startswith("runner work: its command's `-c profile=fast` is a legacy profile selector")
    assert "codex 0.134 and later refuse to start: use `--profile fast`" in warning


@pytest.mark.parametrize("flags", ["--profile fast", "-c model=o3", "-c profiles.fast.model=o3", ""])
def test_no_selector_no_warning(tmp_path: Path, flags: str) -> None:
    (tmp_path / "Agentfile").write_text(AGENTFILE.format(flags=flags))
    assert load_warnings(load_agentfile(tmp_path / "Agentfile")) == []


def test_check_and_a_build_say_it(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "proj", fake_agents)
    e2e.write("Agentfile", AGENTFILE.format(flags="-c profile=fast"), dedent=False)
    e2e.write("src.txt", "hello\n")
    said = "use `--profile fast`"
    checked = e2e.am("check")
    assert said in checked.text, checked
    assert checked.text.count(said) == 1
    built = e2e.am("-n")
    assert said in built.err, built

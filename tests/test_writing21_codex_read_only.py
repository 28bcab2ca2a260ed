"""A codex agent of several outputs writes them itself: agentmake runs it with ``-s workspace-write`` when
its runner's command chooses no sandbox. A sandbox the command chooses is the user's explicit choice and is
kept (`invocation.codex_sandbox_added`): before, a ``-c sandbox_mode=...`` was overridden by the ``-s``
added, which beats every ``-c`` (a ``danger-full-access`` turned into workspace-write, a ``read-only``
into writing). A read-only one cannot write the declared outputs: every load of the Agentfile, and
`agentmake check`, warn of it (`check_warnings.unwritable_outputs`), rather than each task paying for a
call that then fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.check_warnings import check_warnings, load_warnings
from agentmake.model import RunnerSpec
from agentmake.runners.invocation import llm_invocation
from agentmake.syntax import load_agentfile

CODEX = ("codex", "exec", "--json", "--skip-git-repo-check")


def _argv(tmp_path: Path, *flags: str) -> list[str]:
    runner = RunnerSpec(name="codex", command=(*CODEX, *flags))
    inv = llm_invocation(
        runner,
        "codex",
        model=None,
        prompt="p",
        writes_files=True,
        root=tmp_path,
        home=tmp_path / "home" / "t",
        environ={"HOME": str(tmp_path)},
    )
    return inv.argv


@pytest.mark.parametrize(
    "flags",
    [
        ("-c", 'sandbox_mode="read-only"'),  # (before: -s workspace-write added, over the user's choice)
        ("-s", "read-only"),
        ("--sandbox=danger-full-access",),
    ],
)
def test_a_sandbox_the_command_chooses_is_kept(tmp_path: Path, flags: tuple[str, ...]) -> None:
    assert _argv(tmp_path, *flags)[len(CODEX) :] == [*flags, "-"]


@pytest.mark.parametrize("flags", [(), ("-c", 'profiles.w.sandbox_mode="read-only"'), ("-c", "model=o3")])
def test_without_one_agentmake_lets_it_write_its_outputs(tmp_path: Path, flags: tuple[str, ...]) -> None:
    assert _argv(tmp_path, *flags)[len(CODEX) :] == [*flags, "-s", "workspace-write", "-"]


AGENTFILE = """\
runner ro:
    base = codex
    command = "codex exec --json --skip-git-repo-check {flags}"
agent pair:
    runner = ro
    outputs = a.md b.md
    prompt = "write them"
agent one:
    runner = ro
    outputs = c.md
    prompt = "answer"
"""


def _warnings(tmp_path: Path, flags: str) -> list[str]:
    (tmp_path / "Agentfile").write_text(AGENTFILE.format(flags=flags))
    af = load_agentfile(tmp_path / "Agentfile")
    said = [w for w in load_warnings(af) if "cannot write" in w]
    assert said == [w for w in check_warnings(af, None) if "cannot write" in w]  # (`check` says it too)
    return said


@pytest.mark.parametrize(
    ("flags", "shown"),
    [("-s read-only", "-s read-only"), ("-c sandbox_mode=read-only", '-c sandbox_mode="read-only"')],
)
def test_a_read_only_choice_is_warned_of_for_an_agent_of_several_outputs(
    tmp_path: Path, flags: str, shown: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    said = _warnings(tmp_path, flags)
    assert len(said) == 1 and said[0].startswith(f"pair: runner ro gives codex {shown}, so it cannot"), said


@pytest.mark.parametrize("flags", ["", "-s workspace-write", "-c sandbox_mode=workspace-write", "-s x -s y"])
def test_no_warning_when_it_may_write(tmp_path: Path, flags: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _warnings(tmp_path, flags) == []


def test_a_read_only_override_beats_the_profile_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """codex merges a ``-c`` override over every file, the ``--profile`` file too: it cannot write, warned
    of (before: a legacy ``[profiles.w]`` table that ``profile = "w"`` chose was taken to beat it, which
    codex 0.134 and later no longer read)."""
    home = tmp_path / "home" / ".codex"
    home.mkdir(parents=True)
    (home / "config.toml").write_text('profile = "w"\n[profiles.w]\nsandbox_mode = "workspace-write"\n')
    (home / "w.config.toml").write_text('sandbox_mode = "workspace-write"\n')
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert len(_warnings(tmp_path, "-c sandbox_mode=read-only")) == 1
    assert len(_warnings(tmp_path, "--profile w -c sandbox_mode=read-only")) == 1
    assert _warnings(tmp_path, "--profile w") == []
    assert len(_warnings(tmp_path, "--profile w -s read-only")) == 1  # (-s beats every layer)


def test_a_build_says_it_when_the_agentfile_loads(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("Agentfile", AGENTFILE.format(flags="-s read-only"), dedent=False)
    run = e2e.am("-n")
    assert "agentmake: warning: pair: runner ro gives codex -s read-only, so it cannot write" in run.err, run
    assert run.err.count("cannot write") == 1, run

"""A codex agent of several outputs must write them itself. A runner whose command chooses a writing sandbox
by a top-level ``-c sandbox_mode=...`` override gets it as ``-s`` too: codex takes the active profile's
``sandbox_mode`` over a top-level ``-c`` (codex-rs ``derive_sandbox_policy``: the ``-s`` flag, then the
profile's, then the top level's), so with a read-only profile active the override alone left codex
read-only, and each task paid for a call that could not write its outputs, with no warning (the load-time
warning is of a read-only choice only). Before the sandbox rule kept the user's ``-c``, agentmake added
``-s workspace-write`` there; ``-s`` with the override's own mode keeps a ``danger-full-access`` as chosen."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.check_warnings import load_warnings
from agentmake.model import RunnerSpec
from agentmake.runners.invocation import llm_invocation
from agentmake.syntax import load_agentfile

CODEX = ("codex", "exec", "--json", "--skip-git-repo-check")
READ_ONLY_PROFILE = 'profile = "ro"\n[profiles.ro]\nsandbox_mode = "read-only"\n'


def _argv(tmp_path: Path, *flags: str) -> list[str]:
    runner = RunnerSpec(name="codex", command=(*CODEX, *flags))
    inv = llm_invocation(
        runner, "codex", model=None, prompt="p", writes_files=True, root=tmp_path,
        home=tmp_path / "home" / "t", environ={"HOME": str(tmp_path)},
    )  # fmt: skip
    return inv.argv[len(CODEX) :]


@pytest.mark.parametrize(
    ("flags", "mode"),
    [
        (("-c", 'sandbox_mode="workspace-write"'), "workspace-write"),
        (("--config=sandbox_mode=workspace-write",), "workspace-write"),
        (("-c", 'sandbox_mode="danger-full-access"'), "danger-full-access"),
        (("-c", 'sandbox_mode="read-only"', "-c", "sandbox_mode=workspace-write"), "workspace-write"),
    ],
)
def test_a_writing_override_holds_over_the_active_profile(
    tmp_path: Path, flags: tuple[str, ...], mode: str
) -> None:
    assert _argv(tmp_path, *flags) == [*flags, "-s", mode, "-"]


@pytest.mark.parametrize(
    "flags",
    [
        ("-c", 'sandbox_mode="read-only"'),
        ("-c", "sandbox_mode=workspace-write", "-c", "sandbox_mode=read-only"),
    ],
)
def test_a_read_only_override_is_kept(tmp_path: Path, flags: tuple[str, ...]) -> None:
    assert _argv(tmp_path, *flags) == [*flags, "-"]


def test_no_warning_for_a_writing_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The agent can write its outputs (agentmake makes the override hold): nothing to warn of."""
    home = tmp_path / "home"
    (home / ".codex").mkdir(parents=True)
    (home / ".codex" / "config.toml").write_text(READ_ONLY_PROFILE)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("CODEX_HOME", raising=False)
    (tmp_path / "Agentfile").write_text(
        'runner w:\n    base = codex\n    command = "codex exec --json -c sandbox_mode=workspace-write"\n'
        'agent two:\n    runner = w\n    outputs = a.md b.md\n    prompt = "write them"\n'
    )
    assert load_warnings(load_agentfile(tmp_path / "Agentfile")) == []


def test_the_last_override_is_the_one_warned_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """codex applies its ``-c`` overrides in order: a read-only one last leaves it read-only (no ``-s`` is
    added to it), warned of as a single one is."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CODEX_HOME", raising=False)
    (tmp_path / "Agentfile").write_text(
        "runner r:\n    base = codex\n"
        '    command = "codex exec --json -c sandbox_mode=workspace-write -c sandbox_mode=read-only"\n'
        'agent two:\n    runner = r\n    outputs = a.md b.md\n    prompt = "write them"\n'
    )
    (warning,) = load_warnings(load_agentfile(tmp_path / "Agentfile"))
    assert warning.startswith('two: runner r gives codex -c sandbox_mode="read-only"')

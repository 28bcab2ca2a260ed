"""Whether a task's agent may write files is one rule (`runners.writing.agent_may_write`), asked by the key
(`plan.pathless`: such an agent keeps its output path in its key) and by the run (`runners.execute`: its
output is set aside while it runs, so what it writes there itself is kept beside its logs, not taken for the
result): its runner's flags, and its CLI's settings files. claude's Bash tool (a shell writes files too) and
codex's ``-c sandbox_mode=...`` overrides count; a ``-c sandbox_mode=read-only`` (or ``-s read-only``)
beats a config file's writing mode, as codex applies its flags over its files (real CLI, fake agents)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.runners.writing import agent_may_write

CODEX = "codex exec --json --skip-git-repo-check"
CLAUDE = "claude -p --output-format json"
ACCEPT = '{"permissions": {"defaultMode": "acceptEdits"}}'
ALLOW_WRITE = '{"permissions": {"allow": ["Write"]}}'
PLAN = '{"general": {"defaultApprovalMode": "plan"}}'  # (headless, it leaves plan mode to implement)
ALLOW_BASH = '{"permissions": {"allow": ["Bash(npm test:*)"]}}'

OWN_WRITE = """\
runner {preset}:
    command = "{command}"
agent a:
    runner = {preset}
    prompt = prompts/a.md
    outputs = out.md
    retries = 0
"""


def _settings(e2e: E2E, fake_agents: FakeAgents, where: str, text: str) -> None:
    path = fake_agents.home / where[2:] if where.startswith("~/") else e2e.root / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


SET_ASIDE = {  # the agent may write by its settings files, or by a flag agentmake did not see before
    "claude user settings": ("claude", CLAUDE, "~/.claude/settings.json", ACCEPT),
    "claude project settings": ("claude", CLAUDE, ".claude/settings.json", ALLOW_WRITE),
    "codex config": ("codex", CODEX, "~/.codex/config.toml", 'sandbox_mode = "workspace-write"\n'),
    "codex -c": ("codex", CODEX + " -c sandbox_mode=workspace-write", "", ""),
    "claude Bash": ("claude", CLAUDE + " --allowedTools=Bash", "", ""),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(SET_ASIDE))
def test_an_agent_its_settings_let_write_has_its_output_set_aside(
    tmp_path: Path, fake_agents: FakeAgents, case: str
) -> None:
    """A failed attempt that wrote its output leaves the last good result there (before: the agent's own
    write replaced it, and was then kept as the output)."""
    preset, command, where, text = SET_ASIDE[case]
    e2e = E2E(tmp_path / "p", fake_agents)
    e2e.write("Agentfile", OWN_WRITE.format(preset=preset, command=command), dedent=False)
    if where:
        _settings(e2e, fake_agents, where, text)
    e2e.write("prompts/a.md", "FAKE: answer=good one\n")
    first = e2e.am()
    assert first.code == 0 and e2e.read("out.md") == "good one", first
    e2e.write("prompts/a.md", "FAKE: write=out.md fail=500\n")
    run = e2e.am()
    assert run.code == 1, run
    assert e2e.read("out.md") == "good one", run
    kept = e2e.root / ".agentmake" / "logs" / "a.1.wrote"
    assert kept.read_text().startswith(f"written by fake {preset}: out.md"), run


RENAMED = """\
runner {preset}:
    command = "{command}"
agent notes:
    runner = {preset}
    inputs = docs/{{name}}.txt
    outputs = {out}/{{name}}.md
    prompt = \"\"\"
        FAKE: label=notes
        Summarise: {{{{ read(input) }}}}
        \"\"\"
"""


def _renamed(e2e: E2E, preset: str, command: str) -> list[str]:
    """Build, rename the output in the Agentfile, build again: the calls of the agent."""
    e2e.write("docs/a.txt", "alpha\n")
    e2e.write("Agentfile", RENAMED.format(preset=preset, command=command, out="notes"), dedent=False)
    first = e2e.am()
    assert first.summary.ran == 1, first
    e2e.write("Agentfile", RENAMED.format(preset=preset, command=command, out="summaries"), dedent=False)
    build = e2e.am()
    assert build.code == 0 and e2e.exists("summaries/a.md"), build
    return e2e.calls("notes")


WRITING = {  # (before: the rename was restored from the cache, one call)
    "claude --allowedTools Bash": ("claude", CLAUDE + " --allowedTools=Bash", "", ""),
    "claude --allowed-tools Bash(...)": ("claude", CLAUDE + " --allowed-tools=Bash(git:*)", "", ""),
    "claude settings allow Bash": ("claude", CLAUDE, ".claude/settings.json", ALLOW_BASH),
    "codex -c sandbox_mode": ("codex", CODEX + " -c sandbox_mode=workspace-write", "", ""),
    "codex --config sandbox_mode": ("codex", CODEX + " --config sandbox_mode=danger-full-access", "", ""),
    "gemini --approval-mode plan": ("gemini", "gemini -o json --approval-mode plan", "", ""),
    "gemini settings plan": ("gemini", "gemini -o json", ".gemini/settings.json", PLAN),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(WRITING))
def test_flags_and_settings_that_let_it_write_keep_the_path_in_the_key(
    tmp_path: Path, fake_agents: FakeAgents, case: str
) -> None:
    preset, command, where, text = WRITING[case]
    e2e = E2E(tmp_path / "p", fake_agents)
    if where:
        _settings(e2e, fake_agents, where, text)
    assert _renamed(e2e, preset, command) == ["notes", "notes"]


@pytest.mark.parametrize("flag", ["-c sandbox_mode=read-only", "-s read-only"])
def test_a_read_only_flag_beats_a_config_file_that_lets_codex_write(
    tmp_path: Path, fake_agents: FakeAgents, flag: str
) -> None:
    """codex applies its flags and -c overrides over its config files: the agent writes nothing, so its key
    is path-free and a rename is restored from the cache (before: kept its path, ran again)."""
    e2e = E2E(tmp_path / "p", fake_agents)
    _settings(e2e, fake_agents, "~/.codex/config.toml", 'sandbox_mode = "workspace-write"\n')
    assert _renamed(e2e, "codex", f"{CODEX} {flag}") == ["notes"]


@pytest.mark.parametrize(
    ("argv", "settings", "writes"),
    [
        (["codex", "exec", "-c", 'sandbox_mode="workspace-write"'], False, True),
        (["codex", "exec", "--config=sandbox_mode = 'danger-full-access'"], False, True),
        (["codex", "exec", "-c", 'profiles.w.sandbox_mode="workspace-write"'], False, True),
        # (a -c override is applied to the files' top level when they are read: `settings` says what is left)
        (["codex", "exec", "-c", 'sandbox_mode="read-only"'], True, True),
        (["codex", "exec", "-s", "read-only"], True, False),
        (["codex", "exec", "-c", 'profiles.r.sandbox_mode="read-only"'], True, True),  # (not the top level)
        (["codex", "exec", "-s", "read-only", "-c", "sandbox_mode=workspace-write"], True, True),
        (["codex", "exec", "-c", "model=o3"], True, True),
        (["claude", "-p", "--allowedTools", "Read", "Bash(ls:*)"], False, True),
        (["claude", "-p", "--allowedTools", "Read"], False, False),
        (["claude", "-p", "--permission-mode", "plan"], True, True),  # (its settings' allow still applies)
        (["gemini", "-o", "json", "--approval-mode=plan"], False, True),
        (["gemini", "-o", "json", "--approval-mode", "default"], False, False),
    ],
)
def test_the_rule(argv: list[str], settings: bool, writes: bool) -> None:
    preset = argv[0]
    assert agent_may_write(preset, argv, settings) is writes

"""What the agent CLIs' own settings say of writing files (`runners.writesettings`, read by
`modelconfig.config_reading`), beyond the files' plain modes:

- codex takes a project the user trusted (``[projects."<root>"] trust_level``) as workspace-write when no
  sandbox mode is set (codex-rs ``derive_sandbox_policy``): such an agent may write, so a rename of its
  output runs it again rather than restore a result that may have been written at the old path;
- claude's ``--settings FILE-OR-JSON`` adds a settings source, ``--setting-sources`` limits which of the
  user's, the project's and the local file count (its managed settings and ``--settings`` always do);
- an ``mcp__`` tool allowed (in ``permissions.allow`` or ``--allowedTools``) is taken as one that writes.

In-process (`config_reading` over real files), with one real build for the codex rename."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FakeAgents
from e2e_helpers import E2E

from agentmake.model import RunnerSpec
from agentmake.runners import configfiles
from agentmake.runners.configtext import toml_strings
from agentmake.runners.modelconfig import config_reading
from agentmake.runners.writing import agent_may_write

CODEX = ["codex", "exec", "--json", "--skip-git-repo-check"]
CLAUDE = ["claude", "-p", "--output-format", "json"]
ACCEPT = '{"permissions": {"defaultMode": "acceptEdits"}}'


def _may_write(tmp_path: Path, argv: list[str]) -> bool:
    """The whole rule for a runner of `argv` in the project at ``tmp_path/p`` (home: ``tmp_path/home``)."""
    runner = RunnerSpec(name=argv[0], command=tuple(argv))
    environ = {"HOME": str(tmp_path / "home")}
    reading = config_reading(argv[0], runner, environ, tmp_path / "p")
    return agent_may_write(argv[0], argv, reading.writes)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _trust(tmp_path: Path, project: Path, level: str, extra: str = "") -> None:
    _write(tmp_path / "home/.codex/config.toml", f'{extra}[projects."{project}"]\ntrust_level = "{level}"\n')


# -- codex: a trusted project --------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["trusted", "untrusted"])
def test_codex_in_a_project_it_trusts_may_write(tmp_path: Path, level: str) -> None:
    """(before: False, the trust not read.) "untrusted" too: later codex versions make it workspace-write
    as well, so it is taken as writing (conservative)."""
    (tmp_path / "p").mkdir()
    _trust(tmp_path, tmp_path / "p", level)
    assert _may_write(tmp_path, CODEX) is True


@pytest.mark.parametrize(
    ("extra", "flags"),
    [
        ('sandbox_mode = "read-only"\n', []),  # (a sandbox mode set: the trust is not asked)
        ("", ["-s", "read-only"]),
        ("", ["-c", 'sandbox_mode="read-only"']),
    ],
)
def test_a_sandbox_mode_set_anywhere_beats_the_trust(tmp_path: Path, extra: str, flags: list[str]) -> None:
    (tmp_path / "p").mkdir()
    _trust(tmp_path, tmp_path / "p", "trusted", extra)
    assert _may_write(tmp_path, CODEX + flags) is False


def test_the_trust_of_another_project_is_not_this_ones(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    _trust(tmp_path, tmp_path / "elsewhere", "trusted")
    assert _may_write(tmp_path, CODEX) is False


def test_the_trust_of_the_git_checkout_the_project_is_in_counts(tmp_path: Path) -> None:
    """codex asks the trust of the git repository's main checkout when the directory has none of its own:
    a project in a subdirectory of a trusted repository, and a linked worktree of it."""
    repo = tmp_path / "repo"
    (repo / ".git" / "worktrees" / "w").mkdir(parents=True)
    _trust(tmp_path, repo, "trusted")
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / ".git").write_text(f"gitdir: {repo}/.git/worktrees/w\n")
    runner = RunnerSpec(name="codex", command=tuple(CODEX))
    home = {"HOME": str(tmp_path / "home")}
    for project in (repo / "sub", linked / "sub", linked):
        project.mkdir(exist_ok=True)
        assert config_reading("codex", runner, home, project).writes is True, project
    (tmp_path / "alone").mkdir()
    assert config_reading("codex", runner, home, tmp_path / "alone").writes is False


def test_python_310_reads_a_projects_trust_too() -> None:
    """(the reading of TOML without tomllib: a project's table header holds a quoted path)"""
    text = '[projects."/home/me/my project"]\ntrust_level = "trusted"\n'
    text += "[projects.'/x']\ntrust_level = \"untrusted\"\n"
    assert toml_strings(text)["projects"] == {
        "/home/me/my project": {"trust_level": "trusted"},
        "/x": {"trust_level": "untrusted"},
    }


RENAMED = """\
agent notes:
    runner = codex
    inputs = docs/{{name}}.txt
    outputs = {out}/{{name}}.md
    prompt = \"\"\"
        FAKE: label=notes
        Summarise: {{{{ read(input) }}}}
        \"\"\"
"""


def test_a_rename_of_a_codex_agent_in_a_trusted_project_runs_it_again(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    """(before: restored from the cache, one call: the key was path-free, codex taken as read-only)"""
    e2e = E2E(tmp_path / "p", fake_agents)
    _write(fake_agents.home / ".codex/config.toml", f'[projects."{e2e.root}"]\ntrust_level = "trusted"\n')
    e2e.write("docs/a.txt", "alpha\n")
    e2e.write("Agentfile", RENAMED.format(out="notes"), dedent=False)
    first = e2e.am()
    assert first.summary.ran == 1, first
    e2e.write("Agentfile", RENAMED.format(out="summaries"), dedent=False)
    build = e2e.am()
    assert build.code == 0 and e2e.exists("summaries/a.md"), build
    assert e2e.calls("notes") == ["notes", "notes"]


# -- claude: --settings and --setting-sources ----------------------------------------------------------------


def test_claude_settings_flag_inline_json_adds_a_source(tmp_path: Path) -> None:
    """(before: False, the flag not read)"""
    assert _may_write(tmp_path, [*CLAUDE, "--settings", ACCEPT]) is True
    assert _may_write(tmp_path, [*CLAUDE, f"--settings={ACCEPT}"]) is True
    assert _may_write(tmp_path, [*CLAUDE, "--settings", '{"model": "opus"}']) is False


def test_claude_settings_flag_file_adds_a_source(tmp_path: Path) -> None:
    """A file given relative to the project (claude's working directory), or absolute."""
    _write(tmp_path / "p" / "ci" / "settings.json", '{"permissions": {"allow": ["Edit"]}}')
    assert _may_write(tmp_path, [*CLAUDE, "--settings", "ci/settings.json"]) is True
    assert _may_write(tmp_path, [*CLAUDE, "--settings", str(tmp_path / "p/ci/settings.json")]) is True
    assert _may_write(tmp_path, [*CLAUDE, "--settings", "ci/missing.json"]) is False


@pytest.mark.parametrize(
    ("where", "sources", "writes"),
    [
        ("home/.claude/settings.json", "project,local", False),  # (before: True, every file counted)
        ("home/.claude/settings.json", "user", True),
        ("p/.claude/settings.json", "user,local", False),
        ("p/.claude/settings.json", "project", True),
        ("p/.claude/settings.local.json", "user,project", False),
        ("p/.claude/settings.local.json", "local", True),
        ("p/.claude/settings.json", "", False),
    ],
)
def test_claude_setting_sources_limit_the_files_that_count(
    tmp_path: Path, where: str, sources: str, writes: bool
) -> None:
    _write(tmp_path / where, ACCEPT)
    assert _may_write(tmp_path, CLAUDE) is True  # (every source counts without the flag)
    assert _may_write(tmp_path, [*CLAUDE, "--setting-sources", sources]) is writes
    assert _may_write(tmp_path, [*CLAUDE, f"--setting-sources={sources}"]) is writes
    # (the last flag wins, as a repeated option's value does)
    assert (
        _may_write(tmp_path, [*CLAUDE, "--setting-sources=user,project,local", "--setting-sources", sources])
        is writes
    )
    assert (
        _may_write(tmp_path, [*CLAUDE, "--setting-sources", sources, "--setting-sources=user,project,local"])
        is True
    )


def test_managed_and_flag_settings_count_whatever_the_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    managed = tmp_path / "managed-settings.json"
    _write(managed, ACCEPT)
    monkeypatch.setattr(configfiles, "CLAUDE_MANAGED", managed)
    assert _may_write(tmp_path, [*CLAUDE, "--setting-sources", "project"]) is True
    managed.unlink()
    assert _may_write(tmp_path, [*CLAUDE, "--setting-sources", "project"]) is False
    assert _may_write(tmp_path, [*CLAUDE, "--setting-sources", "project", "--settings", ACCEPT]) is True


@pytest.mark.parametrize("tool", ["mcp__filesystem__write_file", "mcp__github", "mcp__github__*"])
def test_an_mcp_tool_allowed_is_taken_as_writing(tmp_path: Path, tool: str) -> None:
    """An MCP server's tool does what its server does (a filesystem server writes files, a git server
    commits): agentmake cannot tell from its name, so it is taken as writing (before: False)."""
    _write(tmp_path / "p/.claude/settings.json", json.dumps({"permissions": {"allow": ["Read", tool]}}))
    assert _may_write(tmp_path, CLAUDE) is True
    assert agent_may_write("claude", [*CLAUDE, f"--allowedTools={tool}"], False) is True
    assert agent_may_write("claude", [*CLAUDE, "--allowedTools=Read,Grep"], False) is False


def test_the_build_stamp_holds_this_projects_trust_alone(tmp_path: Path) -> None:
    """The stamp vouches for keys: this project's trust (which the keys read) changes its signature; another
    project's, which codex writes on every onboarding, does not (before: neither was read)."""
    from agentmake.runners.configstamp import stamp_digests

    root, environ = tmp_path / "p", {"HOME": str(tmp_path / "home")}
    root.mkdir()
    _write(tmp_path / "home/.codex/config.toml", 'model = "o3"\n')
    alone = stamp_digests(environ, root)
    _trust(tmp_path, tmp_path / "other", "trusted", 'model = "o3"\n')
    assert stamp_digests(environ, root) == alone
    _trust(tmp_path, root, "trusted", 'model = "o3"\n')
    assert stamp_digests(environ, root) != alone

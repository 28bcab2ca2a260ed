"""An agent of several outputs writes them itself. When its runner's command explicitly keeps its CLI from
writing (claude's ``--permission-mode plan``, ``--disallowedTools Write Edit``; gemini's ``--approval-mode
default``; aider's ``--chat-mode ask``, ``--dry-run``), agentmake keeps the user's choice and adds no
writing flag: each task would pay for a call, then fail with its outputs unwritten. Every load of the
Agentfile, and `agentmake check`, warn of it (`check_warnings.unwritable_outputs`), as they do of codex's
``-s read-only`` (test_writing21_codex_read_only.py). Each CLI's precedence is read: a later flag beats an
earlier one, ``--dangerously-skip-permissions`` whatever mode, deny over allow; whatever may let it write
is no such case."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.check_warnings import check_warnings, load_warnings
from agentmake.model import RunnerSpec
from agentmake.runners.invocation import llm_invocation
from agentmake.syntax import load_agentfile

AGENTFILE = """\
runner r:
    base = {cli}
    command = "{program} {flags}"
agent pair:
    runner = r
    outputs = a.md b.md
    prompt = "write them"
agent one:
    runner = r
    outputs = c.md
    prompt = "answer"
"""
PROGRAMS = {
    "claude": "claude -p --output-format json",
    "gemini": "gemini -o json",
    "aider": "aider --yes-always --no-git",
    "codex": "codex exec --json --skip-git-repo-check",
}


@pytest.fixture(autouse=True)
def _no_user_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # (no settings file of the user's lets a CLI write)
    for name in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_CLI_SYSTEM_SETTINGS_PATH"):
        monkeypatch.delenv(name, raising=False)


def _warnings(tmp_path: Path, cli: str, flags: str) -> list[str]:
    project = tmp_path / "p"
    project.mkdir(exist_ok=True)
    (project / "Agentfile").write_text(AGENTFILE.format(cli=cli, program=PROGRAMS[cli], flags=flags))
    af = load_agentfile(project / "Agentfile")
    said = [w for w in load_warnings(af) if "cannot write" in w]
    assert said == [w for w in check_warnings(af, None) if "cannot write" in w]  # (`check` says it too)
    return said


WARNED = [
    ("claude", "--permission-mode plan", "--permission-mode plan"),
    ("claude", "--permission-mode default", "--permission-mode default"),
    ("claude", "--permission-mode=dontAsk", "--permission-mode dontAsk"),
    # a later --permission-mode beats an earlier one (commander keeps the last)
    ("claude", "--permission-mode acceptEdits --permission-mode plan", "--permission-mode plan"),
    # agentmake adds acceptEdits, but no tool that writes is left
    ("claude", "--disallowedTools Write Edit", "--disallowedTools Write Edit"),
    ("claude", "--disallowed-tools=Write,Edit", "--disallowed-tools Write Edit"),
    ("claude", "--permission-mode acceptEdits --disallowedTools Write Edit", "--disallowedTools Write Edit"),
    ("claude", "--tools Read,Grep", "--tools Read,Grep"),
    (
        "claude",
        "--disallowedTools Write --tools Read Write",
        "--disallowedTools Write and --tools Read,Write",
    ),
    ("claude", "--tools ''", '--tools ""'),
    # deny beats allow: the shell allowed is gone
    (
        "claude",
        "--disallowedTools Write Edit Bash --allowedTools Bash(make:*)",
        "--disallowedTools Write Edit",
    ),
    (
        "claude",
        "--permission-mode plan --disallowedTools Write Edit",
        "--permission-mode plan and --disallowedTools Write Edit",
    ),
    ("gemini", "--approval-mode default", "--approval-mode default"),
    ("gemini", "--approval-mode=default --allowed-tools read_file", "--approval-mode default"),
    ("aider", "--chat-mode ask", "--chat-mode ask"),
    ("aider", "--edit-format=help", "--edit-format help"),
    ("aider", "--chat-mode code --chat-mode ask", "--chat-mode ask"),
    ("aider", "--dry-run", "--dry-run"),
    ("aider", "--no-dry-run --dry-run --chat-mode ask", "--chat-mode ask and --dry-run"),
]


@pytest.mark.parametrize(("cli", "flags", "shown"), WARNED)
def test_flags_that_keep_the_cli_from_writing_are_warned_of(
    tmp_path: Path, cli: str, flags: str, shown: str
) -> None:
    said = _warnings(tmp_path, cli, flags)
    assert len(said) == 1, said  # (the agent of one output is not named: agentmake writes its answer)
    assert said[0].startswith(f"pair: runner r gives {cli} {shown}, so it cannot write the several"), said
    assert "remove " in said[0] and "or give the agent one output" in said[0], said


@pytest.mark.parametrize(
    ("cli", "flags"),
    [
        ("claude", ""),  # (agentmake adds --permission-mode acceptEdits)
        ("claude", "--permission-mode acceptEdits"),
        ("claude", "--permission-mode plan --permission-mode acceptEdits"),
        ("claude", "--permission-mode bypassPermissions"),
        ("claude", "--permission-mode plan --dangerously-skip-permissions"),  # (claude takes it over a mode)
        ("claude", "--disallowedTools Write Edit --dangerously-skip-permissions"),  # (its shell writes)
        ("claude", "--permission-mode plan --permission-prompt-tool mcp__perm__ask"),
        ("claude", "--permission-mode default --allowedTools Write"),
        ("claude", "--permission-mode plan --allowedTools Bash(make:*)"),
        ("claude", "--permission-mode default --allowedTools mcp__fs__write_file"),
        ("claude", "--disallowedTools Write"),  # (Edit is left, acceptEdits added)
        ("claude", "--disallowedTools Write(/etc/**) Edit(/etc/**)"),  # (scoped: the tools are left)
        ("claude", "--disallowedTools Write Edit --allowedTools Bash"),
        ("claude", "--tools Read,Edit"),
        ("claude", "--tools default"),
        ("claude", "--permission-mode auto"),  # (a mode agentmake does not know: not taken as read-only)
        ("gemini", ""),  # (agentmake adds --approval-mode auto_edit)
        ("gemini", "--approval-mode auto_edit"),
        ("gemini", "--approval-mode plan"),  # (it may leave plan mode by itself: taken as writing)
        ("gemini", "-y"),
        ("gemini", "--approval-mode default -y"),  # (gemini refuses both before any call)
        ("gemini", "--approval-mode default --allowed-tools write_file"),
        ("gemini", "--approval-mode default --allowed-tools 'run_shell_command(git status)'"),
        ("aider", ""),
        ("aider", "--chat-mode code"),
        ("aider", "--chat-mode ask --architect"),
        ("aider", "--edit-format ask --chat-mode diff"),
        ("aider", "--dry-run --no-dry-run"),
        # codex exec takes --dangerously-bypass-approvals-and-sandbox over -s (danger-full-access)
        ("codex", "-s read-only --dangerously-bypass-approvals-and-sandbox"),
    ],
)
def test_no_warning_when_it_may_write(tmp_path: Path, cli: str, flags: str) -> None:
    assert _warnings(tmp_path, cli, flags) == []


def test_a_claude_settings_file_that_lets_it_write_is_no_such_case(tmp_path: Path) -> None:
    """claude adds its settings' ``permissions.allow`` to any mode a flag sets: conservative, no warning."""
    settings = tmp_path / "p" / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text('{"permissions": {"allow": ["Write"]}}')
    assert _warnings(tmp_path, "claude", "--permission-mode plan") == []
    settings.write_text('{"permissions": {"allow": ["Read"]}}')
    assert len(_warnings(tmp_path, "claude", "--permission-mode plan")) == 1


@pytest.mark.parametrize("where", ["p/.gemini/settings.json", "home/.gemini/settings.json"])
def test_a_gemini_settings_file_allowing_a_writing_tool_is_no_such_case(tmp_path: Path, where: str) -> None:
    """gemini allows the tools of its settings' ``tools.allowed`` when the command gives no
    ``--allowed-tools`` (``argv.allowedTools || settings.tools?.allowed``): a writing one is not taken away
    in the default mode, and gemini writes."""
    settings = tmp_path / where
    settings.parent.mkdir(parents=True)
    settings.write_text('{"tools": {"allowed": ["write_file", "replace"]}}')
    assert _warnings(tmp_path, "gemini", "--approval-mode default") == []
    # (a flag's list beats the settings', and reading tools only write nothing)
    assert len(_warnings(tmp_path, "gemini", "--approval-mode default --allowed-tools read_file")) == 1
    settings.write_text('{"tools": {"allowed": ["read_file"]}}')
    assert len(_warnings(tmp_path, "gemini", "--approval-mode default")) == 1
    settings.write_text("[" * 100_000 + "]" * 100_000)  # (a file gemini cannot read allows nothing; no error)
    assert len(_warnings(tmp_path, "gemini", "--approval-mode default")) == 1


def test_one_warning_per_runner_naming_all_its_agents(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    text = AGENTFILE.format(cli="gemini", program=PROGRAMS["gemini"], flags="--approval-mode default")
    text += 'agent trio:\n    runner = r\n    outputs = d.md e.md f.md\n    prompt = "three"\n'
    (project / "Agentfile").write_text(text)
    said = [w for w in load_warnings(load_agentfile(project / "Agentfile")) if "cannot write" in w]
    assert len(said) == 1 and said[0].startswith("pair, trio: runner r gives gemini --approval-mode default")
    assert "agentmake then runs gemini with --approval-mode auto_edit" in said[0]


@pytest.mark.parametrize(
    ("cli", "flags", "added"),
    [
        ("claude", "--disallowedTools Write Edit", ["--permission-mode", "acceptEdits"]),
        ("claude", "--permission-mode plan", []),
        ("gemini", "--approval-mode default", []),
    ],
)
def test_the_warned_command_runs_as_the_warning_says(
    tmp_path: Path, cli: str, flags: str, added: list[str]
) -> None:
    """What the warning says agentmake does is what it does: the user's mode is kept (no flag added), and
    removing it has agentmake add its writing flag."""
    command = tuple(PROGRAMS[cli].split()) + tuple(flags.split())

    def argv(command: tuple[str, ...]) -> list[str]:
        runner = RunnerSpec(name="r", command=command)
        inv = llm_invocation(
            runner,
            cli,
            model=None,
            prompt="p",
            writes_files=True,
            root=tmp_path,
            home=tmp_path / "home" / "t",
            environ={"HOME": str(tmp_path)},
        )
        return inv.argv[len(command) :]

    assert argv(command) == added
    plain = tuple(PROGRAMS[cli].split())
    writing = {"claude": ["--permission-mode", "acceptEdits"], "gemini": ["--approval-mode", "auto_edit"]}
    assert argv(plain) == writing[cli]

"""Outputs are staged, checks run on the staged files, shell commands are quoted, secrets stay out of logs,
and every task gets its own config directory."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import RunnerProject

from agentmake.model import Check, RunnerSpec
from agentmake.plan import Decision
from agentmake.runners import PRESETS
from agentmake.runners.classify import refused_tools


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if "agentmake-tmp" in p.name or "agentmake-bak" in p.name]


def test_failed_attempt_leaves_the_previous_good_output_untouched(project: RunnerProject) -> None:
    (project.root / "out.md").write_text("good\n")
    res = project.run(project.agent("a"), "x\nFAKE: fail=500")
    assert res.outcome == "retry"
    assert (project.root / "out.md").read_text() == "good\n"
    assert leftovers(project.root) == []


def test_discard_removes_staged_files(project: RunnerProject) -> None:
    executor = project.executor()
    task = project.agent("a")
    res = executor.execute(task, Decision("a", "run", prompt="q"), 1, threading.Event())
    staged = res.staged["out.md"]
    assert staged.exists()
    executor.discard(res)
    assert not staged.exists() and res.staged == {}


def test_output_directory_is_created_and_suffix_kept(project: RunnerProject) -> None:
    res = project.run(project.agent("a", outputs=("deep/dir/report.json",)), 'FAKE: answer={"a": 1}')
    staged = res.staged["deep/dir/report.json"]
    assert staged.parent == project.root / "deep" / "dir" and staged.suffix == ".json"
    assert json.loads(staged.read_text()) == {"a": 1}


def test_check_json_rejects_invalid_json(project: RunnerProject) -> None:
    task = project.agent("a", outputs=("o.json",), check=Check("json"))
    bad = project.run(task, "x\nFAKE: invalid-json-answer")
    assert (bad.outcome, bad.error_type) == ("retry", "check")
    assert "o.json is not valid JSON" in bad.message
    assert leftovers(project.root) == []
    good = project.run(task, 'FAKE: answer={"ok": true}')
    assert good.outcome == "ok"


def test_check_command_runs_on_the_staged_file(project: RunnerProject) -> None:
    ok = project.run(project.agent("a", check=Check("command", "grep -q ANSWER {output}")), "hello")
    assert ok.outcome == "ok", ok.message
    bad = project.run(project.agent("b", check=Check("command", "grep -q NOPE {output}")), "hello")
    assert (bad.outcome, bad.error_type) == ("retry", "check")
    assert "grep -q NOPE" in bad.message
    assert leftovers(project.root) == [ok.staged["out.md"]]  # only the successful, uncommitted one


NASTY_IN = "in dir/it's; rm -rf x $(touch pwned).txt"
NASTY_OUT = 'out dir/a "b"; c `d`.txt'


def test_shell_agent_with_nasty_file_names(project: RunnerProject) -> None:
    (project.root / "in dir").mkdir()
    (project.root / NASTY_IN).write_text("payload\n")
    (project.root / "x").write_text("must survive")
    task = project.agent(
        "sh", inputs=(NASTY_IN,), outputs=(NASTY_OUT,), run="tr a-z A-Z < {input} > {output}"
    )
    res = project.run(task, None)
    assert res.outcome == "ok", res.message
    assert res.staged[NASTY_OUT].read_text() == "PAYLOAD\n"
    assert not (project.root / NASTY_OUT).exists()  # only the staged file was written
    assert (project.root / "x").read_text() == "must survive"
    assert not (project.root / "pwned").exists()


def test_shell_agent_failure_never_touches_the_real_output(project: RunnerProject) -> None:
    (project.root / "o.txt").write_text("good")
    task = project.agent("sh", outputs=("o.txt",), run="echo half > {output}; exit 3")
    res = project.run(task, None)
    assert (res.outcome, res.error_type, res.exit_code) == ("retry", "exit", 3)
    assert (project.root / "o.txt").read_text() == "good"
    assert leftovers(project.root) == []


def test_shell_agent_missing_output_and_missing_command(project: RunnerProject) -> None:
    res = project.run(project.agent("sh", outputs=("o.txt",), run=": {output}"), None)
    assert (res.outcome, res.error_type) == ("retry", "no-output")
    res = project.run(project.agent("sh1", outputs=("o.txt",), run="true"), None)  # (names no output)
    assert (res.outcome, res.error_type) == ("fatal", "no-output")
    res = project.run(project.agent("sh2", outputs=("o.txt",), run="no-such-tool-xyz > {output}"), None)
    assert (res.outcome, res.error_type) == ("fatal", "not-found")
    assert leftovers(project.root) == []


def test_shell_wildcards_are_substituted(project: RunnerProject) -> None:
    task = project.agent(
        "sh", outputs=("o.txt",), run="printf %s {name} > {output}", wildcards=(("name", "a b"),)
    )
    res = project.run(task, None)
    assert res.staged["o.txt"].read_text() == "a b"


def test_multi_output_agent_writes_files_which_are_staged(project: RunnerProject) -> None:
    (project.root / "a.md").write_text("old a")
    task = project.agent("m", outputs=("a.md", "sub/b.md"))
    res = project.run(task, "x\nFAKE: write=a.md,sub/b.md show-argv")
    assert res.outcome == "ok", res.message
    assert res.staged["a.md"].read_text().startswith("written by fake claude: a.md")
    assert res.staged["sub/b.md"].read_text().startswith("written by fake claude: sub/b.md")
    assert (project.root / "a.md").read_text() == "old a"  # not committed yet
    assert not (project.root / "sub/b.md").exists()
    argv = (project.root / ".agentmake/logs/m.1.out").read_text()
    assert "acceptEdits" in argv


def test_multi_output_failure_restores_previous_outputs(project: RunnerProject) -> None:
    (project.root / "a.md").write_text("old a")
    task = project.agent("m", outputs=("a.md", "b.md"))
    res = project.run(task, "x\nFAKE: write=a.md,b.md fail=500")
    assert res.outcome == "retry"
    assert (project.root / "a.md").read_text() == "old a"
    assert not (project.root / "b.md").exists()  # half-written new file removed
    assert leftovers(project.root) == []


def test_claudes_refused_writes_are_named_when_outputs_are_missing(project: RunnerProject) -> None:
    # RUNNERS.md: `-p` never prompts; a refused tool is listed in permission_denials, and claude exits 0
    command = (*PRESETS["claude"].command, "--permission-mode", "default")  # (the user's: not acceptEdits)
    project.runners["claude"] = replace(PRESETS["claude"], command=command)
    res = project.run(project.agent("m", outputs=("a.md", "b.md")), "x\nFAKE: write=a.md,b.md")
    # not retried: the same command is refused alike, and every attempt is paid for
    assert (res.exit_code, res.outcome, res.error_type) == (0, "fatal", "permission")
    assert "did not write a.md, b.md: it was refused Write a.md, Write b.md" in res.message
    assert "--permission-mode default" in res.message and "acceptEdits" in res.message  # what to change
    assert "--allowedTools=Edit,Write" in res.message


def test_the_fix_a_refusal_names_lets_claude_write(project: RunnerProject) -> None:
    # RUNNERS.md: `--allowedTools Write ...` whitelists; the `=` form keeps the prompt from being swallowed
    command = (*PRESETS["claude"].command, "--permission-mode", "default", "--allowedTools=Edit,Write")
    project.runners["claude"] = replace(PRESETS["claude"], command=command)
    res = project.run(project.agent("m", outputs=("a.md", "b.md")), "x\nFAKE: write=a.md,b.md")
    assert res.outcome == "ok", res.message


def test_a_refusal_under_a_mode_that_allows_edits_says_how_to_allow_the_tool() -> None:
    # e.g. a permissions.deny rule of the settings.json copied into the task's CLAUDE_CONFIG_DIR
    argv = ["claude", "-p", "--permission-mode=acceptEdits"]
    verdict = refused_tools("claude", argv, ["Bash", "Write a.md"], ["a.md"])
    assert (verdict.outcome, verdict.error_type) == ("fatal", "permission")
    assert "it was refused Bash, Write a.md" in verdict.message
    assert "--allowedTools" in verdict.message and "permissions.deny" in verdict.message
    assert "sets --permission-mode" not in verdict.message


def test_multi_output_missing_file_is_no_output(project: RunnerProject) -> None:
    res = project.run(project.agent("m", outputs=("a.md", "b.md"), runner="codex"), "x\nFAKE: write=a.md")
    assert (res.outcome, res.error_type) == ("retry", "no-output")
    assert "b.md" in res.message
    assert not (project.root / "a.md").exists()


def test_multi_output_agent_that_leaves_an_existing_output_unwritten_has_not_produced_it(
    project: RunnerProject,
) -> None:
    # a.md and b.md hold the previous run's results: an agent that exits 0 after writing only a.md must not
    # get the old b.md recorded (and cached) as its fresh answer
    (project.root / "a.md").write_text("old a")
    (project.root / "b.md").write_text("old b")
    task = project.agent("m", outputs=("a.md", "b.md"))
    res = project.run(task, "x\nFAKE: write=a.md")
    assert (res.outcome, res.error_type) == ("retry", "no-output")
    assert "did not write b.md" in res.message
    assert res.staged == {}
    assert (project.root / "a.md").read_text() == "old a"  # the previous good outputs are put back
    assert (project.root / "b.md").read_text() == "old b"
    assert leftovers(project.root) == []
    again = project.run(task, "x\nFAKE: write=a.md,b.md", attempt=2)
    assert again.outcome == "ok", again.message
    assert again.staged["b.md"].read_text().startswith("written by fake claude: b.md")


def test_multi_output_with_a_chat_only_runner_is_a_usage_error(project: RunnerProject) -> None:
    res = project.run(project.agent("m", outputs=("a", "b"), runner="llm"), "x")
    assert (res.outcome, res.error_type) == ("fatal", "usage")


def test_secret_values_are_passed_but_never_logged(
    project: RunnerProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_SECRET_TOKEN", "s3cr3t-value-123")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-abcdef-987")
    monkeypatch.setenv("UNDECLARED_THING", "nope")
    project.runners["claude"] = RunnerSpec(**{**PRESETS["claude"].__dict__, "env": ("MY_SECRET_TOKEN",)})
    res = project.run(
        project.agent("a"), "x\nFAKE: has-env=MY_SECRET_TOKEN,ANTHROPIC_API_KEY,UNDECLARED_THING"
    )
    text = res.staged["out.md"].read_text()
    assert "MY_SECRET_TOKEN: set" in text and "ANTHROPIC_API_KEY: set" in text
    assert "UNDECLARED_THING: unset" in text
    for path in (project.root / ".agentmake").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"s3cr3t-value-123" not in data and b"sk-ant-abcdef-987" not in data, path


def test_each_task_gets_its_own_config_dirs(project: RunnerProject, fake_agents) -> None:  # type: ignore[no-untyped-def]
    (fake_agents.home / ".codex").mkdir()
    (fake_agents.home / ".codex" / "auth.json").write_text('{"token": "x"}')
    show = (
        "FAKE: show-env=CLAUDE_CONFIG_DIR,DISABLE_AUTOUPDATER,CODEX_HOME\nFAKE: show-login\n"
        "FAKE: show-mode=CLAUDE_CONFIG_DIR,CODEX_HOME"
    )
    one = project.run(project.agent("t:1"), show).staged["out.md"].read_text()
    two = project.run(project.agent("t:2"), show).staged["out.md"].read_text()
    env1 = dict(line.split("=", 1) for line in one.splitlines() if "=" in line)
    env2 = dict(line.split("=", 1) for line in two.splitlines() if "=" in line)
    assert env1["CLAUDE_CONFIG_DIR"] != env2["CLAUDE_CONFIG_DIR"]
    assert env1["CLAUDE_CONFIG_DIR_MODE"] == "0o700"  # (private while the attempt runs)
    assert not Path(env1["CLAUDE_CONFIG_DIR"]).exists()  # (and removed when it ends, sessions and all)
    assert (project.root / ".agentmake" / "home") in Path(env1["CLAUDE_CONFIG_DIR"]).parents
    assert env1["DISABLE_AUTOUPDATER"] == "1" and env1["CODEX_HOME"] == ""
    cx = project.run(project.agent("c", runner="codex"), show).staged["out.md"].read_text()
    codex_home = Path(dict(ln.split("=", 1) for ln in cx.splitlines() if "=" in ln)["CODEX_HOME"])
    assert 'LOGIN={"token": "x"}' in cx  # (lent for the attempt, and removed after it)
    assert "CODEX_HOME_MODE=0o700" in cx
    assert not codex_home.exists()


def test_report_without_merge_uses_the_renderer(project: RunnerProject) -> None:
    res = project.run(
        project.report("r", "report.md"), None, report_renderer=lambda task, _gaps: f"# {task.name}\n"
    )
    assert res.outcome == "ok" and res.staged["report.md"].read_text() == "# r\n"
    res = project.run(project.report("r", "report.md"), None)
    assert (res.outcome, res.error_type) == ("fatal", "usage")


def test_report_with_merge_runs_an_agent(project: RunnerProject) -> None:
    res = project.run(project.report("r", "report.md", merge=True, runner="gemini"), "merge these")
    assert res.outcome == "ok", res.message
    assert res.staged["report.md"].read_text().startswith("ANSWER:\nmerge these")


def test_claude_gets_is_sandbox_when_it_is_set(
    project: RunnerProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    # claude refuses --dangerously-skip-permissions as root unless IS_SANDBOX=1 (a runner may add that flag)
    monkeypatch.setenv("IS_SANDBOX", "1")
    out = project.run(project.agent("a"), "FAKE: show-env=IS_SANDBOX").staged["out.md"].read_text()
    assert "IS_SANDBOX=1" in out.splitlines()


def test_claude_retries_little_by_itself_unless_told(
    project: RunnerProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    # claude retries 10 times itself (401s too, ~184 s a task); agentmake has its own retries and backoff
    show = "FAKE: show-env=CLAUDE_CODE_MAX_RETRIES"
    out = project.run(project.agent("a"), show).staged["out.md"].read_text()
    assert "CLAUDE_CODE_MAX_RETRIES=2" in out.splitlines()
    monkeypatch.setenv("CLAUDE_CODE_MAX_RETRIES", "7")  # the user's choice wins
    out = project.run(project.agent("b"), show).staged["out.md"].read_text()
    assert "CLAUDE_CODE_MAX_RETRIES=7" in out.splitlines()


def test_a_shell_command_longer_than_one_argument_may_be_still_runs(project: RunnerProject) -> None:
    # Linux caps one argv string at 128 KiB: `cat {inputs} > {output}` over thousands of files exceeds it
    # under `sh -c`; such a command is run from a script file kept with the attempt's logs
    words = " ".join(f"w{i:06d}" for i in range(20_000))  # 160 KB
    task = project.agent("s", outputs=("o.txt",), run=f"echo {words} > {{output}}")
    res = project.run(task, None)
    assert res.outcome == "ok", res.message
    assert res.staged["o.txt"].read_text() == words + "\n"
    assert (project.root / ".agentmake" / "logs" / "s.1.sh").read_text().startswith("echo w000000 ")


def test_a_silent_shell_failure_says_its_exit_code_once(project: RunnerProject) -> None:
    res = project.run(project.agent("f", outputs=("o.txt",), run="false"), None)
    assert (res.outcome, res.message) == ("retry", "exited with code 1")  # (was "...: exit code 1")
    loud = project.run(project.agent("g", outputs=("o.txt",), run="echo no such thing >&2; exit 3"), None)
    assert loud.message == "exited with code 3: no such thing"

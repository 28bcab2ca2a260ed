"""Each preset end to end through the fake CLIs: argv, prompt on stdin, output parsing, classification."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import RunnerProject

from agentmake.model import Check, RunnerSpec, Settings
from agentmake.runners import PRESETS
from agentmake.runners.base import AGENT_TIMEOUT


def argv_of(result_text: str) -> list[str]:
    line = next(ln for ln in result_text.splitlines() if ln.startswith("ARGV="))
    argv = json.loads(line[5:])
    return [Path(argv[0]).name, *argv[1:]]


def staged_text(result, output: str = "out.md") -> str:  # type: ignore[no-untyped-def]
    return result.staged[output].read_text()


def test_claude_json_answer_cost_and_tokens_recorded(project: RunnerProject) -> None:
    task = project.agent("a", model="opus")
    res = project.run(task, "Translate this\nFAKE: show-argv")
    assert res.outcome == "ok", res.message
    text = staged_text(res)
    assert text.startswith("ANSWER:\nTranslate this")  # the prompt arrived on stdin
    assert argv_of(text) == ["claude", "-p", "--output-format", "json", "--model", "opus"]
    assert res.cost_usd is not None and res.cost_usd > 0
    assert res.tokens_in and res.tokens_out
    assert res.exit_code == 0
    assert not (project.root / "out.md").exists()  # staged beside the target, not committed
    assert res.staged["out.md"].parent == project.root
    assert ".agentmake-tmp-" in res.staged["out.md"].name
    prompt_file = project.root / ".agentmake" / "tasks" / "a.prompt"
    assert prompt_file.read_text() == "Translate this\nFAKE: show-argv"
    assert (project.root / ".agentmake" / "logs" / "a.1.out").read_text().startswith('{"type":"result"')


@pytest.mark.parametrize(
    ("agent_model", "runner_model", "settings_model", "expected"),
    [("a1", "r1", "s1", "a1"), (None, "r1", "s1", "r1"), (None, None, "s1", "s1"), (None, None, None, None)],
)
def test_model_precedence_agent_runner_settings(
    project: RunnerProject, agent_model: str | None, runner_model: str | None, settings_model: str | None,
    expected: str | None,
) -> None:  # fmt: skip
    project.runners["claude"] = replace(PRESETS["claude"], model=runner_model)
    project.settings = Settings(model=settings_model)
    res = project.run(project.agent("a", model=agent_model), "x\nFAKE: show-argv")
    argv = argv_of(staged_text(res))
    if expected is None:
        assert "--model" not in argv
    else:
        assert argv[argv.index("--model") + 1] == expected


def test_claude_is_error_with_exit_0_is_a_failure(project: RunnerProject) -> None:
    res = project.run(project.agent("a"), "x\nFAKE: is_error")
    assert res.exit_code == 0
    assert res.outcome == "retry" and res.error_type == "rate-limit" and res.rate_limited
    assert res.staged == {}
    assert not list(project.root.glob(".*agentmake-tmp*"))


@pytest.mark.parametrize(
    ("code", "error_type"), [("429", "rate-limit"), ("529", "overloaded"), ("500", "overloaded")]
)
def test_claude_retryable_api_errors(project: RunnerProject, code: str, error_type: str) -> None:
    res = project.run(project.agent("a"), f"x\nFAKE: fail={code}")
    assert (res.outcome, res.error_type, res.exit_code) == ("retry", error_type, 1)
    assert "\n" not in res.message
    assert res.cost_usd == 0.0  # (a refused request is not billed)


@pytest.mark.parametrize("code", ["401", "noauth"])
def test_claude_auth_failure_is_fatal_with_fix(project: RunnerProject, code: str) -> None:
    res = project.run(project.agent("a"), f"x\nFAKE: fail={code}")
    assert (res.outcome, res.error_type) == ("fatal", "auth")
    assert "ANTHROPIC_API_KEY" in res.message
    assert res.cost_usd == 0.0 and not res.tokens_out  # (as claude reports it: nothing was billed)


def test_claude_text_format_api_error_on_stdout(project: RunnerProject) -> None:
    project.runners["claude"] = replace(PRESETS["claude"], command=("claude", "-p"), format="text")
    ok = project.run(project.agent("a"), "hello")
    assert ok.outcome == "ok" and staged_text(ok) == "ANSWER:\nhello\n"
    bad = project.run(project.agent("b"), "x\nFAKE: fail=429")
    assert (bad.outcome, bad.error_type) == ("retry", "rate-limit")


def test_claude_text_format_api_error_with_exit_0_is_a_failure(project: RunnerProject) -> None:
    # RUNNERS.md: "exit 0 alone lies": in text mode claude can print `API Error: ...` on stdout and exit 0
    project.runners["claude"] = replace(PRESETS["claude"], command=("claude", "-p"), format="text")
    res = project.run(project.agent("a"), "x\nFAKE: is_error")
    assert (res.exit_code, res.outcome, res.error_type) == (0, "retry", "rate-limit"), res.message
    assert res.staged == {} and "API Error" in res.message


def test_codex_jsonl_answer_argv_and_tokens(project: RunnerProject) -> None:
    res = project.run(project.agent("a", runner="codex", model="o3"), "q\nFAKE: show-argv")
    assert res.outcome == "ok", res.message
    argv = argv_of(staged_text(res))
    assert argv == ["codex", "exec", "--json", "--skip-git-repo-check", "-m", "o3", "-"]
    assert res.tokens_in and res.tokens_out and res.cost_usd is None
    assert "Reading additional input from stdin..." in (project.root / ".agentmake/logs/a.1.err").read_text()


@pytest.mark.parametrize(
    ("code", "outcome", "error_type"),
    [
        ("429", "retry", "rate-limit"),
        ("quota", "fatal", "quota"),
        ("401", "fatal", "auth"),
        ("dblock", "retry", "exit"),
    ],
)
def test_codex_turn_failed(project: RunnerProject, code: str, outcome: str, error_type: str) -> None:
    res = project.run(project.agent("a", runner="codex"), f"q\nFAKE: fail={code}")
    assert (res.outcome, res.error_type) == (outcome, error_type), res.message


def test_codex_usage_error_exit_2_is_fatal(project: RunnerProject) -> None:
    project.runners["codex"] = replace(PRESETS["codex"], command=("codex", "exec", "--json", "--bogus"))
    res = project.run(project.agent("a", runner="codex"), "q")
    assert (res.outcome, res.error_type, res.exit_code) == ("fatal", "usage", 2)


@pytest.mark.parametrize(
    ("runner", "command", "said"),
    [
        ("claude", ("claude", "-p", "--output-format", "json", "--bogus"), "unknown option '--bogus'"),
        ("claude", ("claude", "-p", "--output-format", "yaml"), "argument 'yaml' is invalid"),
        ("llm", ("llm", "--bogus"), "No such option: --bogus"),
        ("ollama", ("ollama", "run", "--bogus"), "unknown flag: --bogus"),
    ],
)
def test_a_cli_rejecting_its_command_line_is_fatal(
    project: RunnerProject, runner: str, command: tuple[str, ...], said: str
) -> None:
    # like codex's exit 2: the CLI's own argument parser refused the runner's command, before any call;
    # every retry would be refused the same way (claude exits 1 for it, llm/click 2, ollama/cobra 1)
    project.runners[runner] = replace(PRESETS[runner], command=command)
    res = project.run(project.agent("a", runner=runner, model="m"), "q")
    assert (res.outcome, res.error_type) == ("fatal", "usage"), res.message
    assert said in res.message


@pytest.mark.skipif(os.geteuid() != 0, reason="claude refuses the flag only as root")
@pytest.mark.parametrize(
    "flag", [("--dangerously-skip-permissions",), ("--permission-mode", "bypassPermissions")]
)
def test_claude_refusing_to_skip_permissions_as_root_is_fatal_and_says_is_sandbox(
    project: RunnerProject, monkeypatch: pytest.MonkeyPatch, flag: tuple[str, ...]
) -> None:
    monkeypatch.delenv("IS_SANDBOX", raising=False)
    project.runners["claude"] = replace(PRESETS["claude"], command=(*PRESETS["claude"].command, *flag))
    res = project.run(project.agent("a"), "q")
    assert (res.exit_code, res.outcome, res.error_type) == (1, "fatal", "usage"), res.message
    assert "IS_SANDBOX=1" in res.message
    monkeypatch.setenv("IS_SANDBOX", "1")  # passed through: then claude accepts it
    assert project.run(project.agent("b"), "q").outcome == "ok"


def test_gemini_json_answer_and_tokens(project: RunnerProject) -> None:
    res = project.run(project.agent("a", runner="gemini", model="gemini-2.5-flash"), "q\nFAKE: show-argv")
    assert res.outcome == "ok", res.message
    text = staged_text(res)
    assert text.startswith("ANSWER:\nq")
    assert argv_of(text) == ["gemini", "-o", "json", "-m", "gemini-2.5-flash"]
    assert res.tokens_in and res.tokens_out


@pytest.mark.parametrize(
    ("code", "exit_code", "outcome", "error_type"),
    [("429", 173, "retry", "rate-limit"), ("503", 247, "retry", "overloaded"),
     ("noauth", 41, "fatal", "auth"), ("401", 145, "fatal", "auth")],
)  # fmt: skip
def test_gemini_failures(
    project: RunnerProject, code: str, exit_code: int, outcome: str, error_type: str
) -> None:
    res = project.run(project.agent("a", runner="gemini"), f"q\nFAKE: fail={code}")
    assert (res.exit_code, res.outcome, res.error_type) == (exit_code, outcome, error_type), res.message


def test_gemini_untrusted_folder_exit_55_is_fatal(
    project: RunnerProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_CLI_TRUST_WORKSPACE", "false")  # the user's own setting wins
    res = project.run(project.agent("a", runner="gemini"), "q")
    assert (res.exit_code, res.outcome, res.error_type) == (55, "fatal", "usage")
    assert "GEMINI_CLI_TRUST_WORKSPACE" in res.message


def test_llm_text_with_private_database(project: RunnerProject) -> None:
    res = project.run(project.agent("a b", runner="llm", model="gpt-4o"), "q\nFAKE: show-argv")
    assert res.outcome == "ok", res.message
    argv = argv_of(staged_text(res))
    assert argv[:3] == ["llm", "-m", "gpt-4o"]
    db = Path(argv[argv.index("-d") + 1])
    assert db.name == "logs.db" and (project.root / ".agentmake" / "home") in db.parents


@pytest.mark.parametrize(
    ("code", "outcome", "error_type"),
    [("429", "retry", "rate-limit"), ("noauth", "fatal", "auth"), ("quota", "fatal", "quota")],
)
def test_llm_errors(project: RunnerProject, code: str, outcome: str, error_type: str) -> None:
    res = project.run(project.agent("a", runner="llm"), f"q\nFAKE: fail={code}")
    assert (res.outcome, res.error_type) == (outcome, error_type), res.message


def test_llm_json_format_runner(project: RunnerProject) -> None:
    project.runners["llmj"] = RunnerSpec(
        name="llmj", command=("llm", "--json"), base="llm", model_flag="-m", format="llm-json"
    )
    res = project.run(project.agent("a", runner="llmj"), "q")
    assert res.outcome == "ok" and staged_text(res) == "ANSWER:\nq"
    assert res.tokens_in == 1


def test_ollama_model_is_positional(project: RunnerProject) -> None:
    res = project.run(project.agent("a", runner="ollama", model="qwen3"), "q\nFAKE: show-argv")
    assert res.outcome == "ok", res.message
    assert argv_of(staged_text(res)) == ["ollama", "run", "--hidethinking", "qwen3"]


def test_ollama_without_model_is_a_usage_error(project: RunnerProject) -> None:
    res = project.run(project.agent("a", runner="ollama"), "q")
    assert (res.outcome, res.error_type) == ("fatal", "usage")
    assert "model" in res.message


def test_ollama_busy_retries_and_401_with_exit_0_is_fatal(project: RunnerProject) -> None:
    busy = project.run(project.agent("a", runner="ollama", model="m"), "q\nFAKE: fail=503")
    assert (busy.outcome, busy.error_type) == ("retry", "overloaded")
    auth = project.run(project.agent("b", runner="ollama", model="m"), "q\nFAKE: fail=401")
    assert (auth.exit_code, auth.outcome, auth.error_type) == (0, "fatal", "auth")


def test_command_not_found_is_fatal(project: RunnerProject) -> None:
    project.runners["ghost"] = RunnerSpec(name="ghost", command=("no-such-agent-cli-xyz", "-p"))
    res = project.run(project.agent("a", runner="ghost"), "q")
    assert (res.outcome, res.error_type) == ("fatal", "not-found")
    assert "install no-such-agent-cli-xyz or fix PATH" in res.message


def test_exit_0_without_output_is_a_failure(project: RunnerProject) -> None:
    for runner in ("claude", "codex", "gemini", "llm"):
        res = project.run(project.agent(f"a-{runner}", runner=runner), "q\nFAKE: exit0-no-output")
        assert (res.outcome, res.error_type) == ("retry", "no-output"), (runner, res.message)
        assert res.staged == {}


def test_on_process_reports_pid_and_own_group(project: RunnerProject) -> None:
    seen: list[tuple[str, int, int]] = []
    res = project.run(project.agent("a"), "q", on_process=lambda t, pid, pgid: seen.append((t, pid, pgid)))
    assert res.outcome == "ok"
    assert len(seen) == 1 and seen[0][0] == "a" and seen[0][1] == seen[0][2]


def test_a_check_commands_process_is_reported_too(project: RunnerProject) -> None:
    # like the agent's, so that it is in the spawn log, and ended by the next run if agentmake is killed
    seen: list[tuple[str, int, int]] = []
    task = project.agent("a", check=Check("command", "grep -q ANSWER {output}"))
    res = project.run(task, "q", on_process=lambda t, pid, pgid: seen.append((t, pid, pgid)))
    assert res.outcome == "ok", res.message
    assert [t for t, _, _ in seen] == ["a", "a"]  # the agent, then its check
    assert seen[0][1] != seen[1][1] and all(pid == pgid for _, pid, pgid in seen)


def test_large_prompt_goes_through_stdin(project: RunnerProject) -> None:
    big = "word " * 60_000 + "\nEND"  # 300 KB: over the 128 KiB limit of one argv string
    res = project.run(project.agent("a"), big)
    assert res.outcome == "ok", res.message
    assert staged_text(res) == "ANSWER:\n" + big


def test_verbose_streams_output_prefixed_with_the_task_id(
    project: RunnerProject, capsys: pytest.CaptureFixture[str]
) -> None:
    res = project.run(project.agent("v", runner="llm"), "line one\nFAKE: stderr=progress", verbose=True)
    assert res.outcome == "ok"
    err = capsys.readouterr().err
    assert "[v] ANSWER:" in err and "[v] line one" in err
    assert "[v!] progress" in err.splitlines()  # its stderr too: where CLIs print progress and errors


def stub_cli(root: Path, name: str, stdout: str, stderr: str = "", code: int = 1) -> str:
    """A stand-in CLI that prints `stdout` and `stderr` and exits with `code` (for output no FAKE directive
    makes)."""
    (root / f"{name}.out").write_text(stdout)
    (root / f"{name}.err").write_text(stderr)
    script = root / name
    script.write_text(
        f'#!/bin/sh\ncat >/dev/null\ncat "{root}/{name}.out"\ncat "{root}/{name}.err" >&2\nexit {code}\n'
    )
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize(
    ("base", "fmt", "stdout"),
    [
        (  # a claude run stopped by an error, whose token counts happen to read 401 and 403
            "claude",
            "claude-json",
            json.dumps({"type": "result", "subtype": "error_during_execution", "is_error": True, "result": "",
                        "duration_api_ms": 403, "usage": {"input_tokens": 401, "output_tokens": 7}}),
        ),
        (  # a codex turn whose test run printed "403 passed" and mentioned billing, then lost its stream
            "codex",
            "codex-jsonl",
            "\n".join(json.dumps(e) for e in [
                {"type": "item.completed", "item": {"type": "command_execution", "command": "pytest",
                 "aggregated_output": "403 passed in 2.10s; tests/test_billing.py ok", "exit_code": 0}},
                {"type": "turn.failed", "error": {"message": "stream disconnected before completion"}},
            ]),
        ),
    ],
)  # fmt: skip
def test_a_json_answers_own_content_does_not_decide_the_failure(
    project: RunnerProject, base: str, fmt: str, stdout: str
) -> None:
    command = stub_cli(project.root, "stub", stdout + "\n")
    project.runners["stub"] = RunnerSpec(name="stub", command=(command,), base=base, format=fmt)
    res = project.run(project.agent("a", runner="stub"), "q")
    assert (res.outcome, res.error_type) == ("retry", "exit"), res.message  # not "fatal: auth" or "quota"


@pytest.mark.parametrize(
    ("stderr", "outcome", "error_type"),
    [
        ("Error: Error code: 401 - invalid x-api-key\n", "fatal", "auth"),
        ("Error: Error code: 429 - Too Many Requests\n", "retry", "rate-limit"),
        ("Error: something else broke\n", "retry", "exit"),
    ],
)
def test_a_runner_of_no_preset_is_judged_by_the_api_rules_too(
    project: RunnerProject, stderr: str, outcome: str, error_type: str
) -> None:
    project.runners["mine"] = RunnerSpec(name="mine", command=(stub_cli(project.root, "mine", "", stderr),))
    res = project.run(project.agent("a", runner="mine"), "q")
    assert (res.outcome, res.error_type) == (outcome, error_type), res.message
    assert res.rate_limited == (error_type == "rate-limit")


def test_an_llm_agent_has_a_time_limit_even_when_the_agentfile_sets_none(project: RunnerProject) -> None:
    # a CLI can wait forever (codex retries "waiting for network" without end): only our limit ends it
    executor = project.executor()
    llm, shell = project.agent("a"), project.agent("s", run="true")
    assert executor._timeout(llm.spec, PRESETS["claude"]) == AGENT_TIMEOUT == 3600
    assert executor._timeout(shell.spec, PRESETS["shell"]) is None  # a shell agent: none, as in make
    project.settings = Settings(timeout=300.0)
    assert project.executor()._timeout(llm.spec, PRESETS["claude"]) == 300.0  # what the Agentfile says wins


@pytest.mark.parametrize("runner", ["claude", "codex", "gemini"])
def test_a_cli_without_credentials_fails_at_once_with_what_to_fix(
    project: RunnerProject, monkeypatch: pytest.MonkeyPatch, runner: str
) -> None:
    # the fakes, like the real CLIs, answer only with a key (passed through agentmake's minimal environment)
    # or a credentials file in their config directory (each job gets its own copy)
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "CODEX_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    res = project.run(project.agent("a", runner=runner), "q")
    assert (res.outcome, res.error_type) == ("fatal", "auth"), res.message
    assert res.staged == {}


def test_codex_logged_in_by_file_works_through_its_per_job_home(
    project: RunnerProject,
    monkeypatch: pytest.MonkeyPatch,
    fake_agents,  # type: ignore[no-untyped-def]
) -> None:
    for name in ("OPENAI_API_KEY", "CODEX_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    (fake_agents.home / ".codex").mkdir()
    (fake_agents.home / ".codex" / "auth.json").write_text('{"token": "x"}')
    res = project.run(project.agent("a", runner="codex"), "q")
    assert res.outcome == "ok", res.message  # only if agentmake copied auth.json into the job's CODEX_HOME


def test_codex_waiting_for_network_forever_is_ended_by_the_time_limit(project: RunnerProject) -> None:
    # RUNNERS.md: with the network down codex prints "Reconnecting... waiting for network" forever; a time
    # limit shorter than the patience with the network ends it first
    task = project.agent("a", runner="codex", timeout=5.0)  # (the fake says it waits within it: ~0.4 s)
    res = project.run(task, "q\nFAKE: fail=network", grace=0.5, network_patience=300.0)
    assert (res.outcome, res.error_type) == ("retry", "timeout"), res.message
    assert "waiting for network" in (project.root / ".agentmake/logs/a.1.out").read_text()  # (--json: events)


def test_codex_waiting_for_network_is_ended_after_the_patience_not_the_time_limit(
    project: RunnerProject, fake_agents,  # type: ignore[no-untyped-def]
) -> None:  # fmt: skip
    task = project.agent("a", runner="codex", timeout=600.0)
    res = project.run(task, "q\nFAKE: fail=network", grace=0.5, network_patience=0.5)
    assert (res.outcome, res.error_type) == ("retry", "network"), res.message
    assert res.message.startswith("codex waited 0.5s for the network"), res.message
    assert "check the connection" in res.message
    assert "waiting for network" in (project.root / ".agentmake/logs/a.1.out").read_text()  # (--json: events)
    assert running_fakes(fake_agents) == []  # its process group was ended
    assert res.staged == {} and not (project.root / "out.md").exists()


@pytest.mark.parametrize("runner", ["codex", "gemini"])
def test_codex_and_gemini_may_write_a_multi_output_agents_files(project: RunnerProject, runner: str) -> None:
    # read-only by default: codex needs -s workspace-write, gemini --approval-mode auto_edit ("ask" = deny)
    res = project.run(
        project.agent("m", ("a.md", "b.md"), runner=runner), "x\nFAKE: write=a.md,b.md show-argv"
    )
    assert res.outcome == "ok", res.message
    assert res.staged["b.md"].read_text().startswith(f"written by fake {runner}: b.md")


def test_claude_logged_in_by_oauth_token_only(
    project: RunnerProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.setenv(
        "CLAUDE_CODE_OAUTH_TOKEN", "fake-oauth-token"
    )  # passed through agentmake's minimal env
    res = project.run(project.agent("a"), "q")
    assert res.outcome == "ok", res.message


def running_fakes(fake_agents) -> list[int]:  # type: ignore[no-untyped-def]
    """Pids of fake agents that logged a start and no end and are still alive."""
    live: dict[int, bool] = {}
    for event, _, pid, _, _ in fake_agents.log_lines():
        live[pid] = event == "start"
    return [pid for pid, started in live.items() if started and os.path.exists(f"/proc/{pid}")]


@pytest.mark.parametrize(
    ("code", "meaning"),
    [(44, "sandbox error"), (54, "tool failed"), (130, "was cancelled")],
)
def test_geminis_own_exit_codes_that_are_not_fatal_are_retried_and_named(
    project: RunnerProject, code: int, meaning: str
) -> None:
    # RUNNERS.md: gemini exits 44 sandbox, 54 tool, 130 cancelled; 41/42/52/55 and 53, its turn limit
    # (test_prochunt_turns), are fatal
    prompt = f"q\nFAKE: exit={code} stderr=something went wrong"
    res = project.run(project.agent("a", runner="gemini"), prompt)
    assert (res.outcome, res.error_type, res.exit_code) == ("retry", "exit", code), res.message
    assert f"{meaning} (exit {code}): something went wrong" in res.message


def test_claude_fallback_model_in_the_runner_command_reaches_claude(project: RunnerProject) -> None:
    # RUNNERS.md: `--model`, `--fallback-model`; the agent's model is added after the runner's own flags
    command = (*PRESETS["claude"].command, "--fallback-model", "sonnet")
    project.runners["claude"] = replace(PRESETS["claude"], command=command)
    res = project.run(project.agent("a", model="opus"), "q\nFAKE: show-argv")
    assert res.outcome == "ok", res.message
    argv = argv_of(staged_text(res))
    assert argv[argv.index("--fallback-model") + 1] == "sonnet" and argv[argv.index("--model") + 1] == "opus"

"""The presets against the real CLIs' behaviour (shared/RUNNERS.md, and the tools' sources), through the
faithful fake: failures a real CLI reports with exit 0, and presets overridden in an Agentfile."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import FakeAgents, RunnerProject
from e2e_helpers import E2E

from agentmake.runners.classify import classify_failure
from agentmake.runners.parse import Parsed, delivered
from agentmake.syntax.load import load_agentfile


def run(fake: FakeAgents, argv: list[str], stdin: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(fake.bin / argv[0]), *argv[1:]], input=stdin, capture_output=True, text=True, cwd=cwd,
        env=fake.env(), timeout=60,
    )  # fmt: skip


# -- ollama: a cloud model without a sign-in ---------------------------------------------------------------


def test_fake_ollama_tells_a_cloud_401_on_stdout_and_exits_0(fake_agents: FakeAgents, tmp_path: Path) -> None:
    # ollama's RunHandler/generate: an AuthorizationError 401 is `fmt.Printf`ed (stdout), then `return nil`
    r = run(fake_agents, ["ollama", "run", "gpt-oss:120b-cloud"], "hi\nFAKE: fail=401", tmp_path)
    assert r.returncode == 0
    assert r.stdout.startswith("You need to be signed in to Ollama to run Cloud models.\n\n")
    assert "To sign in, navigate to:\n    https://ollama.com/connect?" in r.stdout


def test_an_ollama_sign_in_request_is_no_answer_but_a_fatal_auth_failure(project: RunnerProject) -> None:
    task = project.agent("a", runner="ollama", model="gpt-oss:120b-cloud")
    res = project.run(task, "q\nFAKE: fail=noauth")
    assert res.exit_code == 0
    assert (res.outcome, res.error_type) == ("fatal", "auth"), res.message
    assert "You need to be signed in to Ollama" in res.message and "ollama signin" in res.message
    assert res.staged == {}
    assert not (project.root / "out.md").exists()


# -- a preset whose command is overridden: read what that command prints -------------------------------------


def test_a_preset_told_to_print_plain_text_is_read_as_text(fake_agents: FakeAgents, tmp_path: Path) -> None:
    # `claude -p` without --output-format json, `codex exec` without --json and `gemini -o text` print the
    # answer alone: read as the preset's JSON format, each answer was a "failure", retried and paid again
    e = E2E(tmp_path / "p", fake_agents)
    e.write(
        "Agentfile",
        """\
        runner claude:
            command = "claude -p --output-format text"
            retries = 2
        runner codex:
            command = "codex exec --skip-git-repo-check"
            retries = 2
        runner quiet:
            base    = gemini
            command = "gemini -o text"
            retries = 2

        agent a:
            runner  = claude
            prompt  = "FAKE: label=a answer=from claude"
            outputs = a.md
        agent b:
            runner  = codex
            prompt  = "FAKE: label=b answer=from codex"
            outputs = b.md
        agent c:
            runner  = quiet
            prompt  = "FAKE: label=c answer=from gemini"
            outputs = c.md
        """,
    )
    r = e.am()
    assert r.code == 0, r.text
    assert (r.summary.ran, r.summary.failed) == (3, 0)
    assert sorted(e.calls()) == ["a", "b", "c"]  # one call each
    answers = [e.read(f"{name}.md") for name in "abc"]
    assert answers == ["from claude\n", "from codex\n", "from gemini\n"]


def test_the_format_a_command_implies_follows_its_output_flag(tmp_path: Path) -> None:
    def fmt(runner: str) -> str:
        path = tmp_path / "Agentfile"
        agent = 'agent a:\n    runner = r\n    prompt = "x"\n    outputs = a.md\n'
        path.write_text(f"runner r:\n{runner}\n{agent}")
        return load_agentfile(path).runners["r"].format

    stream = '    base = claude\n    command = "claude -p --output-format=stream-json --verbose"'
    assert fmt(stream) == "claude-json"
    assert fmt('    base = claude\n    command = "claude -p --model opus"') == "text"  # (claude's default)
    assert fmt('    base = claude\n    command = "claude -p --output-format json"') == "claude-json"
    assert fmt('    base = codex\n    command = "codex exec --json -"') == "codex-jsonl"
    assert fmt('    base = gemini\n    command = "gemini --output-format=json"') == "gemini-json"
    # a format the runner sets is kept as set
    assert fmt('    base = claude\n    command = "claude -p"\n    format = claude-json') == "claude-json"
    # a runner that only changes the model keeps its preset's command, and its format
    assert fmt("    base = codex\n    model = o3") == "codex-jsonl"
    # a wrapper may add the flags itself: its preset's format stays, unless its command names one
    assert fmt('    base = claude\n    command = "./my-claude.sh"') == "claude-json"
    assert fmt('    base = codex\n    command = "npx codex-wrapper exec"') == "codex-jsonl"
    assert fmt('    base = gemini\n    command = "ssh box gemini-cli"') == "gemini-json"
    assert fmt('    base = claude\n    command = "./my-claude.sh --output-format text"') == "text"
    assert fmt('    base = gemini\n    command = "ssh box gemini-cli -o text"') == "text"
    assert fmt('    base = gemini\n    command = "/opt/bin/gemini"') == "text"  # (the CLI: its default)


# -- claude in verbose mode: `--output-format json` prints every message, the result last -------------------


def test_fake_claude_verbose_json_is_an_array_of_messages(fake_agents: FakeAgents, tmp_path: Path) -> None:
    # anthropics/claude-code#84784: with --verbose, or "verbose": true in settings.json, `-p --output-format
    # json` prints a JSON array of the session's messages, the result object last
    r = run(fake_agents, ["claude", "-p", "--output-format", "json", "--verbose"], "hi", tmp_path)
    messages = json.loads(r.stdout)
    assert isinstance(messages, list) and messages[0]["type"] == "system"
    assert messages[-1]["type"] == "result" and messages[-1]["result"] == "ANSWER:\nhi"
    settings = fake_agents.home / ".claude" / "settings.json"
    settings.parent.mkdir(exist_ok=True)  # (made by the first run, which kept its session there)
    settings.write_text('{"verbose": true}')
    r = run(fake_agents, ["claude", "-p", "--output-format", "json"], "hi", tmp_path)
    assert isinstance(json.loads(r.stdout), list)


def test_claude_in_verbose_mode_is_read_from_its_last_message(project: RunnerProject) -> None:
    # the user's settings.json is copied into each job's CLAUDE_CONFIG_DIR: its "verbose" comes along
    settings = Path(os.environ["HOME"]) / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text('{"verbose": true}')
    res = project.run(project.agent("a"), "hello")
    assert res.outcome == "ok", res.message
    assert res.staged["out.md"].read_text() == "ANSWER:\nhello"
    assert res.cost_usd and res.tokens_in and res.tokens_out
    failed = project.run(project.agent("b"), "hello\nFAKE: fail=401")
    assert (failed.outcome, failed.error_type) == ("fatal", "auth"), failed.message


def test_a_verbose_claude_answer_left_by_a_killed_build_is_salvageable() -> None:
    result = {"type": "result", "subtype": "success", "is_error": False, "result": "done", "usage": {}}
    stdout = json.dumps([{"type": "system", "subtype": "init"}, result]) + "\n"
    parsed = delivered("claude-json", stdout, "")
    assert parsed is not None and parsed.answer == "done"


# -- a per-minute quota is a rate limit, however the API spells it ------------------------------------------


def test_a_gemini_per_minute_quota_is_retried_later_not_fatal() -> None:
    # the Gemini API's free-tier 429 says "You exceeded your current quota ... billing" and names the quota
    # it hit by its id: a per-minute one passes in a minute (a per-day one does not)
    def message(quota_id: str) -> str:
        return (
            '[API Error: {"error":{"code":429,"message":"You exceeded your current quota, please check '
            'your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":'
            '"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":'
            '"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":'
            f'"{quota_id}"}}]}}]}}}}]'
        )

    minute = message("GenerateRequestsPerMinutePerProjectPerModel-FreeTier")
    verdict = classify_failure("gemini", 173, Parsed(is_error=True, error=minute, status=429), "", "")
    assert (verdict.outcome, verdict.error_type) == ("retry", "rate-limit"), verdict.message
    day = message("GenerateRequestsPerDayPerProjectPerModel-FreeTier")
    verdict = classify_failure("gemini", 173, Parsed(is_error=True, error=day, status=429), "", "")
    assert (verdict.outcome, verdict.error_type) == ("fatal", "quota"), verdict.message

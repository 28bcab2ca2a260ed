"""The built-in `aider` runner preset (shared/RUNNERS.md): `aider --message-file FILE --yes-always
--no-auto-commits --no-git`, the prompt in a private file (aider reads no stdin), its answer, tokens and cost
read from its text output, and its API failures found in that output although it exits 0 (aider#5552)."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import FakeAgents, RunnerProject
from e2e_helpers import E2E

from agentmake.model import OUTPUT_FORMATS, PRESET_NAMES
from agentmake.runners.classify import classify_failure
from agentmake.runners.credentials import remove_job
from agentmake.runners.invocation import AIDER_MESSAGE, llm_invocation, may_write_files
from agentmake.runners.parse import parse_aider_text
from agentmake.runners.presets import AUTH_ENV, PRESETS, WRITES_FILES
from agentmake.syntax.load import load_agentfile

ROOT = Path(__file__).resolve().parent.parent
PROMPT = "Summarise the notes, SECRET-PROMPT-WORDS inside\n"


def _invocation(tmp_path: Path, *, writes_files: bool = False, environ: dict[str, str] | None = None):
    home = tmp_path / ".agentmake" / "home" / "task"
    return llm_invocation(
        PRESETS["aider"], "aider", model="gpt-4o", prompt=PROMPT, writes_files=writes_files, root=tmp_path,
        home=home, environ=environ if environ is not None else {"PATH": "/bin", "OPENAI_API_KEY": "k"},
    )  # fmt: skip


def _value(argv: list[str], flag: str) -> str:
    assert argv.count(flag) == 1, argv
    return argv[argv.index(flag) + 1]


# -- invocation ----------------------------------------------------------------------------------------------


def test_the_prompt_goes_in_a_private_file_never_in_argv_nor_stdin(tmp_path: Path) -> None:
    inv = _invocation(tmp_path)
    assert inv.argv[:5] == ["aider", "--yes-always", "--no-auto-commits", "--no-git", "--no-pretty"]
    assert inv.stdin is None  # (aider reads none)
    assert not any("SECRET-PROMPT-WORDS" in a for a in inv.argv)
    message = Path(_value(inv.argv, "--message-file"))
    assert message == tmp_path / ".agentmake" / "home" / "task" / "aider" / AIDER_MESSAGE
    assert message.read_text(encoding="utf-8") == PROMPT
    assert stat.S_IMODE(message.stat().st_mode) == 0o600
    remove_job(message.parent.parent)  # (what an attempt's end does: the file goes with its job directory)
    assert not message.exists()
    # `-m` is aider's --message: the model goes with --model
    assert _value(inv.argv, "--model") == "gpt-4o" and "-m" not in inv.argv


def test_aider_keeps_its_histories_in_the_task_job_directory(tmp_path: Path) -> None:
    inv = _invocation(tmp_path)
    job = tmp_path / ".agentmake" / "home" / "task" / "aider"
    assert Path(_value(inv.argv, "--chat-history-file")).parent == job
    assert Path(_value(inv.argv, "--input-history-file")).parent == job
    assert "--no-restore-chat-history" in inv.argv
    # --yes-always would say yes to "Open URL for more info?" after an API error: no browser opens
    assert inv.env is not None and inv.env["BROWSER"] == "true"
    assert inv.env["OPENAI_API_KEY"] == "k"


def test_single_output_asks_multi_output_edits(tmp_path: Path) -> None:
    single = _invocation(tmp_path)
    assert _value(single.argv, "--chat-mode") == "ask"  # its answer is the output: it edits nothing
    assert not may_write_files("aider", single.argv)
    multi = _invocation(tmp_path, writes_files=True)
    assert "--chat-mode" not in multi.argv
    assert may_write_files("aider", multi.argv)
    assert "aider" in WRITES_FILES


def test_the_prompt_file_is_never_written_through_a_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    job = tmp_path / ".agentmake" / "home" / "task" / "aider"
    job.mkdir(parents=True)
    (job / AIDER_MESSAGE).symlink_to(victim)
    inv = _invocation(tmp_path)
    assert victim.read_text() == "mine\n"
    message = Path(_value(inv.argv, "--message-file"))
    assert not message.is_symlink() and message.read_text(encoding="utf-8") == PROMPT


def test_the_prompt_file_is_removed_after_the_attempt(project: RunnerProject) -> None:
    task = project.agent("a", runner="aider")
    res = project.run(task, "hello there\nFAKE: show-argv answer=the answer")
    assert res.outcome == "ok", res.message
    answer = res.staged["out.md"].read_text()
    argv = json.loads(answer.split("ARGV=", 1)[1].splitlines()[0])
    assert "hello there" not in " ".join(argv)
    message = Path(_value(argv, "--message-file"))
    assert message.parent.parent.parent == project.root / ".agentmake" / "home"
    assert not message.exists()
    assert answer.startswith("the answer\nARGV=")
    # nothing of aider's lands in the project
    assert not list(project.root.glob(".aider*"))


# -- output parsing ------------------------------------------------------------------------------------------

BANNER = "Aider v0.86.2\nMain model: gpt-4o with ask edit format\nWeak model: gpt-4o-mini\nGit repo: none\n"


def test_tokens_and_cost_are_read_and_added_up_over_replies() -> None:
    out = (
        f"{BANNER}Repo-map: disabled\n\nfirst\n\nTokens: 1.2k sent, 3 received. Cost: $0.0012 message, "
        "$0.0012 session.\nsecond\n\nTokens: 15k sent, 2.1k cache write, 8.3k cache hit, 425 received.\n"
        "Cost: $0.03 message, $0.0312 session.\n"
    )
    parsed = parse_aider_text(out, "")
    assert (parsed.tokens_in, parsed.tokens_out) == (16_200, 428)
    assert parsed.cost_usd == pytest.approx(0.0312)
    assert not parsed.is_error


def test_the_answer_is_what_aider_printed_between_its_banner_and_its_usage() -> None:
    out = f"{BANNER}Repo-map: disabled\n\n# Notes\n\nline two\n\n\nTokens: 725 sent, 3 received.\n"
    parsed = parse_aider_text(out, "")
    assert parsed.answer == "# Notes\n\nline two\n"
    assert (parsed.tokens_in, parsed.tokens_out, parsed.cost_usd) == (725, 3, None)  # (no price known)


def test_an_error_aider_retried_and_got_past_is_no_failure_nor_part_of_the_answer() -> None:
    err = "litellm.RateLimitError: RateLimitError: OpenAIException - 429\nThe API provider rate limited you."
    out = f"{BANNER}\n{err}\nRetrying in 0.2 seconds...\nthe answer\n\nTokens: 5 sent, 2 received.\n"
    parsed = parse_aider_text(out, "")
    assert not parsed.is_error and parsed.answer == "the answer\n"


@pytest.mark.parametrize(
    ("error", "outcome", "error_type"),
    [
        ("litellm.RateLimitError: RateLimitError: OpenAIException - Rate limited", "retry", "rate-limit"),
        ("litellm.AuthenticationError: AuthenticationError: OpenAIException - Incorrect API key provided: "
         "sk-x. You can find your API key at https://platform.openai.com/account/api-keys.", "fatal", "auth"),
        ("litellm.InternalServerError: AnthropicException - Overloaded.", "retry", "overloaded"),
    ],
)  # fmt: skip
def test_an_api_error_with_exit_0_is_a_failure(error: str, outcome: str, error_type: str) -> None:
    out = f"{BANNER}\n{error}\nThe API provider says no.\n"
    parsed = parse_aider_text(out, "")
    assert parsed.is_error and parsed.answer is None
    assert parsed.error == f"{error}\nThe API provider says no."
    verdict = classify_failure("aider", 0, parsed, out, "")
    assert (verdict.outcome, verdict.error_type) == (outcome, error_type), verdict.message


# -- through the fake, and the whole CLI ---------------------------------------------------------------------


def _project(tmp_path: Path, fake: FakeAgents, prompt: str, *, outputs: str = "out/a.md") -> E2E:
    e = E2E(tmp_path / "p", fake)
    e.write(
        "Agentfile",
        f"""\
        backoff = 0.01

        runner aider:
            model   = gpt-4o
            retries = 2

        agent a:
            runner  = aider
            prompt  = "{prompt}"
            outputs = {outputs}
        """,
    )
    return e


def test_a_build_with_aider_writes_its_answer_and_records_tokens_and_cost(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e = _project(tmp_path, fake_agents, "FAKE: label=a answer=Hello from aider")
    run = e.am("-s")
    assert run.code == 0, run
    assert e.read("out/a.md") == "Hello from aider\n"
    assert e.calls() == ["a"]
    assert not [f for f in e.files("**/*") + e.files(".*") if ".aider" in f and ".agentmake" not in f]
    row = json.loads(e.am("status", "--json").out)[0]
    # (the fake counts words: 5 in, 3 out, at $3/$15 a million: `Cost: $0.000060 message, ...`)
    assert (row["last_tokens_in"], row["last_tokens_out"]) == (5, 3), row
    assert row["last_cost"] == pytest.approx(0.00006), row
    assert re.search(r"^agentmake: 1 ran, .*\$0\.00.*, 5 tokens in / 3 out$", run.text, re.M), run


def test_aider_rate_limited_with_exit_0_is_retried_later(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e = _project(tmp_path, fake_agents, "FAKE: label=a fail=429 times=1 answer=after the wait")
    run = e.am()
    assert run.code == 0, run
    assert e.calls() == ["a", "a"]
    assert "rate limited: litellm.RateLimitError" in run.text, run
    assert e.read("out/a.md") == "after the wait\n"


def test_aider_refused_its_key_fails_at_once_with_the_fix(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e = _project(tmp_path, fake_agents, "FAKE: label=a fail=401")
    run = e.am()
    assert run.code == 1, run
    assert e.calls() == ["a"]  # (not retried: every retry would be refused alike)
    assert "aider authentication failed (litellm.AuthenticationError" in run.text, run
    assert "OPENAI_API_KEY, ANTHROPIC_API_KEY" in run.text
    assert not e.exists("out/a.md")


def test_aider_without_any_key_reaching_it_fails_as_auth(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e = _project(tmp_path, fake_agents, "FAKE: label=a")
    env = e.env()
    for name in AUTH_ENV["aider"]:
        env.pop(name, None)
    proc = subprocess.run(e.argv(()), cwd=e.root, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "aider authentication failed" in proc.stdout + proc.stderr
    assert e.calls() == ["a"]


def test_a_prompt_too_long_for_the_model_is_not_retried(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e = _project(tmp_path, fake_agents, "FAKE: label=a fail=context")
    run = e.am()
    assert run.code == 1 and e.calls() == ["a"], run
    assert "does not fit the model's context window (Model gpt-4o has hit a token limit!)" in run.text, run


def test_a_flag_aider_does_not_know_is_a_usage_error(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e = _project(tmp_path, fake_agents, "FAKE: label=a")
    e.write("Agentfile", e.read("Agentfile").replace("model   = gpt-4o", 'command = "aider --no-such-flag"'))
    run = e.am()
    assert run.code == 1 and e.calls() == [], run
    assert "aider rejected its command line (exit 2)" in run.text, run


def test_a_multi_output_aider_agent_writes_its_files(tmp_path: Path, fake_agents: FakeAgents) -> None:
    prompt = "FAKE: label=a write=out/x.md,out/y.md answer=done"
    e = _project(tmp_path, fake_agents, prompt, outputs="out/x.md out/y.md")
    run = e.am()
    assert run.code == 0, run
    assert e.read("out/x.md").startswith("written by fake aider: out/x.md")
    assert e.read("out/y.md").startswith("written by fake aider: out/y.md")


def test_parallel_aider_tasks_share_no_history_file(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e = E2E(tmp_path / "p", fake_agents)
    e.write("notes/a.md", "alpha\n")
    e.write("notes/b.md", "beta\n")
    e.write(
        "Agentfile",
        """\
        agent s:
            runner  = aider
            inputs  = notes/{name}.md
            outputs = out/{name}.md
            prompt  = "FAKE: label={{ name }}\\n{{ read(input) }}"
        """,
    )
    run = e.am("-j", "2")
    assert run.code == 0, run
    assert not list(e.root.glob(".aider*"))  # (no history in the project, shared by parallel tasks)
    assert not list((e.root / ".agentmake" / "home").glob("*/aider"))  # (each job's own, removed after it)


# -- the preset known everywhere -----------------------------------------------------------------------------


def test_check_knows_the_aider_preset(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e = _project(tmp_path, fake_agents, "hello")
    e.write("Agentfile", e.read("Agentfile") + "\nrunner mine:\n    base = aider\n")
    run = e.am("check")
    assert run.code == 0, run
    af = load_agentfile(e.root / "Agentfile")
    assert af.runners["mine"].format == "aider-text" and af.runners["mine"].model_flag == "--model"
    assert "aider" in PRESET_NAMES and "aider-text" in OUTPUT_FORMATS


def test_check_warns_when_aider_is_not_installed(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e = _project(tmp_path, fake_agents, "hello")
    env = e.env()
    env["PATH"] = os.defpath
    proc = subprocess.run(e.argv(("check",)), cwd=e.root, env=env, capture_output=True, text=True, timeout=60)
    assert "runner aider: aider is not found on PATH" in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_the_docs_list_the_aider_preset() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    grammar = (ROOT / "grammar" / "README.md").read_text(encoding="utf-8")
    assert re.search(r"`aider` \(`aider\s+--message-file FILE", readme)
    assert "`ollama`, `aider`, `openai-http`, `shell`" in grammar
    assert "`aider-text`" in grammar
    assert "aider" in (ROOT / "Agentfile.example").read_text(encoding="utf-8").split("need no declaration")[0]

"""The fake agent CLIs behave like the real ones where agentmake depends on it (RUNNERS.md)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from conftest import FakeAgents

from agentmake.runners.parse import parse_output


def run(fake: FakeAgents, argv: list[str], stdin: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(fake.bin / argv[0]), *argv[1:]], input=stdin, capture_output=True, text=True, cwd=cwd,
        env=fake.env(), timeout=60,
    )  # fmt: skip


def test_unknown_flags_are_rejected_like_the_real_tools(fake_agents: FakeAgents, tmp_path: Path) -> None:
    r = run(fake_agents, ["claude", "-p", "--nope"], "x", tmp_path)
    assert r.returncode == 1 and "unknown option '--nope'" in r.stderr
    r = run(fake_agents, ["codex", "exec", "--full-auto"], "x", tmp_path)
    assert r.returncode == 2 and "unexpected argument" in r.stderr
    r = run(fake_agents, ["llm", "--bogus"], "x", tmp_path)
    assert r.returncode == 2


def test_a_value_outside_a_flags_choices_is_rejected_like_the_real_tools(
    fake_agents: FakeAgents, tmp_path: Path
) -> None:
    # a fake that took any value would let a preset pass e.g. `-s workspace_write` and still pass its tests
    r = run(fake_agents, ["claude", "-p", "--output-format", "yaml"], "x", tmp_path)
    assert r.returncode == 1 and "argument 'yaml' is invalid" in r.stderr
    r = run(fake_agents, ["claude", "-p", "--permission-mode", "acceptedits"], "x", tmp_path)
    assert r.returncode == 1 and "Allowed choices are" in r.stderr
    r = run(
        fake_agents, ["codex", "exec", "--skip-git-repo-check", "-s", "workspace_write", "-"], "x", tmp_path
    )
    assert r.returncode == 2 and "invalid value 'workspace_write' for '--sandbox" in r.stderr
    r = run(fake_agents, ["gemini", "-o", "yaml"], "x", tmp_path)
    assert r.returncode == 1 and "Invalid values" in r.stderr
    r = run(fake_agents, ["gemini", "--approval-mode=auto-edit"], "x", tmp_path)
    assert r.returncode == 1 and 'Given: "auto-edit"' in r.stderr
    r = run(
        fake_agents, ["claude", "-p", "--permission-mode=acceptEdits", "--output-format=json"], "x", tmp_path
    )
    assert r.returncode == 0 and json.loads(r.stdout)["result"] == "ANSWER:\nx"


def test_claude_prompt_argument_then_stdin(fake_agents: FakeAgents, tmp_path: Path) -> None:
    r = run(fake_agents, ["claude", "-p", "--output-format", "json", "ARG"], "STDIN", tmp_path)
    obj = json.loads(r.stdout)
    assert obj["type"] == "result" and obj["result"] == "ANSWER:\nARG\nSTDIN"
    assert {"input_tokens", "output_tokens"} <= obj["usage"].keys() and obj["total_cost_usd"] > 0


def test_claude_without_prompt_and_stream_json_without_verbose(
    fake_agents: FakeAgents, tmp_path: Path
) -> None:
    r = run(fake_agents, ["claude", "-p"], "", tmp_path)
    assert r.returncode == 1 and "Input must be provided" in r.stderr
    r = run(fake_agents, ["claude", "-p", "--output-format", "stream-json"], "x", tmp_path)
    assert r.returncode == 1 and "requires --verbose" in r.stderr
    r = run(fake_agents, ["claude", "-p", "--output-format", "stream-json", "--verbose"], "x", tmp_path)
    assert parse_output("claude-json", r.stdout, r.stderr).answer == "ANSWER:\nx"


def test_codex_needs_skip_git_repo_check_outside_git(fake_agents: FakeAgents, tmp_path: Path) -> None:
    r = run(fake_agents, ["codex", "exec", "--json"], "x", tmp_path)
    assert r.returncode == 1 and "--skip-git-repo-check was not specified" in r.stderr
    r = run(fake_agents, ["codex", "exec", "--json", "--skip-git-repo-check", "arg"], "in", tmp_path)
    assert r.returncode == 0 and "Reading additional input from stdin..." in r.stderr
    assert parse_output("codex-jsonl", r.stdout, r.stderr).answer == "ANSWER:\narg\n\n<stdin>\nin\n</stdin>"


def test_codex_output_file_is_empty_on_failure(fake_agents: FakeAgents, tmp_path: Path) -> None:
    r = run(
        fake_agents, ["codex", "exec", "--skip-git-repo-check", "-o", "last.txt"], "FAKE: fail=429", tmp_path
    )
    assert r.returncode == 1 and "429 Too Many Requests" in r.stderr
    assert (tmp_path / "last.txt").read_text() == ""


def test_fail_times_counts_invocations_per_prompt(fake_agents: FakeAgents, tmp_path: Path) -> None:
    prompt = "q\nFAKE: fail=429 times=2"
    codes = [run(fake_agents, ["llm"], prompt, tmp_path).returncode for _ in range(3)]
    assert codes == [1, 1, 0]
    assert run(fake_agents, ["llm"], "other\nFAKE: fail=429 times=1", tmp_path).returncode == 1


def test_times_bounds_every_fault_and_healed_stops_them(fake_agents: FakeAgents, tmp_path: Path) -> None:
    claude = ["claude", "-p", "--output-format", "json"]
    prompt = "q\nFAKE: is_error times=1"
    first, second = (json.loads(run(fake_agents, claude, prompt, tmp_path).stdout) for _ in range(2))
    assert first["is_error"] and not second["is_error"] and second["result"] == "ANSWER:\nq"
    codes = [run(fake_agents, ["llm"], "q\nFAKE: exit=3 times=2", tmp_path).returncode for _ in range(3)]
    assert codes == [3, 3, 0]
    assert run(fake_agents, ["llm"], "q\nFAKE: exit0-no-output times=1", tmp_path).stdout == "\n"
    assert run(fake_agents, ["llm"], "q\nFAKE: exit0-no-output times=1", tmp_path).stdout == "ANSWER:\nq\n"
    (fake_agents.state / "healed").touch()
    for prompt in ("q\nFAKE: fail=401", "q\nFAKE: hang", "q\nFAKE: invalid-json-answer"):
        r = run(fake_agents, ["llm"], prompt, tmp_path)
        assert (r.returncode, r.stdout) == (0, "ANSWER:\nq\n"), prompt


def test_a_fake_ended_by_sigterm_logs_term_and_dies_of_it(fake_agents: FakeAgents, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [str(fake_agents.bin / "llm")], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, cwd=tmp_path,
        env=fake_agents.env(), text=True,
    )  # fmt: skip
    assert proc.stdin is not None
    proc.stdin.write("FAKE: label=h hang")
    proc.stdin.close()
    deadline = time.monotonic() + 30
    while not fake_agents.log_lines() and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.terminate()
    assert proc.wait(timeout=30) == -signal.SIGTERM
    assert [(e, lb) for e, _, _, _, lb in fake_agents.log_lines()] == [("start", "h"), ("term", "h")]


def test_gemini_json_error_on_stderr_with_status_exit(fake_agents: FakeAgents, tmp_path: Path) -> None:
    r = run(fake_agents, ["gemini", "--skip-trust", "-o", "json"], "FAKE: fail=429", tmp_path)
    assert r.returncode == 173
    assert json.loads(r.stderr)["error"]["code"] == 429
    r = run(fake_agents, ["gemini", "-o", "json", "-p", "tail"], "head", tmp_path)
    assert r.returncode == 55  # untrusted folder without --skip-trust / GEMINI_CLI_TRUST_WORKSPACE


def test_writes_need_the_permission_flag(fake_agents: FakeAgents, tmp_path: Path) -> None:
    r = run(fake_agents, ["claude", "-p", "--output-format", "json"], "FAKE: write=a.txt", tmp_path)
    assert not (tmp_path / "a.txt").exists()
    assert json.loads(r.stdout)["permission_denials"][0]["tool_input"]["file_path"] == "a.txt"
    run(fake_agents, ["claude", "-p", "--permission-mode", "acceptEdits"], "FAKE: write=a.txt", tmp_path)
    assert (tmp_path / "a.txt").exists()


def test_llm_json_and_ollama_text(fake_agents: FakeAgents, tmp_path: Path) -> None:
    r = run(fake_agents, ["llm", "--json", "-m", "m"], "hi", tmp_path)
    rows = json.loads(r.stdout)
    assert rows[0]["response"] == "ANSWER:\nhi" and rows[0]["model"] == "m"
    r = run(fake_agents, ["ollama", "run", "qwen3"], "hi", tmp_path)
    assert r.stdout == "ANSWER:\nhi\n"
    r = run(fake_agents, ["ollama", "run"], "hi", tmp_path)
    assert r.returncode == 1 and "accepts at least 1 arg" in r.stderr


def test_log_allows_measuring_concurrency(fake_agents: FakeAgents, tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [str(fake_agents.bin / "llm")],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            cwd=tmp_path,
            env=fake_agents.env(),
            text=True,
        )
        for _ in range(3)
    ]
    for i, p in enumerate(procs):
        assert p.stdin is not None
        p.stdin.write(f"FAKE: sleep=1.5 label=t{i}")
        p.stdin.close()
    for p in procs:
        p.wait(timeout=60)
    assert len(fake_agents.log_lines()) == 6
    assert fake_agents.max_concurrency() >= 2  # generous: three 1.5 s sleeps started together


def test_a_fake_keeps_its_prompt_when_asked(fake_agents: FakeAgents, tmp_path: Path) -> None:
    # (benchmarks/soak_faults.py reads what a retry told of its check's complaint was asked)
    env = fake_agents.env({**fake_agents.env(), "FAKE_AGENT_PROMPTS": str(tmp_path / "prompts")})
    r = subprocess.run(
        [str(fake_agents.bin / "claude"), "-p"], input="FAKE: label=p\nsay hi\n", capture_output=True,
        text=True, cwd=tmp_path, env=env, timeout=60,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    _, at, pid = fake_agents.log_lines()[0][:3]
    assert (tmp_path / "prompts" / f"{pid}-{at:.6f}.prompt").read_text() == "FAKE: label=p\nsay hi\n"


def test_a_fake_marks_the_kept_prompt_of_an_invocation_whose_fault_fired(
    fake_agents: FakeAgents, tmp_path: Path
) -> None:
    # (benchmarks/soak_ledger.py bills such an invocation as its fault, not as an answer)
    env = fake_agents.env({**fake_agents.env(), "FAKE_AGENT_PROMPTS": str(tmp_path / "prompts")})
    prompt = "FAKE: label=p stopped=error_max_turns times=1\nsay hi\n"
    for _ in range(2):
        subprocess.run(
            [str(fake_agents.bin / "claude"), "-p"], input=prompt, capture_output=True, text=True,
            cwd=tmp_path, env=env, timeout=60,
        )  # fmt: skip
    (_, first, pid1, *_), _, (_, second, pid2, *_), _ = fake_agents.log_lines()
    assert (tmp_path / "prompts" / f"{pid1}-{first:.6f}.fired").exists()  # (the first stopped, paid)
    assert not (tmp_path / "prompts" / f"{pid2}-{second:.6f}.fired").exists()  # (the second answered)


def _compact(text: str) -> str:
    """`text`'s JSON as Node's `JSON.stringify` and Rust's `serde_json` print it (no spaces, no `\\u`)."""
    return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)


def test_the_node_and_rust_clis_print_compact_json(fake_agents: FakeAgents, tmp_path: Path) -> None:
    """claude, codex and gemini's event streams print JSON as the real ones do, without a space after `,` and
    `:` and with non-ASCII characters as they are (a parser that needed the spaces would pass with a fake
    that printed them, and fail on the real CLI's output)."""
    prompt = "Übersetze: café ☕"
    cases = {
        "claude json": ["claude", "-p", "--output-format", "json"],
        "claude stream-json": ["claude", "-p", "--output-format", "stream-json", "--verbose"],
        "codex --json": ["codex", "exec", "--json", "--skip-git-repo-check", "-"],
        "gemini stream-json": ["gemini", "--skip-trust", "-o", "stream-json"],
    }
    for name, argv in cases.items():
        r = run(fake_agents, argv, prompt, tmp_path)
        lines = r.stdout.splitlines()
        assert r.returncode == 0 and lines, (name, r)
        assert all(line == _compact(line) for line in lines), (name, r.stdout)
        assert "café" in r.stdout, (name, r.stdout)
    # (gemini's `-o json` is pretty, JSON.stringify(obj, null, 2): its non-ASCII as it is too)
    r = run(fake_agents, ["gemini", "--skip-trust", "-o", "json"], prompt, tmp_path)
    assert r.returncode == 0 and "café" in r.stdout and '\n  "session_id": ' in r.stdout, r


def test_claude_counts_a_turn_for_each_tool_use(fake_agents: FakeAgents, tmp_path: Path) -> None:
    """claude's `num_turns` counts the assistant's turns: each tool use, then the answer (the fake said 1
    after writing files)."""
    argv = ["claude", "-p", "--permission-mode", "acceptEdits", "--output-format", "json"]
    assert json.loads(run(fake_agents, argv, "hi", tmp_path).stdout)["num_turns"] == 1
    r = run(fake_agents, argv, "FAKE: write=a.txt,b.txt", tmp_path)
    assert (tmp_path / "b.txt").exists() and json.loads(r.stdout)["num_turns"] == 3, r
    r = run(fake_agents, [*argv[:2], "--output-format", "json"], "FAKE: write=c.txt", tmp_path)  # (refused)
    assert json.loads(r.stdout)["num_turns"] == 2, r

"""An answer that fails its task's `check` is asked again with the check's failure in the prompt: sent the
same prompt, the agent has no idea what was wrong and is likely to fail the same way, paying each time.
The retry's prompt carries what the check said (bounded, redacted); the task's key stays the rendered
prompt's, so the next build finds it up to date; what each attempt sent is kept."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import FakeAgents
from e2e_helpers import E2E, Run

AGENTFILE = """\
backoff = 0
runner claude:
    command = "claude -p --output-format json"
agent a:
    runner = claude
    prompt = prompts/a.md
    outputs = out.md
    check = "sh check.sh {output}"
    retries = 1
"""


def am_with(e: E2E, **extra: str) -> Run:
    env = {**e.env(), **extra}
    proc = subprocess.run(e.argv(()), cwd=e.root, env=env, capture_output=True, text=True, timeout=60)
    return Run((), proc.returncode, proc.stdout, proc.stderr)


def test_a_retry_after_a_failed_check_tells_the_agent_what_the_check_said(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    e = E2E(tmp_path / "p", fake_agents)
    e.write("Agentfile", AGENTFILE, dedent=False)
    e.write("check.sh", 'grep -q banana "$1" || { echo "say banana, not $MY_API_TOKEN" >&2; exit 1; }\n')
    e.write("prompts/a.md", "FAKE: label=a\nWrite about fruit.\n")  # (the fake answers with the prompt)
    run = am_with(e, MY_API_TOKEN="SECRETVALUE99")
    assert run.code == 0, run
    assert len(e.calls("a")) == 2
    out = e.read("out.md")
    assert "Write about fruit." in out
    assert "Your previous answer failed this check" in out  # the second prompt said what was wrong
    assert "say banana" in out
    assert "SECRETVALUE99" not in out  # (redacted: a secret the check printed is not sent to the agent)
    # what each attempt sent is kept; the task's prompt file is the rendered prompt (its key's)
    logs = e.root / ".agentmake" / "logs"
    assert (e.root / ".agentmake" / "tasks" / "a.prompt").read_text() == e.read("prompts/a.md")
    assert "say banana" in (logs / "a.2.prompt").read_text()
    assert not (logs / "a.1.prompt").exists()  # (attempt 1 sent the task's prompt as rendered)
    # the key is the rendered prompt's: the next build finds the task up to date
    again = e.am()
    assert again.code == 0, again
    assert again.summary.up_to_date == 1 and again.summary.ran == 0, again


def test_the_feedback_sent_is_bounded(tmp_path: Path, fake_agents: FakeAgents) -> None:
    e = E2E(tmp_path / "p", fake_agents)
    e.write("Agentfile", AGENTFILE, dedent=False)
    e.write("check.sh", "grep -q ZZZ \"$1\" || { yes 'a long complaint' | head -c 200000 >&2; exit 1; }\n")
    e.write("prompts/a.md", "FAKE: label=a\nWrite about fruit.\n")
    run = e.am()
    assert run.code == 1, run
    sent = (e.root / ".agentmake" / "logs" / "a.2.prompt").read_text()
    assert "Your previous answer failed this check" in sent
    assert "a long complaint" in sent
    assert len(sent) < 5000


def test_a_new_build_does_not_tell_the_agent_what_a_check_said_in_an_earlier_one(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    # (the first attempt of the next build looks at the earlier attempt's log for an answer to salvage; that
    # answer fails the check again, which must not make the call that follows a "retry" with its complaint)
    e = E2E(tmp_path / "p", fake_agents)
    e.write("Agentfile", AGENTFILE.replace("retries = 1", "retries = 0"), dedent=False)
    e.write("check.sh", 'grep -q banana "$1" || { echo "say banana" >&2; exit 1; }\n')
    e.write("prompts/a.md", "FAKE: label=a\nWrite about fruit.\n")
    assert e.am().code == 1
    logs = e.root / ".agentmake" / "logs"
    assert len(e.calls("a")) == 1 and not (logs / "a.1.prompt").exists()
    again = e.am()
    assert again.code == 1, again
    assert len(e.calls("a")) == 2  # (the salvaged answer failed its check: the agent was asked)
    assert not (logs / "a.1.prompt").exists()  # it was sent the task's prompt as rendered
    assert "failed this check" not in (logs / "a.1.out").read_text()  # (the fake echoes what it got)
    assert "Write about fruit." in (logs / "a.1.out").read_text()

"""A plain build (not watch): an output a task made in this build, deleted by hand before the task reading it
starts. The reader was started on the missing file: a shell agent failed and was retried against it (each
try the same failure), an LLM agent was paid to answer without it and recorded done, then paid again by the
next build (which restores the file). It is held back instead, as watch holds it: not run, saying what is
gone; the next build restores the file and runs it once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import FakeAgents

# copy:b waits for the file `go`, so build/a.txt (made at once) can be deleted before `all` starts
AGENTFILE = """\
log = "{log}"

agent copy:
    inputs  = docs/{{name}}.md
    outputs = build/{{name}}.txt
    run     = "{hold}cp {{input}} {{output}}"

agent all:
{all}
    inputs  = build/*.txt
    outputs = all.txt
"""

SHELL_ALL = '    run     = "echo all >> ${log} && cat {inputs} > {output}"'
LLM_ALL = '    runner  = claude\n    prompt  = "FAKE: label=all\\nJoin the files."'


def _project(tmp_path: Path, all_spec: str) -> tuple[Path, Path, Path]:
    project, log, go = tmp_path / "proj", tmp_path / "runs.log", tmp_path / "go"
    (project / "docs").mkdir(parents=True)
    hold = f"if grep -q wait {{input}}; then until [ -e {go} ]; do sleep 0.05; done; fi && "
    (project / "Agentfile").write_text(AGENTFILE.format(log=log, hold=hold, all=all_spec))
    (project / "docs/a.md").write_text("alpha\n")
    (project / "docs/b.md").write_text("beta wait\n")
    return project, log, go


def _build_deleting(project: Path, go: Path) -> subprocess.CompletedProcess[str]:
    """A build during which build/a.txt, once copy:a made it, is deleted while copy:b still runs."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentmake"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "CI": "1"},
    )
    made = project / "build/a.txt"
    try:
        deadline = time.monotonic() + 20
        while not made.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "copy:a never made build/a.txt"
            time.sleep(0.02)
        made.unlink()
    finally:
        go.touch()
    out, err = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _build(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentmake"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "CI": "1"},
        timeout=30,
    )


def test_a_shell_agent_is_not_started_on_an_input_deleted_since_it_was_made(tmp_path: Path) -> None:
    project, log, go = _project(tmp_path, SHELL_ALL)
    first = _build_deleting(project, go)
    assert first.returncode == 1, first.stderr
    assert not log.exists(), "all was started on the missing build/a.txt"
    assert "copy:a is stale: build/a.txt gone" in first.stderr
    assert "retrying" not in first.stderr

    second = _build(project)
    assert second.returncode == 0, second.stderr
    assert log.read_text().split() == ["all"]
    assert (project / "all.txt").read_text() == "alpha\nbeta wait\n"


def test_an_llm_agent_is_not_paid_on_an_input_deleted_since_it_was_made(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    project, _log, go = _project(tmp_path, LLM_ALL)
    first = _build_deleting(project, go)
    assert first.returncode == 1, first.stderr
    calls = [r for r in fake_agents.log_lines() if r[0] == "start" and r[4] == "all"]
    assert calls == [], "all was paid for without build/a.txt"
    assert "copy:a is stale: build/a.txt gone" in first.stderr

    second = _build(project)
    assert second.returncode == 0, second.stderr
    calls = [r for r in fake_agents.log_lines() if r[0] == "start" and r[4] == "all"]
    assert len(calls) == 1


# slow holds the only slot (-j 1) until `go` exists; sum:a and sum:b are decided meanwhile, and wait for it
SOURCES = """\
agent slow:
    outputs = slow.txt
    run     = "until [ -e {go} ]; do sleep 0.05; done; echo x > {{output}}"

agent sum:
    runner   = claude
    inputs   = docs/{{name}}.md
    outputs  = out/{{name}}.md
    prompt   = "FAKE: label=sum:{{{{ name }}}}\\nSummarize {{{{ input }}}}."
    priority = -1
"""


def test_an_llm_agent_is_not_paid_on_a_source_deleted_before_it_starts(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    project, go = tmp_path / "proj", tmp_path / "go"
    (project / "docs").mkdir(parents=True)
    (project / "Agentfile").write_text(SOURCES.format(go=go))
    (project / "docs/a.md").write_text("alpha\n")
    (project / "docs/b.md").write_text("beta\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentmake", "-j", "1"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "CI": "1"},
    )
    try:
        status = project / ".agentmake/status.md"
        deadline = time.monotonic() + 20
        while "slow" not in (status.read_text() if status.exists() else ""):
            assert proc.poll() is None and time.monotonic() < deadline, "slow never started"
            time.sleep(0.02)
        (project / "docs/b.md").unlink()
    finally:
        go.touch()
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err
    labels = [r[4] for r in fake_agents.log_lines() if r[0] == "start"]
    assert labels == ["sum:a"], "sum:b was paid for without docs/b.md"
    assert "sum:b  (input docs/b.md is gone" in err

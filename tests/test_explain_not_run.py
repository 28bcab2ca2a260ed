"""`explain` says first what the last build did not finish, as `status` does: a task the last build did not
run (it stopped after a failure, or the task's dependency failed under -k). explain left it out, so a user
read "never built; input a.txt will be rebuilt by a" and not why the last build had not built it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

AGENTFILE = """\
agent a:
    run = "test -e ok && echo a > {output} || exit 3"
    outputs = a.txt

agent b:
    run = "cp {input} {output}"
    inputs = a.txt
    outputs = b.txt

agent c:
    run = "echo c > {output}"
    outputs = c.txt
"""


def am(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "agentmake", *args]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=60)


def test_explain_says_a_task_was_not_run_by_the_last_build_and_why(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text("retries = 0\njobs = 1\n" + AGENTFILE)
    assert am(tmp_path, "c").returncode == 0
    assert am(tmp_path, "-s").returncode == 1
    status = am(tmp_path, "status", "b").stdout
    said = "not run by the last build: build stopped after failure of a"
    assert said in status, status
    explained = am(tmp_path, "explain", "b")
    assert explained.returncode == 0, explained.stderr
    line = next(x for x in explained.stdout.splitlines() if x.startswith("b.txt [b]"))
    assert line.startswith(f"b.txt [b] is stale: {said}; never built"), line
    # (a failed task is told by its own reason, an up-to-date one by none of the last build's)
    assert "not run" not in am(tmp_path, "explain", "a").stdout
    assert am(tmp_path, "explain", "c").stdout.strip() == "c.txt [c] is up to date"


def test_with_keep_going_the_failed_dependency_is_named(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text("retries = 0\n" + AGENTFILE)
    assert am(tmp_path, "-k", "-s").returncode == 1
    explained = am(tmp_path, "explain", "b").stdout
    assert "b.txt [b] is stale: not run by the last build: " in explained, explained
    assert "a" in explained.split("not run by the last build: ", 1)[1].split(";")[0], explained
    (tmp_path / "ok").write_text("")
    assert am(tmp_path, "-s").returncode == 0  # (built now: the last build's word is gone)
    assert am(tmp_path, "explain", "b").stdout.strip() == "b.txt [b] is up to date"

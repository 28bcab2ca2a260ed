"""`agentmake status` after a build stopped with Ctrl-C says so, instead of only "never built"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

AGENTFILE = """\
agent slow:
    inputs  = in.txt
    outputs = o.txt
    run     = "sleep 30 && cp {input} {output}"

agent quick:
    inputs  = in.txt
    outputs = q.txt
    run     = "cp {input} {output}"
"""


@pytest.mark.parametrize(
    ("signum", "said"), [(signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM"), (signal.SIGHUP, "SIGHUP")]
)
def test_status_says_a_task_was_interrupted_by_the_last_build(tmp_path: Path, signum: int, said: str) -> None:
    # (a build ended by SIGTERM, as a CI job's timeout or `kill` sends, was said to be stopped by Ctrl-C)
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    (tmp_path / "in.txt").write_text("hi\n")
    env = {**os.environ, "NO_COLOR": "1"}
    build = subprocess.Popen(
        [sys.executable, "-m", "agentmake", "-j", "2"], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while not (tmp_path / "q.txt").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    build.send_signal(signum)
    _, err = build.communicate(timeout=20)
    assert build.returncode == 130, err
    proc = subprocess.run(
        [sys.executable, "-m", "agentmake", "status", "--json"], cwd=tmp_path, env=env,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = {row["task"]: row for row in json.loads(proc.stdout)}
    assert rows["slow"]["state"] == "stale"
    reason = f"interrupted: the last build was stopped ({said}) before it finished"
    assert rows["slow"]["reasons"][0] == reason
    assert rows["quick"]["state"] == "up to date" and rows["quick"]["reasons"] == []


CHAIN = """\
agent first:
    inputs  = in.txt
    outputs = a.txt
    run     = "exit 1"

agent second:
    inputs  = a.txt
    outputs = b.txt
    run     = "cp {input} {output}"

agent other:
    inputs  = in.txt
    outputs = o.txt
    run     = "cp {input} {output}"
"""


def test_status_says_why_the_last_build_did_not_run_a_task(tmp_path: Path) -> None:
    # soak_faults: a -k build's "not run  second  (first failed)" left status saying only "never
    # built", as if no build had tried
    (tmp_path / "Agentfile").write_text("retries = 0\n\n" + CHAIN)
    (tmp_path / "in.txt").write_text("hi\n")
    env = {**os.environ, "NO_COLOR": "1"}
    build = subprocess.run(
        [sys.executable, "-m", "agentmake", "-k"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert build.returncode == 1 and "not run     second  (first failed)" in build.stderr, build
    proc = subprocess.run(
        [sys.executable, "-m", "agentmake", "status", "--json"], cwd=tmp_path, env=env,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = {row["task"]: row for row in json.loads(proc.stdout)}
    assert rows["second"]["state"] == "stale"
    assert rows["second"]["reasons"][0] == "not run by the last build: first failed", rows
    assert rows["other"]["state"] == "up to date" and rows["other"]["reasons"] == []
    text = subprocess.run(
        [sys.executable, "-m", "agentmake", "status"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert "- not run by the last build: first failed" in text.stdout, text
    (tmp_path / "Agentfile").write_text(
        "retries = 0\n\n" + CHAIN.replace('"exit 1"', '"cp {input} {output}"')
    )
    subprocess.run(
        [sys.executable, "-m", "agentmake"], cwd=tmp_path, env=env, capture_output=True, check=True
    )
    proc = subprocess.run(
        [sys.executable, "-m", "agentmake", "status", "--json"], cwd=tmp_path, env=env,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert all(row["reasons"] == [] for row in json.loads(proc.stdout)), proc.stdout  # (built since)

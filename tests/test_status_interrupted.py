"""`agentmake status` after a build stopped with Ctrl-C says so, instead of only "never built"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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


def test_status_says_a_task_was_interrupted_by_the_last_build(tmp_path: Path) -> None:
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
    build.send_signal(signal.SIGINT)
    _, err = build.communicate(timeout=20)
    assert build.returncode == 130, err
    proc = subprocess.run(
        [sys.executable, "-m", "agentmake", "status", "--json"], cwd=tmp_path, env=env,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = {row["task"]: row for row in json.loads(proc.stdout)}
    assert rows["slow"]["state"] == "stale"
    assert rows["slow"]["reasons"][0] == "interrupted: the last build was stopped (Ctrl-C) before it finished"
    assert rows["quick"]["state"] == "up to date" and rows["quick"]["reasons"] == []

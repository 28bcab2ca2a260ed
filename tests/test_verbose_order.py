"""`-v` in a pipe: a task's streamed output (`[task] …`) comes after the line saying it is running, never
before it (the plain display's batched lines used to reach stderr after the output they announce)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from agentmake.display import PlainDisplay
from agentmake.scheduler import TaskEvent

AGENTFILE = """\
agent a:
    outputs = a.txt
    run     = "echo hello-from-a; sleep 0.5; echo A > {output}"

agent b:
    inputs  = a.txt
    outputs = b.txt
    run     = "echo hello-from-b; cat {input} > {output}"
"""


def test_verbose_stream_lines_follow_the_running_line(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    env = {**os.environ, "NO_COLOR": "1", "CI": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "agentmake", "-C", str(tmp_path), "-v"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    for task in ("a", "b"):
        running = next(i for i, line in enumerate(lines) if line.endswith(f"] running     {task}"))
        said = lines.index(f"[{task}] hello-from-{task}")
        assert running < said, run.stderr


def test_verbose_plain_display_writes_each_line_at_once(tmp_path: Path) -> None:
    with (tmp_path / "err.txt").open("w") as fh:
        display = PlainDisplay(fh, summary_stream=io.StringIO(), verbose=True)
        display(TaskEvent("t", "running", 100.0, 1, 1))
        assert (tmp_path / "err.txt").read_text() == "[   0.0s] running     t\n"

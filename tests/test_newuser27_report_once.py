"""`agentmake report r R.md` (a report named, and named again by its output) printed `report r: …` twice,
and `report r r` too: a script reading the lines took two reports. Each report is printed once, in the
order first named, on a build and on the no-op answered from the build stamp alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main

AGENTFILE = """\
agent copy:
    inputs  = a.txt
    outputs = out/a.md
    run     = "cp {input} {output}"

report r:
    inputs = out/a.md
    output = R.md

report s:
    inputs = a.txt
    output = S.md
"""


@pytest.mark.parametrize("targets", [["r", "R.md"], ["r", "r"], ["R.md", "s", "r"]])
def test_a_report_named_twice_is_printed_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], targets: list[str]
) -> None:
    (tmp_path / "a.txt").write_text("a\n")
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    want = [f"report r: {tmp_path / 'R.md'}"] + ([f"report s: {tmp_path / 'S.md'}"] if "s" in targets else [])
    for _ in range(2):  # (a build, then the no-op the stamp answers)
        assert main(["-C", str(tmp_path), "report", *targets]) == 0
        lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("report ")]
        assert lines == want, lines

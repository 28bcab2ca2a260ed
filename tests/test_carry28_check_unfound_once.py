"""`project.check_report` looks each runner's program up once (`check_warnings.unfound_runners`), for its
summary line and its warnings both: it looked them up twice, so that a program found by one look and not
the other (PATH changed, a program installed as `check` ran) gave `— not buildable here: claude not found`
with no warning naming who uses it, or the warning under `— ok`."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake import check_warnings
from agentmake.project import check_report
from agentmake.syntax import load_agentfile

AGENTFILE = """\
agent a:
    outputs = a.md
    prompt = "say a"
    runner = claude
agent b:
    outputs = b.md
    prompt = "say b"
    runner = codex
"""


@pytest.mark.parametrize("first", [True, False])
def test_the_line_and_the_warnings_say_one_look_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: bool
) -> None:
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    af = load_agentfile(tmp_path / "Agentfile", {})
    looked: list[str] = []

    def found(af: object, program: str) -> bool:  # (found at its first look only, or at its later ones)
        looked.append(program)
        return first if looked.count(program) == 1 else not first

    monkeypatch.setattr(check_warnings, "_program_found", found)
    line, warnings = check_report(af)
    assert sorted(looked) == ["claude", "codex"]
    missing = [w for w in warnings if "is not found on PATH" in w]
    if first:
        assert line.endswith("— ok") and missing == []
    else:
        assert line.endswith("— not buildable here: claude, codex not found")
        assert [w.split(":")[0] for w in missing] == ["runner claude", "runner codex"]

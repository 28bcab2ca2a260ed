"""A report template failing at run time is a failed task whose message says where, as a failing prompt's
does (`✗ r: p.md:2:1: ZeroDivisionError: …`): `✗ r: r.md:3:1: report template: ZeroDivisionError: …`, the
location in the form an editor or a terminal opens, said once (not `report template r.md, line 3: …`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmake.cli import main
from agentmake.templates import file_error


def test_a_report_template_runtime_error_is_located_in_the_failures_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.md").write_text("notes\n")
    (tmp_path / "r.md").write_text("# {{ title }}\n\nTotal: {{ 1 // 0 }}\n")
    agentfile = "report r:\n    inputs = notes.md\n    output = R.md\n    template = r.md\n"
    (tmp_path / "Agentfile").write_text(agentfile)
    assert main(["-C", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    failure = next(line for line in err.splitlines() if line.startswith("✗ r"))
    said = "✗ r: r.md:3:8: report template: ZeroDivisionError: integer division or modulo by zero"
    assert failure == said, err
    assert main(["-C", str(tmp_path), "status"]) == 0
    assert "r.md:3:8: report template: ZeroDivisionError" in capsys.readouterr().out
    assert not (tmp_path / "R.md").exists()


def test_a_report_template_error_says_its_location_once() -> None:
    err = file_error("report template", "r.md", "# t\n  {{ x }}\n", 2, "'x' is undefined")
    assert err.render().splitlines()[0] == "r.md:2:3: error: report template: 'x' is undefined"

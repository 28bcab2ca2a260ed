"""A command given other variables than the build that wrote a task's record (`status lang=fr`, `-n lang=fr`,
`explain T lang=fr` after a build with `lang=es`): that record is another configuration's (`Store.
built_otherwise`), and each says so first (`plan.explain.otherwise_said`): `status` shows none of its figures
(its time, cost, failure), `-n` says one readable line a task (the reasons that follow from the variable's
paths and command left to `-n -v`), `explain` judges under the variables given, and no rename hint proposes
to move another configuration's output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentmake.cli import main

AGENTFILE = """\
lang = es
agent translate:
    inputs = docs/{name}.md glossary/${lang}.tsv
    outputs = build/${lang}/{name}.md
    run = "cat {input} glossary/${lang}.tsv > {output}"
"""

SAID = "last built for other outputs (build/es/a.md), under another value of lang"


def _project(root: Path, agentfile: str = AGENTFILE) -> Path:
    (root / "docs").mkdir()
    (root / "docs" / "a.md").write_text("# a\n")
    (root / "glossary").mkdir()
    for lang in ("es", "fr"):
        (root / "glossary" / f"{lang}.tsv").write_text(f"{lang}\n")
    (root / "Agentfile").write_text(agentfile)
    return root


@pytest.fixture
def built(tmp_path: Path) -> Path:
    root = _project(tmp_path)
    assert main(["-C", str(root), "-s"]) == 0
    return root


def _row(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    capsys.readouterr()
    assert main(["-C", str(root), "status", "--json", *args]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert isinstance(row, dict)
    return row


def test_status_shows_no_figure_of_another_configurations_record(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """lang=es's build took its time: not lang=fr's, never built."""
    assert _row(built, capsys)["last_duration"] is not None  # (its own configuration's: shown)
    row = _row(built, capsys, "lang=fr")
    assert row["last_duration"] is None and row["last_finished"] is None, row
    assert row["reasons"][0] == SAID, row  # (every reason follows in --json)
    assert "input glossary/es.tsv was removed" in row["reasons"], row
    capsys.readouterr()
    assert main(["-C", str(built), "status", "lang=fr"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.split() == ["stale", "translate:a", "build/fr/a.md"], first  # (no time column)


def test_a_failure_of_another_configuration_is_not_this_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """lang=es's build failed: under lang=fr the task is stale, not failed with lang=es's error."""
    root = _project(tmp_path, AGENTFILE.replace('run = "', 'run = "test ${lang} = fr && '))
    assert main(["-C", str(root), "-s"]) == 1
    assert _row(root, capsys)["state"] == "failed"
    row = _row(root, capsys, "lang=fr")
    assert row["state"] == "stale" and row["reasons"][0] == "last built under another value of lang", row


def test_dry_run_says_one_readable_line_a_task(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["-C", str(built), "-n", "lang=fr"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"would run translate:a: {SAID}"
    assert main(["-C", str(built), "-n", "-v", "lang=fr"]) == 0  # (-v: every reason, after it)
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith(f"would run translate:a: {SAID}; ") and "glossary/es.tsv was removed" in line


def test_what_does_not_follow_from_the_variable_is_still_said(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An input edited since is no consequence of lang=fr: -n and status still tell it."""
    (built / "docs" / "a.md").write_text("# a, edited\n")
    capsys.readouterr()
    assert main(["-C", str(built), "-n", "lang=fr"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith(f"would run translate:a: {SAID}; input docs/a.md changed (content "), line
    assert "glossary" not in line, line
    assert main(["-C", str(built), "status", "lang=fr"]) == 0
    reasons = [line.strip() for line in capsys.readouterr().out.splitlines() if line.startswith("    ")]
    assert len(reasons) == 2 and reasons[0] == f"- {SAID}", reasons
    assert reasons[1].startswith("- input docs/a.md changed (content "), reasons


def test_explain_judges_under_the_variables_given(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["-C", str(built), "explain", "translate:a", "lang=fr"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"build/fr/a.md [translate:a] is stale: {SAID}; "), out
    assert main(["-C", str(built), "explain", "translate:a"]) == 0
    assert "another value" not in capsys.readouterr().out  # (its own configuration: up to date)


def test_no_rename_hint_moves_another_configurations_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the output's path names lang: the task differs from lang=es's record by its outputs alone, as an
    output renamed in the Agentfile does, but `mv build/es/a.md build/fr/a.md` would take lang=es's result
    away from it. Under lang=fr no hint; renamed in the Agentfile, the hint stays."""
    agentfile = AGENTFILE.replace("glossary/${lang}.tsv", "").replace("{name}", "a").replace("translate", "t")
    root = _project(tmp_path, agentfile)
    assert main(["-C", str(root), "-s"]) == 0
    for args in (["-n", "lang=fr"], ["status", "lang=fr"]):
        capsys.readouterr()
        assert main(["-C", str(root), *args]) in (0, 1)
        captured = capsys.readouterr()
        assert "hint" not in captured.err, captured.err
        assert "under another value of lang" in captured.out, captured.out
    (root / "Agentfile").write_text(agentfile.replace("build/${lang}/a.md", "out/${lang}/a.md"))
    assert main(["-C", str(root), "-n"]) == 0
    assert "its output build/es/a.md is now out/es/a.md" in capsys.readouterr().err

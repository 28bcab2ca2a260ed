"""`status lang=fr` after a build with `lang=es`: each task's record is of other outputs, and status told
every difference from it, five lines a task (`input glossary/fr.tsv was added`, `... es.tsv was removed`,
`command changed`, `outputs changed`, `output ... is missing`), all following from the one value given. It
now says `last built for other outputs (A)` alone (`display.status.built_for_other_outputs`);
`--json`, `explain` and `-n -v` still tell every reason."""

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

ONE_LINE = "last built for other outputs (build/es/a.md), under another value of lang"


@pytest.fixture
def built(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# a\n")
    (tmp_path / "glossary").mkdir()
    for lang in ("es", "fr"):
        (tmp_path / "glossary" / f"{lang}.tsv").write_text(f"{lang}\n")
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    assert main(["-C", str(tmp_path), "-s"]) == 0
    return tmp_path


def test_status_of_another_configuration_says_one_line_a_task(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["-C", str(built), "status", "lang=fr"]) == 0
    out = capsys.readouterr().out
    reasons = [line.strip() for line in out.splitlines() if line.startswith("    ")]
    assert reasons == [f"- {ONE_LINE}"], out


def test_every_reason_is_still_in_json_and_dry_run(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["-C", str(built), "status", "--json", "lang=fr"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert "command changed" in row["reasons"] and "input glossary/fr.tsv was added" in row["reasons"]
    assert main(["-C", str(built), "-n", "-v", "lang=fr"]) == 0  # (-n alone: one line)
    assert "input glossary/es.tsv was removed" in capsys.readouterr().out


def test_a_task_with_its_outputs_unchanged_tells_each_reason(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not another configuration: the same outputs, one missing and the command changed: both said."""
    (built / "build" / "es" / "a.md").unlink()
    (built / "Agentfile").write_text(AGENTFILE.replace("cat {input}", "cat -- {input}"))
    capsys.readouterr()
    assert main(["-C", str(built), "status"]) == 0
    out = capsys.readouterr().out
    assert (
        "command changed" in out and "output build/es/a.md is missing" in out and "other outputs" not in out
    )


def test_an_output_renamed_alone_is_still_told_as_such(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Outputs renamed and nothing else: `outputs changed A → B` says it (and a rename hint follows it)."""
    (built / "Agentfile").write_text(AGENTFILE.replace("build/${lang}/{name}.md", "out/${lang}/{name}.md"))
    capsys.readouterr()
    assert main(["-C", str(built), "status"]) == 0
    out = capsys.readouterr().out
    assert "outputs changed build/es/a.md → out/es/a.md" in out and "other outputs" not in out, out


def test_a_task_built_with_these_outputs_before_is_not_told_never_built_with_them(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Back to lang=es after lang=fr, its output deleted and its result gone from the cache: it was built with
    these outputs (the first build), so not `never built with these outputs`."""
    text = "cache_size = 0\n" + AGENTFILE
    (built / "Agentfile").write_text(text)
    assert main(["-C", str(built), "-s"]) == 0  # (a build under cache_size = 0 keeps its own result alone)
    assert main(["-C", str(built), "-s", "lang=fr"]) == 0
    (built / "build" / "es" / "a.md").unlink()
    capsys.readouterr()
    assert main(["-C", str(built), "status"]) == 0
    out = capsys.readouterr().out
    assert "never built" not in out and "last built for other outputs (build/fr/a.md)" in out, out

"""Switching a report between agentmake's own layout and a `merge` prompt (the code-review example's
`profile=llm`) is told as that one change, not as its consequences in the key ("agentmake renders reports
differently now (version 2 → 1)", its title "changed" to its name, its inputs patterns "→ None")."""

from __future__ import annotations

from pathlib import Path

from agentmake.cli import main

AGENTFILE = """\
agent a:
    inputs = src.txt
    outputs = out.txt
    run = "cp {input} {output}"

report r:
    title = "My report"
    inputs = out.txt
    output = R.md
"""

MERGED = AGENTFILE + '    merge = "Sum up {{ files }}"\n    runner = claude\n'
TEMPLATED = AGENTFILE + "    template = layout.j2\n"


def _project(tmp_path: Path) -> Path:
    (tmp_path / "src.txt").write_text("hello\n")
    (tmp_path / "layout.j2").write_text("# {{ title }}\n{% for f in inputs %}{{ f.content }}{% endfor %}\n")
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    assert main(["-C", str(tmp_path), "-s"]) == 0
    return tmp_path


def _why(project: Path, capsys) -> str:
    capsys.readouterr()
    main(["-C", str(project), "explain", "r"])
    return capsys.readouterr().out


def test_a_report_given_a_merge_prompt_says_so_once(tmp_path: Path, capsys) -> None:
    project = _project(tmp_path)
    (project / "Agentfile").write_text(MERGED)
    why = _why(project, capsys)
    assert "is stale: written by its merge prompt (inline) now, not by agentmake's layout" in why, why
    for consequence in ("renders reports differently", "title changed", "inputs changed", "→ None"):
        assert consequence not in why, why
    (project / "src.txt").write_text("changed\n")  # the dry run, its input waiting to be rebuilt, says it too
    capsys.readouterr()
    main(["-C", str(project), "-n"])
    would = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("would run r:"))
    assert "written by its merge prompt (inline) now, not by agentmake's layout" in would, would


def test_a_templated_report_given_a_merge_prompt_names_its_template(tmp_path: Path, capsys) -> None:
    project = _project(tmp_path)
    (project / "Agentfile").write_text(TEMPLATED)
    assert main(["-C", str(project), "-s"]) == 0
    (project / "Agentfile").write_text(MERGED)
    why = _why(project, capsys)
    assert "written by its merge prompt (inline) now, not by its template layout.j2" in why, why
    assert "renders reports differently" not in why and "→ None" not in why, why


def test_a_merge_report_laid_out_by_agentmake_again_says_so_once(tmp_path: Path, capsys, fake_agents) -> None:
    project = _project(tmp_path)
    (project / "Agentfile").write_text(MERGED)
    assert main(["-C", str(project), "-s"]) == 0
    (project / "Agentfile").write_text(AGENTFILE)
    why = _why(project, capsys)
    assert "is stale: written by agentmake's layout now, not by its merge prompt (inline)" in why, why
    for consequence in ("renders reports differently", "title changed", "inputs changed", "runner"):
        assert consequence not in why, why

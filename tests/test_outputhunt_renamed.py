"""An output renamed in the Agentfile (an agent's `outputs`, a report's `output`) leaves the file agentmake
made at the old path: it is a leftover like the outputs of a task no longer in the graph. A build warns of it
when a current task reads it, and `agentmake clean --leftovers` (and `-n`) names and removes it (a hand-edited
one is saved first; one another task makes now is not touched). Real builds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ONE = """\
agent a:
    inputs = in.txt
    outputs = a.md
    run = "cat {input} > {output}"
"""

PIPELINE = """\
agent rev:
    inputs = src/{n}.txt
    outputs = out/{n}.txt
    run = "rev {input} > {output}"

agent all:
    inputs = out/*
    outputs = all.txt
    run = "cat {inputs} > {output}"
"""


def agentmake(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentmake", "-s", *args], cwd=root, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def renamed(tmp_path: Path) -> Path:
    """`a` built with output a.md, then the Agentfile renames it to b.md and `a` is built again."""
    (tmp_path / "in.txt").write_text("hello\n")
    (tmp_path / "Agentfile").write_text(ONE)
    assert agentmake(tmp_path).returncode == 0
    (tmp_path / "Agentfile").write_text(ONE.replace("a.md", "b.md"))
    run = agentmake(tmp_path)
    assert run.returncode == 0 and " 1 ran," in run.stdout, run
    assert (tmp_path / "a.md").exists() and (tmp_path / "b.md").exists()
    return tmp_path


def test_clean_leftovers_dry_run_names_an_output_the_agentfile_renamed(renamed: Path) -> None:
    run = agentmake(renamed, "clean", "--leftovers", "-n")
    assert run.returncode == 0, run
    assert "would remove a.md" in run.stdout.splitlines(), run.stdout
    assert "would remove 1 leftover output" in run.stdout, run.stdout
    assert (renamed / "a.md").exists()  # (a dry run)


def test_clean_leftovers_removes_an_output_the_agentfile_renamed_and_keeps_the_new_one(renamed: Path) -> None:
    run = agentmake(renamed, "clean", "--leftovers")
    assert run.returncode == 0, run
    assert "removed 1 leftover output" in run.stdout, run.stdout
    assert not (renamed / "a.md").exists()
    assert (renamed / "b.md").read_text() == "hello\n"
    again = agentmake(renamed, "clean", "--leftovers", "-n")  # (said once: it is gone, and forgotten)
    assert "would remove 0 leftover outputs" in again.stdout, again.stdout
    run = agentmake(renamed)
    assert run.returncode == 0 and " 1 up to date" in run.stdout, run  # the task itself is untouched


def test_a_renamed_output_edited_by_hand_is_saved_before_clean_leftovers_removes_it(renamed: Path) -> None:
    (renamed / "a.md").write_text("my notes\n")
    run = agentmake(renamed, "clean", "--leftovers")
    assert run.returncode == 0 and "removed 1 leftover output" in run.stdout, run
    assert not (renamed / "a.md").exists()
    saved = list((renamed / ".agentmake" / "edited").rglob("a.md"))
    assert [p.read_text() for p in saved] == ["my notes\n"], run.stdout


def test_a_renamed_output_that_another_task_makes_now_is_no_leftover(renamed: Path) -> None:
    (renamed / "Agentfile").write_text(
        ONE.replace("a.md", "b.md") + ONE.replace("agent a:", "agent c:").replace("in.txt", "b.md")
    )
    run = agentmake(renamed)
    assert run.returncode == 0 and run.stderr == "", run
    run = agentmake(renamed, "clean", "--leftovers")
    assert "removed 0 leftover outputs" in run.stdout, run.stdout
    assert (renamed / "a.md").read_text() == "hello\n"  # (c's output now)


def test_an_output_renamed_back_is_no_leftover(renamed: Path) -> None:
    (renamed / "Agentfile").write_text(ONE)
    run = agentmake(renamed)
    assert run.returncode == 0, run
    run = agentmake(renamed, "clean", "--leftovers")
    assert "removed 1 leftover output" in run.stdout, run.stdout  # b.md, now the renamed-away one
    assert (renamed / "a.md").exists() and not (renamed / "b.md").exists()


def test_a_renamed_report_output_is_a_leftover(tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("hello\n")
    report = "report r:\n    inputs = in.txt\n    output = REPORT.md\n"
    (tmp_path / "Agentfile").write_text(report)
    assert agentmake(tmp_path).returncode == 0 and (tmp_path / "REPORT.md").exists()
    (tmp_path / "Agentfile").write_text(report.replace("REPORT.md", "REVIEW.md"))
    assert agentmake(tmp_path).returncode == 0 and (tmp_path / "REVIEW.md").exists()
    run = agentmake(tmp_path, "clean", "--leftovers")
    assert "removed 1 leftover output" in run.stdout, run.stdout
    assert not (tmp_path / "REPORT.md").exists() and (tmp_path / "REVIEW.md").exists()


def test_a_build_warns_of_a_renamed_output_a_current_task_reads(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    for n in (1, 2):
        (tmp_path / "src" / f"{n}.txt").write_text(f"s{n}\n")
    (tmp_path / "Agentfile").write_text(PIPELINE)
    assert agentmake(tmp_path).returncode == 0
    (tmp_path / "Agentfile").write_text(PIPELINE.replace("out/{n}.txt", "out/{n}.rev"))
    run = agentmake(tmp_path)
    assert run.returncode == 0, run
    assert (
        "agentmake: warning: out/1.txt, out/2.txt are left over from tasks that no longer make them, and all"
        " reads them: delete them if they are stale"
    ) in run.stderr.splitlines(), run.stderr
    run = agentmake(tmp_path, "clean", "--leftovers")
    assert "removed 2 leftover outputs" in run.stdout, run.stdout
    run = agentmake(tmp_path)
    assert run.returncode == 0 and run.stderr == "" and " 1 ran," in run.stdout, run
    assert (tmp_path / "all.txt").read_text() == "1s\n2s\n"

"""A check command may change what it judges (a formatter rewriting the output is fine), but what it leaves
must still be an output: a file of its own. A check that made the staged output a symbolic link had the
link committed as it was (`c.txt -> /etc/hostname`, outside the project), which an agent itself could not
do (`staging.own_staged`); one that removed it, or put a directory there, failed the task with
"staged output: [Errno 2] No such file or directory: '…/.c.agentmake-tmp-….txt'"."""

from __future__ import annotations

import os

import pytest
from conftest import RunnerProject

from agentmake.model import Check


def shell_task(project: RunnerProject, check: str):  # type: ignore[no-untyped-def]
    return project.agent("c", ("c.txt",), run="echo hi > {output}", check=Check("command", check))


def test_a_check_that_links_the_output_out_of_the_project_fails_it(project: RunnerProject, tmp_path) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path / "outside.txt"
    outside.write_text("not the project's\n")
    res = project.run(shell_task(project, f"ln -sf {outside} {{output}}"))
    assert res.outcome == "fatal", res.message
    assert "c.txt is a symbolic link" in res.message and "outside the project" in res.message
    assert res.staged == {}
    assert not os.path.lexists(project.root / "c.txt")


def test_a_check_that_links_the_output_in_the_project_leaves_a_copy(project: RunnerProject) -> None:
    (project.root / "other.txt").write_text("formatted\n")
    res = project.run(shell_task(project, "ln -sf other.txt {output}"))
    assert res.outcome == "ok", res.message
    (staged,) = res.staged.values()
    assert not staged.is_symlink() and staged.read_text() == "formatted\n"


@pytest.mark.parametrize(
    ("check", "said"), [("rm {output}", "removed"), ("rm {output}; mkdir {output}", "directory")]
)
def test_a_check_that_removes_the_output_says_so(project: RunnerProject, check: str, said: str) -> None:
    res = project.run(shell_task(project, check))
    assert res.outcome == "fatal", res.message
    assert res.message.startswith("check"), res.message
    assert "c.txt" in res.message and said in res.message and "agentmake-tmp" not in res.message
    assert res.staged == {}
    assert [p.name for p in project.root.iterdir() if "agentmake-tmp" in p.name] == []


def test_a_check_that_rewrites_the_output_still_passes(project: RunnerProject) -> None:
    res = project.run(shell_task(project, "echo formatted > {output}"))
    assert res.outcome == "ok", res.message
    (staged,) = res.staged.values()
    assert staged.read_text() == "formatted\n"

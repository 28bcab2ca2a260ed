"""`agentmake clean --leftovers` down a chain of fan-outs: `up` makes build/up/{name}.md of notes/{name}.md,
`count` fans out over build/up/{name}.md. Deleting notes/b.md drops up:b; its output build/up/b.md is a
leftover, and count:b is in the graph only because a glob still matches that file. One clean removed
build/up/b.md alone (its message said "removes every leftover"); count:b's output stayed until a second
clean. Now the first clean takes the graph as it is once the leftovers are gone, and removes both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

AGENTFILE = """\
agent up:
    run = "cp {input} {output}"
    inputs = notes/{name}.md
    outputs = build/up/{name}.md

agent count:
    run = "wc -c < {input} > {output}"
    inputs = build/up/{name}.md
    outputs = build/count/{name}.txt
"""


def am(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "agentmake", *args]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=60)


def outputs(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in (root / "build").rglob("*") if p.is_file())


def _project(root: Path, chained: bool = True) -> None:
    (root / "notes").mkdir(parents=True)
    for name in ("a", "b"):
        (root / "notes" / f"{name}.md").write_text(f"note {name}\n")
    text = AGENTFILE
    if not chained:  # (count reads notes: no fan-out over up's outputs)
        text = text.replace("inputs = build/up/{name}.md", "inputs = notes/{name}.md")
    (root / "Agentfile").write_text(text)
    assert am(root, "-s").returncode == 0
    (root / "notes" / "b.md").unlink()


def test_one_clean_removes_the_leftovers_of_a_chain_of_fan_outs(tmp_path: Path) -> None:
    _project(tmp_path)
    dry = am(tmp_path, "clean", "-n", "--leftovers")
    assert dry.returncode == 0, dry.stderr
    assert "would remove build/count/b.txt" in dry.stdout and "would remove build/up/b.md" in dry.stdout
    assert "would remove 2 leftover outputs of 2 tasks no longer in the graph" in dry.stdout, dry.stdout
    assert "build/count/b.txt" in outputs(tmp_path)  # (-n removed nothing)
    run = am(tmp_path, "clean", "--leftovers")
    assert run.returncode == 0, run.stderr
    assert "removed 2 leftover outputs of 2 tasks no longer in the graph" in run.stdout, run.stdout
    assert outputs(tmp_path) == ["build/count/a.txt", "build/up/a.md"]
    again = am(tmp_path, "clean", "--leftovers")
    assert "removed 0 leftover outputs" in again.stdout, again.stdout
    build = am(tmp_path)  # (the current tasks are up to date: nothing they made was taken)
    assert build.returncode == 0 and "0 ran, 0 cached, 2 up to date" in build.stdout, build
    assert "left over" not in build.stderr


def test_a_plain_clean_counts_the_chain_s_leftovers_it_keeps(tmp_path: Path) -> None:
    """(As before: count:b is in the graph, so a plain clean removes its output; the count of what it keeps
    now comes from the graph without leftovers too, and stays right.)"""
    _project(tmp_path)
    run = am(tmp_path, "clean")
    assert run.returncode == 0, run.stderr
    # (count:b is in the graph: its output goes with the others; up:b's is the one leftover kept)
    assert "kept 1 leftover output of tasks no longer in the graph" in run.stdout, run.stdout
    assert outputs(tmp_path) == ["build/up/b.md"]


def test_a_task_that_names_a_leftover_as_its_input_keeps_the_graph_as_it_is(tmp_path: Path) -> None:
    """A current task naming the leftover itself (not through a glob) needs it: taking it away leaves that
    input missing, so the graph is taken as it is, as before (the leftover is still removed: the build then
    says the input is missing, as it did)."""
    _project(tmp_path)
    text = (tmp_path / "Agentfile").read_text()
    text += 'agent total:\n    run = "cat {inputs} > {output}"\n'
    text += "    inputs = build/up/b.md\n    outputs = build/total.txt\n"
    (tmp_path / "Agentfile").write_text(text)
    run = am(tmp_path, "clean", "-n", "--leftovers")
    assert run.returncode == 0, run.stderr
    assert "would remove build/up/b.md" in run.stdout and "build/count/b.txt" not in run.stdout, run.stdout


def test_without_a_chain_nothing_changes(tmp_path: Path) -> None:
    _project(tmp_path, chained=False)
    run = am(tmp_path, "clean", "--leftovers")
    assert "removed 2 leftover outputs of 2 tasks no longer in the graph" in run.stdout, run.stdout
    assert outputs(tmp_path) == ["build/count/a.txt", "build/up/a.md"]

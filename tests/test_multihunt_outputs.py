"""Agents that write several outputs themselves, and what a failed attempt leaves: the previous good outputs
back in place, nothing of the attempt's left at an output path, and the project still usable."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from conftest import RunnerProject

from agentmake.runners import PRESETS
from agentmake.runners.backups import Backup, recover

_ANSWER = json.dumps({"type": "result", "subtype": "success", "is_error": False, "result": "done"})


def scripted_claude(project: RunnerProject, script: str) -> None:
    """The project's `claude` runner runs `script` (sh, in the project) and then answers as claude -p does."""
    command = ("sh", "-c", f"{script}\nprintf '%s\\n' '{_ANSWER}'")
    project.runners["claude"] = replace(PRESETS["claude"], command=command)


def test_an_agent_that_makes_a_directory_where_an_output_was_gets_the_previous_output_back(
    project: RunnerProject,
) -> None:
    (project.root / "a.md").write_text("old a")
    (project.root / "b.md").write_text("old b")
    scripted_claude(project, "echo new > a.md; mkdir b.md; echo x > b.md/inside")
    res = project.run(project.agent("m", outputs=("a.md", "b.md")), "x")
    assert (res.outcome, res.error_type) == ("retry", "no-output"), res.message
    assert "did not write b.md" in res.message
    assert (project.root / "a.md").read_text() == "old a"
    assert (project.root / "b.md").read_text() == "old b"  # the attempt's directory is undone
    assert list((project.root / ".agentmake" / "tmp").iterdir()) == []


def test_a_backup_that_cannot_be_put_back_does_not_stop_every_later_command(tmp_path: Path) -> None:
    # a killed agentmake left a backup of b.md; a directory is at b.md now (`recover` runs at the start of
    # every command that takes the lock): it must say what it left, not raise
    root = tmp_path
    (root / "a.md").write_text("a by the attempt")
    (root / "b.md").mkdir()
    (root / "b.md" / "keep").write_text("made after the attempt")
    state = root / ".agentmake"
    backup = Backup(state / "tmp" / "m.1-0123abcd", "m", {"a.md": "0", "b.md": "1"})
    backup.dir.mkdir(parents=True)
    (backup.dir / "0").write_text("old a")
    (backup.dir / "1").write_text("old b")
    backup.write_manifest()
    notes = recover(state, root)
    assert len(notes) == 1 and "m" in notes[0] and "b.md" in notes[0], notes
    assert (root / "a.md").read_text() == "old a"  # what could be put back was


def test_a_shell_command_that_makes_a_directory_at_its_output_leaves_nothing_behind(
    project: RunnerProject,
) -> None:
    (project.root / "out").mkdir()
    (project.root / "out" / "d.txt").write_text("good")
    task = project.agent("d", outputs=("out/d.txt",), run="mkdir {output} && echo x > {output}/f")
    res = project.run(task, None)
    assert (res.outcome, res.error_type) == ("retry", "no-output"), res.message
    assert sorted(p.name for p in (project.root / "out").iterdir()) == ["d.txt"]  # no staged directory
    assert (project.root / "out" / "d.txt").read_text() == "good"

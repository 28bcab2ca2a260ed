"""A multi-output attempt interrupted by a dead agentmake is undone from its backup manifest before the next
build: backups put back, files the attempt created removed, nothing outside the project touched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import RunnerProject

from agentmake.runners.backups import MANIFEST, backup_outputs, recover, recover_if_idle, restore_outputs
from agentmake.runners.groups import group_alive
from agentmake.store.lock import ProjectLock


def leftover(
    root: Path, outputs: dict[str, str | None], *, name: str = "pair.1-0123abcd", **extra: object
) -> Path:
    """A backup directory as a killed agentmake leaves it: output -> backed-up content (None: no backup)."""
    d = root / ".agentmake" / "tmp" / name
    d.mkdir(parents=True)
    entries = []
    for i, (path, content) in enumerate(outputs.items()):
        if content is not None:
            (d / str(i)).write_text(content)
        entries.append({"path": path, "backup": None if content is None else str(i)})
    data = {"version": 1, "task": "pair", "pid": 999_999_999, "pgid": None, "outputs": entries, **extra}
    (d / MANIFEST).write_text(json.dumps(data))
    return d


def write(root: Path, path: str, text: str) -> None:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(text)


def test_backup_is_put_back_and_new_file_removed(tmp_path: Path) -> None:
    write(tmp_path, "out/a.txt", "half-written by the killed attempt")
    write(tmp_path, "out/b.txt", "created by the killed attempt")
    d = leftover(tmp_path, {"out/a.txt": "good a\n", "out/b.txt": None})
    notes = recover(tmp_path / ".agentmake", tmp_path)
    assert (tmp_path / "out/a.txt").read_text() == "good a\n"
    assert not (tmp_path / "out/b.txt").exists()
    assert not d.exists()
    assert len(notes) == 1 and "pair" in notes[0] and "out/a.txt restored" in notes[0], notes


def test_real_backup_left_by_a_killed_process_is_recovered(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "old a")
    script = (
        "import os, sys; from pathlib import Path\n"
        "from agentmake.runners.backups import backup_outputs\n"
        "root = Path(sys.argv[1])\n"
        "backup_outputs(root, 'm', ['a.md', 'sub/b.md'], root / '.agentmake/tmp/m.1')\n"
        "(root / 'a.md').write_text('partial'); (root / 'sub').mkdir()\n"
        "(root / 'sub/b.md').write_text('partial')\n"
        "os._exit(9)  # dies without restoring, like kill -9\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    assert (tmp_path / "a.md").read_text() == "partial"
    recover(tmp_path / ".agentmake", tmp_path)
    assert (tmp_path / "a.md").read_text() == "old a"
    assert not (tmp_path / "sub/b.md").exists()
    assert list((tmp_path / ".agentmake/tmp").iterdir()) == []


@pytest.mark.parametrize("bad", ["../outside.txt", "/etc/passwd", "link/x.txt", "a/../../outside.txt"])
def test_manifest_naming_a_path_outside_the_root_is_refused(tmp_path: Path, bad: str) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "link").symlink_to(outside)  # a symlinked directory must not lead recovery outside the root
    (tmp_path / "outside.txt").write_text("precious")
    (outside / "x.txt").write_text("precious")
    write(root, "in.txt", "agent's partial output")
    d = leftover(root, {"in.txt": "good", bad: None})
    notes = recover(root / ".agentmake", root)
    assert (tmp_path / "outside.txt").read_text() == "precious"
    assert (outside / "x.txt").read_text() == "precious"
    assert (root / "in.txt").read_text() == "agent's partial output", "a refused manifest changes nothing"
    assert d.exists() and len(notes) == 1 and "left" in notes[0]


def test_bad_backup_name_and_garbage_manifest_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "current")
    d = tmp_path / ".agentmake/tmp/t.1-00000000"
    d.mkdir(parents=True)
    (d / MANIFEST).write_text(json.dumps({"outputs": [{"path": "a.txt", "backup": "../../a.txt"}]}))
    e = tmp_path / ".agentmake/tmp/t.2-00000000"
    e.mkdir()
    (e / MANIFEST).write_text("{not json")
    notes = recover(tmp_path / ".agentmake", tmp_path)
    assert (tmp_path / "a.txt").read_text() == "current"
    assert len(notes) == 2 and d.exists() and e.exists()


def test_recovery_is_idempotent_even_after_a_crash_midway(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "partial")
    d = leftover(tmp_path, {"a.txt": "good", "b.txt": None})
    # a first recovery died after putting a.txt back but before removing the directory
    os.replace(d / "0", tmp_path / "a.txt")
    notes = recover(tmp_path / ".agentmake", tmp_path)
    assert (tmp_path / "a.txt").read_text() == "good", "a backup already put back is not lost"
    assert not d.exists() and len(notes) == 1
    assert recover(tmp_path / ".agentmake", tmp_path) == []
    assert (tmp_path / "a.txt").read_text() == "good"


def test_directory_without_manifest_is_removed_and_outputs_untouched(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "good")
    d = tmp_path / ".agentmake/tmp/pair.3-deadbeef"
    d.mkdir(parents=True)
    (d / "0.part").write_text("go")  # killed while copying the backup: the agent never started
    assert recover(tmp_path / ".agentmake", tmp_path) == []
    assert not d.exists() and (tmp_path / "a.txt").read_text() == "good"


def test_unrelated_directories_are_left_alone(tmp_path: Path) -> None:
    other = tmp_path / ".agentmake/tmp/not-a-backup"
    other.mkdir(parents=True)
    assert recover(tmp_path / ".agentmake", tmp_path) == []
    assert other.exists()


def test_a_live_attempt_of_this_process_is_never_recovered(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "old")
    backup = backup_outputs(tmp_path, "m", ["a.txt", "b.txt"], tmp_path / ".agentmake/tmp/m.1")
    manifest = json.loads((backup.dir / MANIFEST).read_text())
    assert manifest["task"] == "m"
    assert manifest["outputs"] == [{"path": "a.txt", "backup": "0"}, {"path": "b.txt", "backup": None}]
    write(tmp_path, "a.txt", "being written")
    assert recover(tmp_path / ".agentmake", tmp_path) == []
    assert (tmp_path / "a.txt").read_text() == "being written"
    restore_outputs(tmp_path, backup)
    assert (tmp_path / "a.txt").read_text() == "old" and not backup.dir.exists()


def test_recovery_ends_the_recorded_process_group_first(tmp_path: Path) -> None:
    writer = subprocess.Popen(
        ["sh", "-c", "while :; do echo partial > a.txt; sleep 0.05; done"],
        cwd=tmp_path,
        start_new_session=True,
    )
    try:
        leftover(tmp_path, {"a.txt": "good"}, pgid=writer.pid)
        recover(tmp_path / ".agentmake", tmp_path)
        writer.wait(timeout=10)
        assert not group_alive(writer.pid)
        time.sleep(0.2)  # a surviving writer would have overwritten the restored file by now
        assert (tmp_path / "a.txt").read_text() == "good"
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()


def test_recover_if_idle_waits_for_the_lock_holder(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "partial")
    leftover(tmp_path, {"a.txt": "good"})
    lock = ProjectLock(tmp_path / ".agentmake" / "lock", tmp_path)
    lock.acquire(0)
    try:
        assert recover_if_idle(tmp_path, quiet=True) == [], "a running build owns its backups"
        assert (tmp_path / "a.txt").read_text() == "partial"
    finally:
        lock.release()
    assert len(recover_if_idle(tmp_path, quiet=True)) == 1
    assert (tmp_path / "a.txt").read_text() == "good"


def test_a_new_executor_recovers_before_any_task(project: RunnerProject) -> None:
    write(project.root, "a.md", "partial")
    leftover(project.root, {"a.md": "good"})
    project.executor()
    assert (project.root / "a.md").read_text() == "good"
    assert list((project.root / ".agentmake/tmp").iterdir()) == []


def test_multi_output_runs_leave_no_backup_directory(project: RunnerProject) -> None:
    write(project.root, "a.md", "old a")
    task = project.agent("m", outputs=("a.md", "b.md"))
    ok = project.run(task, "x\nFAKE: write=a.md,b.md")
    assert ok.outcome == "ok", ok.message
    bad = project.run(task, "x\nFAKE: write=a.md,b.md fail=500", attempt=2)
    assert bad.outcome == "retry"
    assert list((project.root / ".agentmake/tmp").iterdir()) == []
    assert (project.root / "a.md").read_text() == "old a"

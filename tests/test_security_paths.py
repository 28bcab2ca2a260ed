"""Hostile file names and file types around outputs, through the real CLI: a wildcard that takes the value
'..', '.' or '.agentmake' from a file name cannot move an output out of place, and an output path that is a
link to /dev/zero or a FIFO neither hangs a build nor makes `clean` copy forever."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FakeAgents

from agentmake.plan.hashing import hash_path

FANOUT = """\
agent page:
    inputs  = posts/post-{slug}.md
    outputs = {slug}/index.html
    run     = "cp {input} {output}"
"""


def _agentmake(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentmake", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,  # (a regression hangs: this fails it instead)
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.mark.parametrize(
    ("name", "problem", "escaped"),
    [
        ("post-...md", "'../index.html' is outside the project directory", "index.html"),
        ("post-..md", "'./index.html' is not a normal path", None),
        ("post-.agentmake.md", "'.agentmake/index.html' is inside .agentmake/", None),
    ],
)
def test_a_wildcard_value_from_a_file_name_cannot_move_an_output(
    tmp_path: Path, name: str, problem: str, escaped: str | None
) -> None:
    project = tmp_path / "site"
    (project / "posts").mkdir(parents=True)
    (project / "Agentfile").write_text(FANOUT)
    (project / "posts/post-good.md").write_text("good\n")
    (project / "posts" / name).write_text("evil\n")
    if escaped:
        (tmp_path / escaped).write_text("precious\n")  # what `clean` must never delete
    for args in ((), ("clean",)):
        proc = _agentmake(project, *args)
        assert proc.returncode == 2, proc.stderr
        assert f"agent 'page' output {problem}" in proc.stderr
        assert "Agentfile:3:" in proc.stderr and "rename that file" in proc.stderr
    assert not (project / "good/index.html").exists()  # nothing ran
    assert not (project / ".agentmake/index.html").exists()
    if escaped:
        assert (tmp_path / escaped).read_text() == "precious\n"


SINGLE = """\
agent a:
    inputs  = in.txt
    outputs = o.txt
    run     = "cp {input} {output}"
"""


def _single(tmp_path: Path) -> Path:
    project = tmp_path / "p"
    project.mkdir()
    (project / "Agentfile").write_text(SINGLE)
    (project / "in.txt").write_text("hi\n")
    return project


def _saved(project: Path) -> list[Path]:
    return (
        [p for p in (project / ".agentmake/edited").rglob("o.txt")]
        if (project / ".agentmake").exists()
        else []
    )


def test_an_output_that_links_to_dev_zero_is_replaced_and_the_link_kept(tmp_path: Path) -> None:
    project = _single(tmp_path)
    (project / "o.txt").symlink_to("/dev/zero")
    proc = _agentmake(project, "-s")
    assert proc.returncode == 0, proc.stderr
    assert (project / "o.txt").read_text() == "hi\n" and not (project / "o.txt").is_symlink()
    [saved] = _saved(project)
    assert saved.is_symlink() and os.readlink(saved) == "/dev/zero"  # the link, not an endless copy

    (project / "o.txt").unlink()
    (project / "o.txt").symlink_to("/dev/zero")
    proc = _agentmake(project, "clean")
    assert proc.returncode == 0, proc.stderr
    assert not os.path.lexists(project / "o.txt")
    assert all(p.is_symlink() for p in _saved(project)) and len(_saved(project)) == 2


def test_an_output_that_is_a_fifo_neither_blocks_a_build_nor_clean(tmp_path: Path) -> None:
    project = _single(tmp_path)
    os.mkfifo(project / "o.txt")
    proc = _agentmake(project, "-s")
    assert proc.returncode == 0, proc.stderr
    assert (project / "o.txt").read_text() == "hi\n"

    (project / "o.txt").unlink()
    os.mkfifo(project / "o.txt")
    proc = _agentmake(project, "clean")
    assert proc.returncode == 0, proc.stderr
    assert not os.path.lexists(project / "o.txt")
    assert _saved(project) == []  # a FIFO holds nothing to keep


def test_hash_path_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "zero").symlink_to("/dev/zero")
    for name in ("fifo", "zero"):
        with pytest.raises(OSError, match="not a regular file"):
            hash_path(tmp_path / name)
    (tmp_path / "f").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "f")
    assert hash_path(tmp_path / "link") == hash_path(tmp_path / "f")  # a link to a file is read as the file


LINKED = """\
agent copy:
    inputs  = in.txt
    outputs = build/x.md
    run     = "cp {input} {output}"

agent ask:
    runner  = claude
    prompt  = "Summarize."
    inputs  = in.txt
    outputs = build/y.md
"""


def test_an_output_directory_linked_outside_the_project_is_refused(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    project, outside = tmp_path / "p", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    (project / "Agentfile").write_text(LINKED)
    (project / "in.txt").write_text("hi\n")
    (project / "build").symlink_to(outside)
    proc = _agentmake(project, "-k")
    assert proc.returncode == 1
    for task in ("copy", "ask"):
        assert f"✗ {task}: " in proc.stderr
    assert f"output directory build resolves to {outside.resolve()}, outside the project" in proc.stderr
    assert list(outside.iterdir()) == []  # nothing written there, not even a staged file
    assert fake_agents.log_lines() == []  # and the LLM agent was refused before its call was paid for

    # built for real, then the directory is swapped for a link: neither a restore nor clean reaches through
    (project / "build").unlink()
    assert _agentmake(project, "-s").returncode == 0
    shutil.rmtree(project / "build")
    (project / "build").symlink_to(outside)
    proc = _agentmake(project, "-s")
    assert proc.returncode == 1 and list(outside.iterdir()) == []  # no restore through the link
    (outside / "x.md").write_text("precious\n")
    proc = _agentmake(project, "clean")
    assert proc.returncode == 2 and "outside the project (a symbolic link)" in proc.stderr
    assert (outside / "x.md").read_text() == "precious\n"
    assert not (project / ".agentmake/edited").exists()  # nor copied from there


def test_a_planted_record_of_an_output_outside_the_project_is_not_removed(tmp_path: Path) -> None:
    project = _single(tmp_path)
    (tmp_path / "precious.txt").write_text("precious\n")
    assert _agentmake(project, "-s").returncode == 0
    db = sqlite3.connect(project / ".agentmake/state.db")  # as a state.db copied, committed or planted
    row = list(db.execute("SELECT * FROM tasks WHERE task_id = 'a'").fetchone())
    row[0], row[3] = "ghost", json.dumps({"../precious.txt": "0" * 32, ".agentmake/state.db": "0" * 32})
    db.execute(f"INSERT INTO tasks VALUES ({', '.join('?' * len(row))})", row)
    db.commit()
    db.close()
    proc = _agentmake(project, "clean", "--leftovers")
    assert proc.returncode == 0, proc.stderr
    assert "not removing ../precious.txt: a recorded output outside the project" in proc.stdout + proc.stderr
    assert (tmp_path / "precious.txt").read_text() == "precious\n"
    assert (project / ".agentmake/state.db").exists()


def test_copied_cli_credentials_are_never_readable_by_others(tmp_path: Path) -> None:
    from agentmake.runners import PRESETS
    from agentmake.runners.invocation import llm_invocation

    src = tmp_path / "home/.claude"
    src.mkdir(parents=True)
    (src / ".credentials.json").write_text('{"token": "secret"}')
    (src / ".credentials.json").chmod(0o644)
    job = tmp_path / "job"
    (job / "claude").mkdir(parents=True)
    (job / "claude/.credentials.json").write_text("old")
    (job / "claude/.credentials.json").chmod(0o644)  # a copy an older run left
    environ = {"HOME": str(tmp_path / "home"), "PATH": os.defpath}
    inv = llm_invocation(
        PRESETS["claude"], "claude", model=None, prompt="hi", writes_files=False, root=tmp_path, home=job,
        environ=environ,
    )  # fmt: skip
    copy = Path(inv.env["CLAUDE_CONFIG_DIR"]) / ".credentials.json"
    assert copy.read_text() == '{"token": "secret"}'
    assert copy.stat().st_mode & 0o777 == 0o600


def test_clean_refused_for_a_linked_output_directory_removes_nothing_at_all(tmp_path: Path) -> None:
    # clean removed the outputs of the tasks before the linked directory, then stopped: half a clean
    project, outside = tmp_path / "p", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    (project / "Agentfile").write_text(
        'agent a:\n    outputs = first/a.txt\n    run = "echo a > {output}"\n'
        'agent b:\n    outputs = later/b.txt\n    run = "echo b > {output}"\n'
    )
    assert _agentmake(project, "-s").returncode == 0
    shutil.rmtree(project / "later")
    (project / "later").symlink_to(outside)
    (outside / "b.txt").write_text("precious\n")
    proc = _agentmake(project, "clean")
    assert proc.returncode == 2 and "outside the project (a symbolic link)" in proc.stderr, proc.stderr
    assert (project / "first/a.txt").read_text() == "a\n"  # refused before anything was removed
    assert (outside / "b.txt").read_text() == "precious\n"

"""Where agentmake runs: an Agentfile that is a link, a project reached through a link, a working
directory that is gone, and the user's cache directory named relatively. Every command must find the same
project, the same state and the same targets however the user spells its place."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentmake import userdirs

SHELL_AGENTFILE = textwrap.dedent(
    """\
    agent up:
        inputs = src/{n}.txt
        outputs = build/{n}.up
        run = "tr a-z A-Z < {input} > {output}"

    report r:
        inputs = build/*.up
        output = REPORT.md
    """
)


def am(*args: str, cwd: Path | str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess, plain output."""
    base = {**os.environ, "CI": "1", "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "agentmake", *args],
        cwd=cwd,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )


def project(root: Path, agentfile: str = "Agentfile") -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "a.txt").write_text("hello\n")
    (root / agentfile).write_text(SHELL_AGENTFILE)
    return root


def test_an_agentfile_that_is_a_link_builds_its_own_project_not_the_link_targets(tmp_path: Path) -> None:
    """`variant/Agentfile -> ../base/Agentfile`: the project is variant/ (as every command takes it). Its
    build stamp must be read there: reading base/'s stamp (the Agentfile's resolved directory) answered
    "up to date" for a variant never built, once base/ had been."""
    base = project(tmp_path / "base")
    variant = tmp_path / "variant"
    (variant / "src").mkdir(parents=True)
    (variant / "src" / "a.txt").write_text("variant\n")
    (variant / "Agentfile").symlink_to("../base/Agentfile")
    for _ in range(2):  # the second build writes base/'s stamp
        assert am(cwd=base).returncode == 0
    first = am("-v", cwd=variant)
    assert first.returncode == 0, first.stderr
    assert (variant / "build" / "a.up").read_text() == "VARIANT\n", first.stdout + first.stderr
    assert (variant / "REPORT.md").is_file()


def test_an_agentfile_that_is_a_link_gets_the_no_op_stamp(tmp_path: Path) -> None:
    """The stamp written in the project is the one the next build of it reads: a no-op without loading."""
    root = tmp_path / "proj"
    project(root)
    (root / "conf").mkdir()
    (root / "Agentfile").rename(root / "conf" / "Agentfile")
    (root / "Agentfile").symlink_to("conf/Agentfile")
    assert am(cwd=root).returncode == 0
    assert am(cwd=root).returncode == 0
    again = am("-v", cwd=root)
    assert "build stamp: nothing changed since the last build" in again.stderr, again.stderr
    (root / "conf" / "Agentfile").write_text(SHELL_AGENTFILE.replace("a-z A-Z", "a-z b-za"))
    edited = am("-v", cwd=root)  # an edit of the file the link names is still seen
    assert edited.returncode == 0 and "0 ran" not in edited.stdout, edited.stdout + edited.stderr
    assert (root / "build" / "a.up").read_text() == "ifmmp\n"


def am_from_gone(gone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI run from a working directory that was deleted (as after `rm -rf` of it from another shell)."""
    gone.mkdir()
    script = 'cd "$1" && rmdir "$1" && shift && exec "$@"'
    env = {**os.environ, "CI": "1", "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    argv = ["sh", "-c", script, "sh", str(gone), sys.executable, "-m", "agentmake", *args]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    "args",
    [("status",), ("check",), ("explain", "r"), ("graph",), ("clean", "-n"), ("-s",), ("report",)],
)
def test_an_absolute_project_is_used_from_a_deleted_working_directory(tmp_path: Path, args: tuple) -> None:
    """`agentmake -C /abs/proj ...` (and `-f /abs/proj/Agentfile`) need no working directory, as make's and
    git's -C do not: naming the Agentfile relative to it failed every command ("cannot use a file")."""
    root = project(tmp_path / "proj")
    for given in (("-C", str(root)), ("-f", str(root / "Agentfile"))):
        run = am_from_gone(tmp_path / f"gone{given[0]}{args[0]}", *given, *args)
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr


def test_a_deleted_working_directory_is_named_as_the_problem(tmp_path: Path) -> None:
    """Without an absolute -C there is no project to find: say that the working directory is gone (exit 2),
    not "cannot use a file: [Errno 2] No such file or directory" that names no file."""
    run = am_from_gone(tmp_path / "gone", "status")
    assert run.returncode == 2, run.stderr
    assert "current directory" in run.stderr and "no longer exists" in run.stderr, run.stderr
    relative = am_from_gone(tmp_path / "gone2", "-C", "../proj", "status")
    assert relative.returncode == 2 and "no longer exists" in relative.stderr, relative.stderr


def test_init_in_an_absolute_directory_from_a_deleted_working_directory(tmp_path: Path) -> None:
    """`init -f FILE` names the next commands from where the user is: from nowhere, by absolute paths (it
    wrote the files, then failed on `os.path.relpath`, exit 2)."""
    new = tmp_path / "new"
    new.mkdir()
    run = am_from_gone(tmp_path / "gone", "-C", str(new), "init", "-f", "X.Agentfile")
    assert run.returncode == 0, run.stderr
    assert f"-f {new / 'X.Agentfile'} check" in run.stdout, run.stdout


def test_init_with_c_names_the_next_commands_from_where_the_user_is(tmp_path: Path) -> None:
    """`agentmake -C new init` said to run `agentmake check` and edit `prompts/summarize.md`: from the
    directory the user is in, that is "no Agentfile" and no such file. The -f form already named them from
    here (`agentmake -f new/X check`)."""
    (tmp_path / "new project").mkdir()
    run = am("-C", "new project", "init", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    said = "next: edit new project/prompts/summarize.md, then run `agentmake -C 'new project' check`"
    assert said in run.stdout, run.stdout
    assert am("-C", "new project", "check", cwd=tmp_path).returncode == 0
    (tmp_path / "here").mkdir()
    here = am("init", cwd=tmp_path / "here")
    assert "next: edit prompts/summarize.md, then run `agentmake check` and `agentmake`" in here.stdout


def test_an_absolute_target_names_the_project_however_a_link_spells_it(tmp_path: Path) -> None:
    """`cd ~/link-to-proj && agentmake $PWD/build/a.up`: the shell's $PWD keeps the link while the process's
    working directory is the real path (and macOS's /tmp is /private/tmp), so an absolute target spelled
    through either name of the project's directory names its file; it was "unknown target"."""
    real = project(tmp_path / "real")
    link = tmp_path / "link"
    link.symlink_to("real")
    assert am(cwd=real).returncode == 0
    for directory, spelled in ((link, real), (real, link), (link, link)):
        for command in ((), ("explain",), ("status",)):
            run = am("-C", str(directory), *command, str(spelled / "build" / "a.up"), cwd=tmp_path)
            assert run.returncode == 0, (directory, spelled, command, run.stderr)
        report = am("-C", str(directory), "report", str(spelled / "REPORT.md"), cwd=tmp_path)
        assert report.returncode == 0 and "report r:" in report.stdout, report.stderr
    outside = am("-C", str(link), str(tmp_path / "build" / "a.up"), cwd=tmp_path)
    assert outside.returncode == 2 and "unknown target" in outside.stderr, outside.stderr


def test_a_relative_cache_home_is_ignored_not_made_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """XDG: a relative $XDG_CACHE_HOME is invalid and must be ignored. Taken relative to the working
    directory, it put `rel/agentmake/` (pickles, compiled code) in the project agentmake ran in, where a
    `**` glob reads it; a relative $HOME likewise."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "rel")
    assert userdirs.cache_dir() == str(tmp_path / "home" / ".cache" / "agentmake")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", "relhome")
    assert userdirs.cache_dir() is None
    assert list(work.iterdir()) == []
    run = am("check", cwd=project(work), env={"XDG_CACHE_HOME": "cachedir"})
    assert run.returncode == 0 and not (work / "cachedir").exists(), run.stderr

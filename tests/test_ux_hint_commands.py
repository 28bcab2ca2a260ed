"""Every hint that names a command repeats this invocation's -C DIR, -f FILE and VAR=value words (one helper,
`invocation.command_line`): `agentmake -C 'my dir' -f Other.af report copy who=you` was told "`agentmake
copy` builds it", `-n` "`agentmake -t` records those outputs", `clean` "`agentmake clean --leftovers`
removes them", a watch "`agentmake flaky` tries it now": copied, each ran another project (or none), or
the same one with other values. Real CLI runs of shell agents; each hint is copied and run."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentmake.invocation import Invocation, command_line, current

AGENTFILE = """\
who = "me"

agent copy:
    inputs = src/{stem}.txt
    outputs = out/{stem}.txt
    run = "cp {input} {output}"

report r:
    inputs = out/*.txt
    output = R.md
"""
GIVEN = ("-C", "my dir", "-f", "Other.af")
VALUES = ("who=you",)
PREFIX = "agentmake -C 'my dir' -f Other.af"


def am(cwd: Path, *words: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "CI": "1"}
    argv = [sys.executable, "-m", "agentmake", *words]
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def hint_in(text: str, before: str) -> list[str]:
    """The words of the command quoted in backticks just before `before` in `text`."""
    said = text.split(before)[0].rsplit("`", 2)[1]
    assert said.startswith("agentmake "), text
    return shlex.split(said)[1:]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "my dir"
    (root / "src").mkdir(parents=True)
    (root / "Other.af").write_text(AGENTFILE)
    (root / "src/a.txt").write_text("alpha\n")
    (root / "src/b.txt").write_text("beta\n")
    return tmp_path


def test_report_of_an_agent_names_the_build_with_the_same_words(project: Path) -> None:
    run = am(project, *GIVEN, "report", "copy", *VALUES)
    assert run.returncode == 2, run
    assert f"it is an agent (`{PREFIX} copy who=you` builds it)" in run.stderr, run  # (was `agentmake copy`)
    built = am(project, *hint_in(run.stderr, "` builds it"))
    assert built.returncode == 0 and (project / "my dir/out/a.txt").read_text() == "alpha\n", built


def test_touch_hints_of_a_lost_state_run_on_the_same_project(project: Path) -> None:
    assert am(project, *GIVEN, *VALUES).returncode == 0
    for path in (project / "my dir/.agentmake").rglob("*"):
        if path.is_file():
            path.unlink()
    dry = am(project, *GIVEN, "-n", *VALUES)
    assert f"`{PREFIX} -t who=you` records those outputs as built instead" in dry.stderr, dry
    status = am(project, *GIVEN, "status", *VALUES)
    assert f"made elsewhere (`{PREFIX} -t who=you` records them as built)" in status.stdout + status.stderr
    touched = am(project, *hint_in(dry.stderr, "` records those outputs"))
    assert touched.returncode == 0 and "3 touched" in touched.stdout, touched
    assert "would run" not in am(project, *GIVEN, "-n", *VALUES).stdout


def test_the_leftovers_a_clean_keeps_are_removed_by_the_command_it_names(project: Path) -> None:
    assert am(project, *GIVEN, *VALUES).returncode == 0
    (project / "my dir/src/b.txt").unlink()
    clean = am(project, *GIVEN, "clean", *VALUES)
    assert f"`{PREFIX} clean --leftovers who=you` removes them" in clean.stdout, clean
    assert (project / "my dir/out/b.txt").exists()
    assert am(project, *hint_in(clean.stdout, "` removes them")).returncode == 0
    assert not (project / "my dir/out/b.txt").exists()


def test_no_agentfile_and_explain_without_a_target_name_commands_that_run_there(tmp_path: Path) -> None:
    (tmp_path / "new dir").mkdir()
    run = am(tmp_path, "-C", "new dir", "status")
    assert "run `agentmake -C 'new dir' init` to create one" in run.stderr, run
    assert am(tmp_path, *hint_in(run.stderr, "` to create one")).returncode == 0
    assert (tmp_path / "new dir/Agentfile").is_file()
    run = am(tmp_path, "-C", "new dir", "explain")
    assert "(`agentmake -C 'new dir' list` names them)" in run.stderr, run


HELD = """\
who = "me"
retries = 0

agent flaky:
    inputs  = docs/a.md
    outputs = build/a.txt
    run     = "grep -q fixed {input} && cp {input} {output}"

agent copy:
    inputs  = docs/b.md
    outputs = build/b.txt
    run     = "cp {input} {output}"
"""


def test_a_watch_says_how_to_try_a_held_task_now_on_the_same_project(tmp_path: Path) -> None:
    root = tmp_path / "my dir"
    (root / "docs").mkdir(parents=True)
    (root / "Other.af").write_text(HELD)
    (root / "docs/a.md").write_text("broken\n")
    (root / "docs/b.md").write_text("beta\n")
    err = tmp_path / "watch.err"
    with err.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "agentmake", *GIVEN, "watch", *VALUES],
            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=sink, stdin=subprocess.DEVNULL,
            env={**os.environ, "NO_COLOR": "1", "CI": "1"},
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while "watching" not in err.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)
            (root / "docs/b.md").write_text("beta 2\n")  # (not what flaky reads: it is held, not run)
            while "tries it now" not in err.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            proc.terminate()
            proc.wait(15)
    said = err.read_text()
    assert f"(`{PREFIX} flaky who=you` tries it now)" in said, said  # (was `agentmake flaky`)


def test_the_words_repeated_are_those_of_the_command_running_and_none_after_it() -> None:
    assert command_line("-t") == "agentmake -t"
    with current(Invocation("a b", "X.af", {"lang": "fr"})):
        assert command_line("clean", "--leftovers") == "agentmake -C 'a b' -f X.af clean --leftovers lang=fr"
        assert command_line("init", values=False) == "agentmake -C 'a b' -f X.af init"
    assert command_line("-t") == "agentmake -t"


def test_a_target_taken_for_an_option_is_shown_after_dash_dash_with_the_same_words(tmp_path: Path) -> None:
    """The hint is made before argparse has parsed -C and -f (it stops at the unknown option): it finds them,
    and the values, in the words themselves."""
    root = tmp_path / "my dir"
    root.mkdir()
    (root / "Other.af").write_text(
        'who = "me"\n\nagent notes:\n    outputs = -notes.md\n    run = "echo ${who} > {output}"\n'
    )
    run = am(tmp_path, *GIVEN, "-notes.md", *VALUES)
    assert run.returncode == 2, run
    assert f"goes after '--': {PREFIX} -- -notes.md who=you)" in run.stderr, (
        run
    )  # (was `agentmake -- -notes.md`)
    hint = run.stderr.rsplit("goes after '--': ", 1)[1].rstrip(")\n")
    built = am(tmp_path, *shlex.split(hint)[1:])
    assert built.returncode == 0 and (root / "-notes.md").read_text() == "you\n", built

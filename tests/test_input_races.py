"""Files edited while a task runs. An input: the task read old or new content or both, so its result is
neither recorded nor cached under the key of the content it was decided on (that cache entry would later
restore the wrong output for that content); the task is decided again. An output edited by hand: the task's
new output replaces it, but the edit is saved first (as one found when the task is decided is), so nothing a
person typed is lost. Real builds, real edits mid-run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

# (the task reads its input and writes its output once `go` exists: a test edits mid-run, then makes it; a
# fixed 0.6 s a loaded runner could outlast)
RACE = """\
agent up:
    inputs = src/{n}.txt
    outputs = mid/{n}.txt
    run = "touch started && until [ -e go ]; do sleep 0.05; done && tr a-z A-Z < {input} > {output}"
"""


def agentmake(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (root / "go").touch()  # (a build with no edit mid-run: its task goes on at once)
    return subprocess.run(
        [sys.executable, "-m", "agentmake", *args], cwd=root, capture_output=True, text=True, timeout=60
    )


def wait_for(path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


@pytest.fixture
def race(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("delta\n")
    (tmp_path / "Agentfile").write_text(RACE)
    return tmp_path


def test_an_input_edited_mid_run_is_decided_again_and_never_cached_under_its_old_key(race: Path) -> None:
    argv = [sys.executable, "-m", "agentmake"]
    build = subprocess.Popen(argv, cwd=race, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(race / "started")
    (race / "src" / "a.txt").write_text("alpha\n")  # decided on "delta"; the command has not read it yet
    (race / "go").touch()
    out, err = build.communicate(timeout=60)
    assert build.returncode == 0, out + err
    assert "input src/a.txt changed while it ran: deciding it again" in err, err
    assert (race / "mid" / "a.txt").read_text() == "ALPHA\n"
    assert " 0 ran," in agentmake(race, "-s").stdout  # recorded for what it was built from
    (race / "src" / "a.txt").write_text("delta\n")  # back to the content the first run was decided on
    again = agentmake(race, "-s")
    assert again.returncode == 0 and (race / "mid" / "a.txt").read_text() == "DELTA\n", again.stdout


def test_a_task_that_keeps_changing_its_own_input_fails_after_three_restarts(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x\n")
    (tmp_path / "Agentfile").write_text(
        "agent selfish:\n    inputs = a.txt\n    outputs = b.txt\n"
        '    run = "echo run >> runs.log && cat {input} > {output} && echo more >> {input}"\n'
    )
    run = agentmake(tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "input a.txt kept changing while the task ran" in run.stderr, run.stderr
    assert (tmp_path / "runs.log").read_text().count("run") == 4  # the first run and three restarts
    assert not (tmp_path / "b.txt").exists()  # no result of a moving input was kept


def edited_copies(root: Path) -> list[Path]:
    return sorted(p for p in (root / ".agentmake" / "edited").rglob("*") if p.is_file())


def build_editing_mid_run(root: Path, edit: str) -> subprocess.CompletedProcess[str]:
    (root / "started").unlink(missing_ok=True)
    (root / "go").unlink(missing_ok=True)
    argv = [sys.executable, "-m", "agentmake"]
    proc = subprocess.Popen(argv, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(root / "started")
    (root / "mid").mkdir(exist_ok=True)
    (root / "mid" / "a.txt").write_text(edit)  # after the task was decided, before its result is placed
    (root / "go").touch()
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_an_output_edited_while_its_task_runs_is_saved_before_it_is_replaced(race: Path) -> None:
    assert agentmake(race, "-s").returncode == 0
    (race / "src" / "a.txt").write_text("alpha\n")
    run = build_editing_mid_run(race, "my careful notes\n")
    assert run.returncode == 0, run.stdout + run.stderr
    assert (race / "mid" / "a.txt").read_text() == "ALPHA\n"
    copies = edited_copies(race)
    assert [c.read_text() for c in copies] == ["my careful notes\n"], copies
    assert copies[0].relative_to(race / ".agentmake" / "edited").parts[1:] == ("mid", "a.txt")
    assert "hand-edited output saved: mid/a.txt" in run.stderr, run.stderr
    assert " 0 ran," in agentmake(race, "-s").stdout  # the new output is recorded as usual


def test_an_output_created_by_hand_while_its_first_run_runs_is_saved(race: Path) -> None:
    run = build_editing_mid_run(race, "written before agentmake ever made it\n")
    assert run.returncode == 0, run.stdout + run.stderr
    assert (race / "mid" / "a.txt").read_text() == "DELTA\n"
    assert [c.read_text() for c in edited_copies(race)] == ["written before agentmake ever made it\n"]


def test_an_output_rewritten_mid_run_with_the_very_content_the_task_makes_is_not_saved(race: Path) -> None:
    run = build_editing_mid_run(race, "DELTA\n")
    assert run.returncode == 0, run.stdout + run.stderr
    assert (race / "mid" / "a.txt").read_text() == "DELTA\n"
    assert edited_copies(race) == []
    assert "hand-edited" not in run.stderr


def test_an_untouched_output_is_replaced_without_a_copy(race: Path) -> None:
    assert agentmake(race, "-s").returncode == 0
    (race / "src" / "a.txt").write_text("alpha\n")
    run = agentmake(race)
    assert run.returncode == 0 and (race / "mid" / "a.txt").read_text() == "ALPHA\n"
    assert not (race / ".agentmake" / "edited").exists()
    assert "hand-edited" not in run.stderr


def test_a_hand_edit_being_saved_in_place_as_its_output_is_replaced_is_kept_whole(race: Path) -> None:
    # an editor that saves in place truncated the output while its task ran and writes only after the result
    # has replaced it: the saved edit is the output's own file, so that write lands in it (a copy made at
    # the commit kept the empty file: the soak_edits benchmark lost an edit so)
    assert agentmake(race, "-s").returncode == 0
    (race / "src" / "a.txt").write_text("alpha\n")
    (race / "started").unlink()
    (race / "go").unlink()  # (the task waits for it: the truncation below is made while it runs)
    argv = [sys.executable, "-m", "agentmake"]
    proc = subprocess.Popen(argv, cwd=race, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(race / "started")  # (decided: the edit below is made while the task runs)
    fd = os.open(race / "mid" / "a.txt", os.O_WRONLY | os.O_TRUNC)
    try:
        (race / "go").touch()
        out, err = proc.communicate(timeout=60)
        os.write(fd, b"my careful notes\n")
    finally:
        os.close(fd)
    assert proc.returncode == 0, out + err
    assert (race / "mid" / "a.txt").read_text() == "ALPHA\n"
    assert [c.read_text() for c in edited_copies(race)] == ["my careful notes\n"]
    assert "hand-edited output saved: mid/a.txt" in err, err

"""An output edited by hand while its task runs: the task's new output replaces it, but the edit is saved
first (as one found when the task is decided is), so nothing a person typed is lost. Real builds, real
edits mid-run."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

SLOW = """\
agent up:
    inputs = src/{n}.txt
    outputs = out/{n}.txt
    run = "touch started && sleep 0.6 && tr a-z A-Z < {input} > {output}"
"""


def agentmake(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentmake", *args], cwd=root, capture_output=True, text=True, timeout=60
    )


def wait_for(path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def edited_copies(root: Path) -> list[Path]:
    return sorted(p for p in (root / ".agentmake" / "edited").rglob("*") if p.is_file())


@pytest.fixture
def slow(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("delta\n")
    (tmp_path / "Agentfile").write_text(SLOW)
    return tmp_path


def build_editing_mid_run(root: Path, edit: str) -> subprocess.CompletedProcess[str]:
    (root / "started").unlink(missing_ok=True)
    argv = [sys.executable, "-m", "agentmake"]
    proc = subprocess.Popen(argv, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(root / "started")
    (root / "out").mkdir(exist_ok=True)
    (root / "out" / "a.txt").write_text(edit)  # after the task was decided, before its result is placed
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_an_output_edited_while_its_task_runs_is_saved_before_it_is_replaced(slow: Path) -> None:
    assert agentmake(slow, "-s").returncode == 0
    (slow / "src" / "a.txt").write_text("alpha\n")
    run = build_editing_mid_run(slow, "my careful notes\n")
    assert run.returncode == 0, run.stdout + run.stderr
    assert (slow / "out" / "a.txt").read_text() == "ALPHA\n"
    copies = edited_copies(slow)
    assert [c.read_text() for c in copies] == ["my careful notes\n"], copies
    assert copies[0].relative_to(slow / ".agentmake" / "edited").parts[1:] == ("out", "a.txt")
    assert "hand-edited output saved: out/a.txt" in run.stderr, run.stderr
    assert " 0 ran," in agentmake(slow, "-s").stdout  # the new output is recorded as usual


def test_an_output_created_by_hand_while_its_first_run_runs_is_saved(slow: Path) -> None:
    run = build_editing_mid_run(slow, "written before agentmake ever made it\n")
    assert run.returncode == 0, run.stdout + run.stderr
    assert (slow / "out" / "a.txt").read_text() == "DELTA\n"
    assert [c.read_text() for c in edited_copies(slow)] == ["written before agentmake ever made it\n"]


def test_an_output_rewritten_mid_run_with_the_very_content_the_task_makes_is_not_saved(slow: Path) -> None:
    run = build_editing_mid_run(slow, "DELTA\n")
    assert run.returncode == 0, run.stdout + run.stderr
    assert (slow / "out" / "a.txt").read_text() == "DELTA\n"
    assert edited_copies(slow) == []
    assert "hand-edited" not in run.stderr


def test_an_untouched_output_is_replaced_without_a_copy(slow: Path) -> None:
    assert agentmake(slow, "-s").returncode == 0
    (slow / "src" / "a.txt").write_text("alpha\n")
    run = agentmake(slow)
    assert run.returncode == 0 and (slow / "out" / "a.txt").read_text() == "ALPHA\n"
    assert not (slow / ".agentmake" / "edited").exists()
    assert "hand-edited" not in run.stderr

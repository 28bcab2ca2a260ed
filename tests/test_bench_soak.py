"""`benchmarks/soak_kill9.py` and `soak_edits.py` run (one short seed each) and their checks catch what they
are for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import soak_edits  # noqa: E402
import soak_kill9  # noqa: E402


@pytest.mark.parametrize("signame", ["KILL", "INT"])
def test_one_seed_of_the_soak_holds_every_rule(tmp_path: Path, signame: str) -> None:
    args = ["--seeds", "3", "--docs", "6", "--signal", signame, "--work", str(tmp_path)]
    run = subprocess.run(
        [sys.executable, str(BENCH / "soak_kill9.py"), *args], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "seed 3: " in run.stdout and "every rule held" in run.stdout, run.stdout
    assert (tmp_path / "seed3" / "SUMMARY.md").is_file()


def test_the_checks_see_a_wrong_output_a_second_payment_and_a_staged_file(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "build").mkdir(parents=True)
    answer = "ANSWER:\nTranslate:\nline one of d0\n"
    for suffix, text in ((".md", answer), (".count", "3\n"), (".a", answer), (".b", "half")):
        (root / "build" / f"d00{suffix}").write_text(text)
    (root / "build" / "d00.x").write_text(f"written by fake claude: build/d00.x\nNotes on {answer}\n")
    assert soak_kill9.wrong_outputs(root, 1, present_only=True) == ["d00.b is wrong: 'half'"]
    (root / "build" / ".d00.agentmake-tmp-x.md").write_text("partial")
    log = tmp_path / "agents.log"
    events = ["start 1.0 999999 claude d00", "end 2.0 999999 claude d00", "end 3.0 999998 claude d00"]
    log.write_text("\n".join([*events, "end 4.0 999997 claude notes-d00", "end 5.0 9 claude notes-d00"]))
    broken = soak_kill9.check(root, 1, log)
    assert broken[:2] == ["d00.b is wrong: 'half'", "d00.y is missing"], broken
    assert "staged files left" in broken[2] and broken[3:] == ["d00 paid 2 times", "notes-d00 paid 2 times"]


@pytest.mark.parametrize("outputs", [False, True])
def test_one_seed_of_the_edit_soak_holds_every_rule(tmp_path: Path, outputs: bool) -> None:
    args = ["--seeds", "6", "--files", "10", "--rounds", "6", "--work", str(tmp_path)]
    args += ["--outputs"] if outputs else []
    run = subprocess.run(
        [sys.executable, str(BENCH / "soak_edits.py"), *args], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "seed 6: every rule held" in run.stdout, run.stdout


def test_the_edit_soak_sees_a_stale_output(tmp_path: Path) -> None:
    for rel, text in (("src/00.txt", "delta\n"), ("mid/00.txt", "ALPHA\n"), ("out/00.txt", "ATLED\n")):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "all.txt").write_text("ATLED\n")
    assert soak_edits.wrong(tmp_path, 1) == ["mid/00.txt is 'ALPHA\\n', not 'DELTA\\n'"]


def test_the_edit_soak_sees_a_lost_hand_edit(tmp_path: Path) -> None:
    (tmp_path / "mid").mkdir()
    (tmp_path / "mid" / "00.txt").write_text("DELTA\n")  # replaced, and no copy saved
    (tmp_path / "mid" / "01.txt").write_text("hand edit b\n")  # still there
    saved = tmp_path / ".agentmake" / "edited" / "20261204-120000" / "mid" / "02.txt"
    saved.parent.mkdir(parents=True)
    saved.write_text("hand edit c\n")  # replaced after a copy was saved
    edits = [(f"mid/0{i}.txt", f"hand edit {c}\n") for i, c in enumerate("abc")]
    assert soak_edits.lost_edits(tmp_path, edits) == ["hand edit 'hand edit a' of mid/00.txt was lost"]
    soak_edits.drop_hand_edits(tmp_path, edits)
    assert sorted(p.name for p in (tmp_path / "mid").iterdir()) == ["00.txt"]  # only the one holding an edit

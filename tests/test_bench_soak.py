"""`benchmarks/soak_kill9.py` and `soak_edits.py` run (one short seed each) and their checks catch what they
are for."""

from __future__ import annotations

import contextlib
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FakeAgents
from crash_helpers import crash_at
from e2e_helpers import E2E

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import soak_edits  # noqa: E402
import soak_faults  # noqa: E402
import soak_kill9  # noqa: E402
import soak_ledger  # noqa: E402
import soak_touch  # noqa: E402

# A limit a soak reaches only if stuck, for pytest and its subprocess alike: its runs of agentmake take as
# long as the runner's load makes them (the touch soak's seed: 529 s at load 20 on 2 cores, where 300 s was
# hit, and pytest's 120 s before that).
SOAK = 900


@pytest.mark.timeout(SOAK)
@pytest.mark.parametrize("signame", ["KILL", "INT"])
def test_one_seed_of_the_soak_holds_every_rule(tmp_path: Path, signame: str) -> None:
    args = ["--seeds", "3", "--docs", "4", "--signal", signame, "--work", str(tmp_path)]
    run = subprocess.run(
        [sys.executable, str(BENCH / "soak_kill9.py"), *args], capture_output=True, text=True, timeout=SOAK
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


@pytest.mark.timeout(SOAK)
@pytest.mark.parametrize("outputs", [False, True])
def test_one_seed_of_the_edit_soak_holds_every_rule(tmp_path: Path, outputs: bool) -> None:
    args = ["--seeds", "6", "--files", "10", "--rounds", "6", "--work", str(tmp_path)]
    args += ["--outputs"] if outputs else []
    run = subprocess.run(
        [sys.executable, str(BENCH / "soak_edits.py"), *args], capture_output=True, text=True, timeout=SOAK
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


@pytest.mark.timeout(SOAK)
def test_one_seed_of_the_fault_soak_holds_every_rule(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH / "soak_faults.py"), "--seeds", "1-2", "--work", str(tmp_path)],
        capture_output=True, text=True, timeout=SOAK,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("every rule held") == 2, run.stdout
    assert (tmp_path / "seed2" / "project" / "REPORT.md").is_file()


@pytest.mark.timeout(SOAK)
def test_the_fault_soak_counts_a_retry_told_what_its_check_said_apart(tmp_path: Path) -> None:
    # seed 723: a `check = json` task whose invalid answer fires twice (times=2, retries = 3). Each retry is
    # told the check's complaint: a longer prompt (its tokens in), and one the fake counts apart, so its fault
    # fires on two retries too and the fourth attempt answers. The soak predicted the plain prompt's tokens
    # and two fired runs: "a2:f3 recorded cost/tokens (None, 161, 10), the fakes reported (None, 68, 12)".
    run = subprocess.run(
        [sys.executable, str(BENCH / "soak_faults.py"), "--seeds", "723", "--work", str(tmp_path)],
        capture_output=True, text=True, timeout=SOAK,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    told = [x for x in (tmp_path / "seed723" / "prompts").iterdir() if soak_faults.told(x.read_text())]
    assert len(told) >= 3, run.stdout  # (the case it is about did happen)


def test_the_fault_soak_sees_too_many_agents_a_wrong_output_and_a_not_run_saying_no_dependency(
    tmp_path: Path,
) -> None:
    sleeps = {"f0": 0.02, "f1": 0.02}
    agents = [soak_faults.Agent("a0", "claude", "src", sleeps=sleeps), soak_faults.Agent("a1", "shell", "a0")]
    p = soak_faults.Project(tmp_path / "p", ["f0", "f1"], agents, 1, {"claude": 1}, "a1")
    for rel, text in (
        ("src/f0.txt", "alpha\n"),
        ("src/f1.txt", "bravo\n"),
        ("a0/f0.txt", "ANSWER:\na0 of f0\nalpha\n"),
    ):
        (p.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (p.root / rel).write_text(text)
    (p.root / "a0" / ".f1.txt.agentmake-tmp-1").write_text("half")
    log = [
        "start 10.0 1 claude a0-f0",
        "start 10.5 2 claude a0-f1",
        "end 11.0 1 claude a0-f0",
        "end 11.2 2 claude a0-f1",
    ]
    (tmp_path / "agents.log").write_text("\n".join(log) + "\n")
    row = {"cost_usd": None, "tokens_in": None, "tokens_out": None, "error_type": None, "attempts": 1}
    rows = {
        "a0:f0": {**row, "state": "done"},
        "a0:f1": {**row, "state": "failed", "message": "exited with code 1"},
        "a1:f1": {**row, "state": "not-run", "message": "budget of $0.00 reached"},
    }
    status = {"a0:f0": {"state": "up to date"}, "a0:f1": {"state": "failed"}}
    b = soak_faults.Build(["-j", "2", "-k"], True, None, 9.0, 12.0, 1, "", 1, rows, status)
    broken = soak_faults.check(p, tmp_path, b, {}, {})
    assert "2 claude agents at once (parallel = 1)" in broken, broken
    assert any(x.startswith("left behind: ['a0/.f1.txt.agentmake-tmp-1']") for x in broken), broken
    assert "a1:f1 was not run for a failed dependency, yet says: budget of $0.00 reached" in broken, broken
    assert any(x.startswith("a0:f0 recorded cost/tokens (None, None, None)") for x in broken), broken


def test_the_fault_soak_sees_and_ends_a_grandchild_left_alive(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "FAKE_AGENT_STATE": str(tmp_path / "state")}  # (a fake's, inherited)
    left = subprocess.Popen(["sleep", "60"], env=env)
    try:
        assert soak_faults.survivors(tmp_path) == [f"processes left alive: [{left.pid}]"]
        assert left.wait(timeout=10) == -9
    finally:
        left.kill()
        left.wait()


def test_the_kill9_soak_tells_a_ctrl_c_python_lost_before_agentmake_ran() -> None:
    # (the head of a build's output seen under load: the console script's `import re` lost the Ctrl-C)
    lost = (
        "Exception ignored in: <function _get_module_lock.<locals>.cb at 0x7fd86719cc20>\n"
        "Traceback (most recent call last):\n"
        '  File "<frozen importlib._bootstrap>", line 207, in cb\n'
        "KeyboardInterrupt: \n"
        "agentmake: 1 ran, 0 cached, 0 up to date, 0 failed in 3.1s\n"
    )
    assert soak_kill9.lost_early(lost)
    assert not soak_kill9.lost_early("agentmake: 1 ran, 0 cached, 0 up to date, 0 failed in 3.1s\n")
    assert not soak_kill9.lost_early("")
    assert not soak_kill9.lost_early("Exception ignored in: <function f>\nTraceback:\nValueError: x\n")


@pytest.mark.timeout(SOAK)
def test_one_seed_of_the_touch_soak_holds_every_rule(tmp_path: Path) -> None:
    args = ["--seeds", "5", "--docs", "4", "--work", str(tmp_path)]
    run = subprocess.run(
        [sys.executable, str(BENCH / "soak_touch.py"), *args], capture_output=True, text=True, timeout=SOAK
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "seed 5: " in run.stdout and "every rule held" in run.stdout, run.stdout


def test_the_touch_soak_lets_minus_t_finish_a_commit_a_kill_cut_short(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    """A build killed between recording a translation and renaming it into place: -t puts that result, paid
    for, in place before it decides anything (`workflow.takeover`), as -t -n says it would; the soak took
    that for -t writing an output (CI, seed 5: `-t changed outputs: ['build/d03.md']`)."""
    e2e = E2E(tmp_path / "p", fake_agents)
    soak_kill9.project(e2e.root, 1, random.Random(1))
    assert e2e.am("report", "-s").code == 0
    doc = e2e.root / "docs" / "d00.md"
    doc.write_text(doc.read_text().replace("line one of d0\n", f"line one of d0{soak_kill9.EDITED}\n"))
    crash_at(e2e, "os.rename", "build/d00.md", "report", "-s")  # (recorded and cached, not in place)
    log = tmp_path / "agents.log"
    toucher = soak_touch.Toucher(e2e.root, log, e2e.env(), random.Random(0), signal.SIGKILL)
    assert toucher.touch(delete=False, stoppable=False) == [], toucher.last
    assert "finished translate:d00's commit" in toucher.last
    assert soak_kill9.wrong_outputs(e2e.root, 1, present_only=True, changing=frozenset({0})) == []
    assert soak_touch.outputs_of("pair:d00") == {"build/d00.a", "build/d00.b"}
    assert soak_touch.outputs_of("summary") == {"SUMMARY.md"}


def test_the_checks_take_either_line_of_a_document_being_rebuilt_and_only_the_new_one_after(
    tmp_path: Path,
) -> None:
    root = tmp_path / "p"
    (root / "build").mkdir(parents=True)
    old = "ANSWER:\nTranslate:\nline one of d0\n"
    (root / "build" / "d00.md").write_text(old)
    assert soak_kill9.wrong_outputs(root, 1, present_only=True, changing=frozenset({0})) == []
    assert soak_kill9.wrong_outputs(root, 1, present_only=True, edited=frozenset({0})) == [
        f"d00.md is wrong: {old!r}"
    ]
    (root / "build" / "d00.md").write_text(old.replace("d0\n", f"d0{soak_kill9.EDITED}\n"))
    assert soak_kill9.wrong_outputs(root, 1, present_only=True, edited=frozenset({0})) == []


def test_the_ledger_sees_a_summary_that_counts_a_paid_answer_twice_or_not_at_all(tmp_path: Path) -> None:
    log, prompts = tmp_path / "agents.log", tmp_path / "agents.prompts"
    prompts.mkdir()
    prompt = "FAKE: label=d00 sleep=0.1\nTranslate:\nline one of d0\n"  # (8 words in; out, "ANSWER:" and 5)
    (prompts / "11-1.000000.prompt").write_text(prompt)
    (prompts / "12-3.000000.prompt").write_text(prompt)
    events = ["start 1.000000 11 claude d00", "end 2.0 11 claude d00"]
    log.write_text("\n".join([*events, "start 3.000000 12 claude d00", "term 3.5 12 claude d00"]) + "\n")
    assert soak_ledger.paid(log, prompts) == [("d00", 8, 6)]  # (one answer: the other ended unanswered)
    ledger = soak_ledger.Ledger()
    ledger.note("agentmake: 0 ran, 0 cached, 0 up to date, 0 failed, 1 interrupted in 0.3s\n")
    ran = "agentmake: 1 ran, 0 cached, 0 up to date, 0 failed in 0.3s, $0.0001, 8 tokens in / 6 out\n"
    ledger.note(f"! translate:d00: a notice\n{ran}")
    assert soak_ledger.spent(ledger, log, prompts) == []
    ledger.note(ran)  # (an answer counted twice)
    assert soak_ledger.spent(ledger, log, prompts) == [
        "the summary lines of 3 builds counted 16 tokens in / 12 out; the fakes were paid 8 / 6 for 1 answers"
    ]
    unsaid = soak_ledger.spent(soak_ledger.Ledger(), log, prompts)  # (one paid, reported by no build)
    assert unsaid[0].startswith("the summary lines of 0 builds counted 0 tokens in / 0 out;"), unsaid


def test_the_kill9_soak_sees_a_q_that_disagrees_with_the_build_after_it() -> None:
    idle = "agentmake: 0 ran, 0 cached, 13 up to date, 0 failed in 0.1s\n"
    busy = "report summary: SUMMARY.md\nagentmake: 0 ran, 2 cached, 11 up to date, 0 failed in 0.1s\n"
    assert soak_kill9.answered(None, busy) == [] and soak_kill9.answered(0, idle) == []
    assert soak_kill9.answered(1, busy) == []
    assert soak_kill9.answered(0, busy) == [
        "agentmake -q exited 0, and the build after it said: "
        "agentmake: 0 ran, 2 cached, 11 up to date, 0 failed in 0.1s"
    ]
    assert soak_kill9.answered(1, idle)[0].startswith("agentmake -q exited 1, and the build after it said")


def test_the_ledger_counts_a_paid_failure_and_the_line_a_kill_lost_once_its_build_ended(
    tmp_path: Path,
) -> None:
    log, prompts = tmp_path / "agents.log", tmp_path / "agents.prompts"
    prompts.mkdir()
    prompt = f"FAKE: label=d00 sleep=0.1 {soak_kill9.FAULT}\nTranslate:\nline one of d0\n"  # (10 words)
    (prompts / "11-1.000000.prompt").write_text(prompt)
    (prompts / "11-1.000000.fired").touch()  # (its fault took effect: a stop at the turn limit, paid)
    (prompts / "12-3.000000.prompt").write_text(prompt)
    lines = ["start 1.000000 11 claude d00", "end 2.0 11 claude d00"]
    log.write_text("\n".join([*lines, "start 3.000000 12 claude d00", "end 3.5 12 claude d00"]) + "\n")
    assert soak_ledger.billed(log, prompts) == [("d00", 10, 0, True), ("d00", 10, 6, False)]
    assert soak_ledger.paid(log, prompts) == [("d00", 10, 6)]  # (the answer alone)
    ledger = soak_ledger.Ledger()
    ledger.note("agentmake: 1 ran, 0 cached, 0 up to date, 0 failed in 0.3s, $0.04, 10 tokens in / 6 out\n")
    assert soak_ledger.spent(ledger, log, prompts) == [
        "the summary lines of 1 builds counted 10 tokens in / 6 out; the fakes were paid 20 / 6 for 1 answers"
        " and 1 failures"
    ]
    # a build killed once it had ended (its run's end recorded), before its line got out: what it would say
    root = tmp_path / "proj"
    (root / ".agentmake").mkdir(parents=True)
    with contextlib.closing(sqlite3.connect(root / ".agentmake" / "state.db")) as db, db:
        db.execute("CREATE TABLE runs (run_id, started_at, ended_at, pid, summed_by, counts)")
        db.execute("CREATE TABLE attempts (run_id, task_id, state, extra, tokens_in, tokens_out)")
        db.executemany("INSERT INTO runs VALUES (?, 0, ?, ?, ?, NULL)", [(1, 0, 40, 2), (2, 5.0, 41, None)])
        db.executemany(
            "INSERT INTO attempts VALUES (?, 't', ?, ?, ?, ?)",
            [(1, "failed", "{}", 10, 0), (1, "cached", "{}", 10, 6), (2, "done", "{}", 10, 6)],
        )
    db.close()
    assert soak_ledger.lost_line(root, 40) is None  # (never ended)
    # (its own row, and the failure of the build it reported; not that build's restore)
    assert soak_ledger.lost_line(root, 41) == (20, 6)
    ledger.note_killed("[   0.1s] running     translate:d00\n", root, 41)
    said = soak_ledger.spent(ledger, log, prompts)[0]
    assert said.startswith(
        "the summary lines of 1 builds (and 1 lost to a kill once its build ended) counted 30"
    ), said

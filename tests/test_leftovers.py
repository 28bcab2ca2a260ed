"""Outputs left over from tasks that are no longer in the graph (a wildcard's source deleted, an agent
renamed or removed) are not deleted, but a build says so when a current task still reads one. Real builds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PIPELINE = """\
agent rev:
    inputs = src/{n}.txt
    outputs = out/{n}.txt
    run = "rev {input} > {output}"

agent all:
    inputs = out/*.txt
    outputs = all.txt
    run = "cat {inputs} > {output}"
"""
WARNING = (
    "agentmake: warning: out/2.txt is left over from rev:2, which is no longer in the graph, "
    "and all reads it: delete it if it is stale"
)

HINT = "agentmake: `agentmake clean --leftovers` removes every leftover"


def agentmake(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentmake", "-s", *args], cwd=root, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def built(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    for n in (1, 2, 3):
        (tmp_path / "src" / f"{n}.txt").write_text(f"s{n}\n")
    (tmp_path / "Agentfile").write_text(PIPELINE)
    assert agentmake(tmp_path).returncode == 0
    return tmp_path


def test_a_build_warns_of_a_leftover_a_current_task_reads_until_it_is_gone(built: Path) -> None:
    (built / "src" / "2.txt").unlink()
    for _ in range(2):  # every build says so (no build stamp answers the next one without looking)
        run = agentmake(built)
        assert run.returncode == 0 and " 0 ran," in run.stdout, run
        assert run.stderr.splitlines() == [WARNING, HINT], run.stderr
        assert (built / "out" / "2.txt").exists()  # nothing is deleted
    assert (built / "all.txt").read_text() == "1s\n2s\n3s\n"
    (built / "out" / "2.txt").unlink()
    run = agentmake(built)
    assert run.returncode == 0 and " 1 ran," in run.stdout and run.stderr == "", run
    assert (built / "all.txt").read_text() == "1s\n3s\n"
    assert (built / ".agentmake" / "stamp").exists()  # up to date again, with nothing to warn of


def test_a_leftover_no_task_reads_or_a_hand_edited_one_is_not_warned_of(built: Path) -> None:
    (built / "Agentfile").write_text(PIPELINE.replace("out/*.txt", "out/1.txt out/3.txt"))
    (built / "src" / "2.txt").unlink()
    run = agentmake(built)
    assert run.returncode == 0 and run.stderr == "", run  # out/2.txt is left, but nothing reads it
    (built / "Agentfile").write_text(PIPELINE)
    (built / "out" / "2.txt").write_text("mine now\n")  # edited by hand: a source like any other
    run = agentmake(built)
    assert run.returncode == 0 and run.stderr == "", run
    assert "mine now" in (built / "all.txt").read_text()


def test_outputs_a_renamed_agent_makes_again_are_not_leftovers(built: Path) -> None:
    (built / "Agentfile").write_text(PIPELINE.replace("agent rev:", "agent reverse:"))
    run = agentmake(built)
    assert run.returncode == 0 and run.stderr == "", run  # rev:1..3 are gone; reverse:1..3 make those outputs


def test_clean_leftovers_removes_them_and_forgets_their_tasks_whose_results_stay_cached(built: Path) -> None:
    (built / "src" / "2.txt").unlink()
    copy = 'agent copy:\n  inputs = all.txt\n  outputs = c.txt\n  run = "cp {input} {output}"\n'
    (built / "Agentfile").write_text(PIPELINE + copy)
    assert agentmake(built).returncode == 0
    (built / "Agentfile").write_text(PIPELINE)  # copy leaves the graph too; its output, edited by hand
    (built / "c.txt").write_text("my notes\n")
    cleaned = agentmake(built, "clean", "--leftovers")
    assert cleaned.returncode == 0, cleaned
    assert "agentmake: removed 2 leftover outputs of 2 tasks no longer in the graph" in cleaned.stdout
    assert "c.txt was edited by hand or not made by agentmake; saved a copy" in cleaned.stdout, cleaned
    assert not (built / "out" / "2.txt").exists() and not (built / "c.txt").exists()
    assert [p.read_text() for p in (built / ".agentmake" / "edited").rglob("c.txt")] == ["my notes\n"]
    assert sorted(p.name for p in (built / "out").iterdir()) == ["1.txt", "3.txt"]  # current outputs stay
    again = agentmake(built, "clean", "--leftovers")
    assert "agentmake: removed 0 leftover outputs\n" in again.stdout, again  # their records are forgotten
    run = agentmake(built)
    assert run.returncode == 0 and " 1 ran," in run.stdout and run.stderr == "", run
    assert (built / "all.txt").read_text() == "1s\n3s\n"
    (built / "src" / "2.txt").write_text("s2\n")  # the source comes back: its result is in the cache
    back = agentmake(built)
    assert back.returncode == 0 and " 0 ran, 2 cached," in back.stdout, back
    assert (built / "all.txt").read_text() == "1s\n2s\n3s\n"


@pytest.mark.parametrize("args", [("clean", "--leftovers", "rev:1"), ("--leftovers",)])
def test_leftovers_is_an_option_of_clean_without_targets(built: Path, args: tuple[str, ...]) -> None:
    run = agentmake(built, *args)
    assert run.returncode == 2 and "--leftovers" in run.stderr and "Traceback" not in run.stderr, run


def test_a_task_that_failed_after_a_success_leaves_its_last_output_as_a_leftover(built: Path) -> None:
    (built / "src" / "2.txt").write_text("s2, again\n")
    failing = PIPELINE.replace('run = "rev', 'run = "test {n} != 2 && rev')
    (built / "Agentfile").write_text("retries = 0\n" + failing)
    assert agentmake(built, "-k").returncode == 1  # rev:2 fails; its record keeps its last good output
    (built / "src" / "2.txt").unlink()
    run = agentmake(built)
    assert WARNING in run.stderr.splitlines(), run


def test_an_output_made_under_another_variable_value_is_not_saved_as_a_strangers(tmp_path: Path) -> None:
    """A variable in an output path (a language, say): switched to another value and back, the first value's
    output is one agentmake made (its content is in the cache), not a file to save from being replaced."""
    (tmp_path / "src.txt").write_text("hello\n")
    (tmp_path / "Agentfile").write_text(
        "v = a\nagent up:\n    inputs = src.txt\n    outputs = out/${v}.txt\n"
        '    run = "tr a-z A-Z < {input} > {output}"\n'
        "report r:\n    inputs = out/${v}.txt\n    output = R.${v}.md\n"
    )
    for value in ("a", "b", "a", "b"):
        run = subprocess.run(
            [sys.executable, "-m", "agentmake", "report", f"v={value}"],
            cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert "did not make" not in run.stderr and "saved" not in run.stderr, run.stderr
    assert not (tmp_path / ".agentmake" / "edited").exists()
    assert (tmp_path / "R.a.md").is_file() and (tmp_path / "out/a.txt").read_text() == "HELLO\n"
    # a file agentmake did not make at an output path is still saved before it is replaced
    (tmp_path / "R.a.md").write_text("my own notes\n")
    run = subprocess.run(
        [sys.executable, "-m", "agentmake", "report", "v=a"], cwd=tmp_path, capture_output=True, text=True
    )
    assert "output agentmake did not make saved: R.a.md" in run.stderr, run.stderr
    saved = list((tmp_path / ".agentmake" / "edited").rglob("R.a.md"))
    assert [p.read_text() for p in saved] == ["my own notes\n"]


def test_clean_leftovers_tells_a_renamed_output_apart_from_a_task_gone_that_left_none(built: Path) -> None:
    """A task gone whose output was deleted by hand, and an output renamed: not `0 of 1 task no longer in
    the graph` (as if it were counting that task's outputs among the removed), but what each did."""
    (built / "src" / "2.txt").unlink()
    (built / "out" / "2.txt").unlink()
    agentfile = built / "Agentfile"
    agentfile.write_text(PIPELINE.replace("outputs = all.txt", "outputs = all.md"))
    assert agentmake(built).returncode == 0
    run = agentmake(built, "clean", "--leftovers")
    assert run.returncode == 0, run
    said = (
        "agentmake: removed 1 leftover output"
        " (1 renamed in the Agentfile); forgot 1 task no longer in the graph, with no output left"
    )
    assert run.stdout.strip() == said, run.stdout
    assert not (built / "all.txt").exists() and (built / "all.md").exists()


def test_a_dry_run_warns_of_a_leftover_a_current_task_reads_as_a_build_does(built: Path) -> None:
    """(newuser3) After a source was renamed or deleted, `agentmake -n` said `0 to run, … up to date` and
    nothing of the leftover the report still reads, which only a build told of: the preview a user runs to
    see what a build would do left out what the build warns of. -n and -q warn of it too, writing nothing."""
    (built / "src" / "2.txt").unlink()
    assert agentmake(built).stderr.splitlines() == [WARNING, HINT]  # (the build)
    listing = sorted(p.name for p in (built / ".agentmake").iterdir())
    for option in ("-n", "-q"):
        run = agentmake(built, option)
        assert run.returncode == 0, run  # (nothing is stale)
        assert run.stderr.splitlines() == [WARNING, HINT], (option, run.stderr)
    assert sorted(p.name for p in (built / ".agentmake").iterdir()) == listing  # (no stamp, nothing new)
    assert (built / "out" / "2.txt").exists()


def test_status_warns_of_a_leftover_a_current_task_reads_as_a_build_does(built: Path) -> None:
    """(newuser3) After a source was deleted, `agentmake status` called every task up to date and said nothing
    of the leftover the report still reads. It warns of it as a build does (on stderr: the JSON stays
    whole), writing nothing."""
    (built / "src" / "2.txt").unlink()
    agentmake(built)
    listing = sorted(p.name for p in (built / ".agentmake").iterdir())
    for options in ((), ("--json",)):
        run = agentmake(built, "status", *options)
        assert run.returncode == 0, run
        assert run.stderr.splitlines() == [WARNING, HINT], (options, run.stderr)
    assert sorted(p.name for p in (built / ".agentmake").iterdir()) == listing
    agentmake(built, "clean", "--leftovers")
    assert agentmake(built, "status").stderr == ""


def test_a_whole_clean_says_the_leftovers_it_keeps_and_what_removes_them(built: Path) -> None:
    """(newuser3) `agentmake clean` after a source was deleted removed every current output and left the
    leftover, saying `removed 4 outputs` alone: the next build's report read the leftover again, and
    nothing had said it was there. Now clean (and -n) says it kept it and what removes it."""
    (built / "src" / "2.txt").unlink()
    agentmake(built)
    said = "of tasks no longer in the graph: `agentmake clean --leftovers` removes them"
    dry = agentmake(built, "clean", "-n")
    assert f"agentmake: would keep 1 leftover output {said}" in dry.stdout.splitlines(), dry
    run = agentmake(built, "clean")
    assert run.returncode == 0 and f"agentmake: kept 1 leftover output {said}" in run.stdout.splitlines(), run
    assert (built / "out" / "2.txt").exists() and not (built / "out" / "1.txt").exists()
    assert "kept" not in agentmake(built, "clean", "rev:1").stdout  # (a clean of some targets)
    assert "kept" not in agentmake(built, "clean", "--leftovers").stdout
    assert "kept" not in agentmake(built, "clean").stdout  # (none left)

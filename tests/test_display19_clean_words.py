"""`agentmake clean` says what it did, counted truly. `--leftovers`: the outputs it removed and of how many
tasks, the tasks it forgot with no output left to remove said apart (not "N leftover outputs of M tasks"
counting them), and those whose output another task makes now said as such (kept, not "no output left");
`--cache`: how many cached results it dropped (-n: would drop), whose restore a build would now pay for
with an agent call. Real CLI runs (shell agents: no agent is paid for)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

AGENTFILE = """\
agent copy:
    inputs = src/{n}.txt
    outputs = out/{n}.txt
    run = "cp {input} {output}"
"""


# a task of another name that makes out/2.txt, as copy:2 did
TWO = """
agent two:
    inputs = src/1.txt
    outputs = out/2.txt
    run = "cp {input} {output}"
"""


def agentmake(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentmake", "-s", *args], cwd=root, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def built(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    for n in (1, 2, 3):
        (tmp_path / "src" / f"{n}.txt").write_text(f"s{n}\n")
    (tmp_path / "Agentfile").write_text(AGENTFILE)
    run = agentmake(tmp_path)
    assert run.returncode == 0, run
    return tmp_path


def summary(run: subprocess.CompletedProcess[str]) -> str:
    return next((line for line in run.stdout.splitlines() if line.startswith("agentmake: ")), "")


def test_clean_leftovers_counts_the_tasks_whose_outputs_it_removed_the_others_apart(built: Path) -> None:
    for n in (2, 3):
        (built / "src" / f"{n}.txt").unlink()  # (copy:2 and copy:3 leave the graph)
    (built / "out" / "3.txt").unlink()  # (copy:3's output is gone already: nothing of it to remove)
    dry = agentmake(built, "clean", "--leftovers", "-n")
    assert summary(dry) == (
        "agentmake: would remove 1 leftover output of 1 task no longer in the graph;"
        " would forget 1 other task no longer in the graph, with no output left (dry run)"
    ), dry
    run = agentmake(built, "clean", "--leftovers")
    assert summary(run) == (
        "agentmake: removed 1 leftover output of 1 task no longer in the graph; forgot 1 other task no longer"
        " in the graph, with no output left"
    ), run
    assert not (built / "out" / "2.txt").exists() and (built / "out" / "1.txt").exists()
    assert summary(agentmake(built, "clean", "--leftovers")) == "agentmake: removed 0 leftover outputs"


def test_clean_leftovers_of_tasks_with_nothing_left_says_it_forgot_them(built: Path) -> None:
    for n in (2, 3):
        (built / "src" / f"{n}.txt").unlink()
        (built / "out" / f"{n}.txt").unlink()
    run = agentmake(built, "clean", "--leftovers")
    assert summary(run) == (
        "agentmake: removed 0 leftover outputs; forgot 2 tasks no longer in the graph, with no output left"
    ), run


def test_clean_cache_says_how_many_cached_results_it_drops_and_what_a_build_pays_for_again(
    built: Path,
) -> None:
    (built / "src" / "1.txt").write_text("s1, edited\n")
    assert agentmake(built).returncode == 0  # (copy:1's result for the old src/1.txt stays cached)
    dry = agentmake(built, "clean", "--cache", "-n")
    assert summary(dry) == (
        "agentmake: would remove 3 outputs and 1 directory left empty; would empty the cache, dropping 4"
        " cached results: a build would then call the agent again where it would have restored one of them"
        " (dry run)"
    ), dry
    run = agentmake(built, "clean", "--cache")
    assert summary(run) == (
        "agentmake: removed 3 outputs and 1 directory left empty; emptied the cache, dropping 4 cached"
        " results: a build now calls the agent again where it would have restored one of them"
    ), run
    again = agentmake(built, "clean", "--cache")
    assert summary(again) == (
        "agentmake: removed 0 outputs; emptied the cache (it held no result: no build pays for one again)"
    ), again
    build = agentmake(built)
    assert build.returncode == 0 and "3 ran, 0 cached" in build.stdout, (
        build
    )  # (as it said: run, not restored)


def test_clean_leftovers_says_a_forgotten_tasks_output_is_another_tasks_now_not_that_none_is_left(
    built: Path,
) -> None:
    # copy:2 and copy:3 leave the graph; a new task `two` makes out/2.txt now (kept: not a leftover), and
    # copy:3's output is deleted by hand (nothing of it left)
    (built / "src" / "2.txt").unlink()
    (built / "src" / "3.txt").unlink()
    (built / "out" / "3.txt").unlink()
    (built / "Agentfile").write_text(AGENTFILE + TWO)
    dry = agentmake(built, "clean", "--leftovers", "-n")
    assert summary(dry) == (
        "agentmake: would remove 0 leftover outputs; would forget 2 tasks no longer in the graph:"
        " 1 with no output left, 1 whose output is another task's now (dry run)"
    ), dry
    run = agentmake(built, "clean", "--leftovers")
    assert summary(run) == (
        "agentmake: removed 0 leftover outputs; forgot 2 tasks no longer in the graph:"
        " 1 with no output left, 1 whose output is another task's now"
    ), run
    assert (built / "out" / "2.txt").read_text() == "s2\n"  # (kept: two's output now)


def test_clean_leftovers_of_a_task_whose_output_a_current_task_makes_says_so(built: Path) -> None:
    (built / "src" / "2.txt").unlink()
    (built / "Agentfile").write_text(AGENTFILE + TWO)
    run = agentmake(built, "clean", "--leftovers")
    assert summary(run) == (
        "agentmake: removed 0 leftover outputs; forgot 1 task no longer in the graph, whose output is another"
        " task's now"
    ), run
    assert (built / "out" / "2.txt").exists()


def test_clean_cache_counts_results_with_the_same_outputs_made_apart_each_an_alias_once(
    tmp_path: Path,
) -> None:
    # an agent that writes the same bytes whatever its input: two results (two paid calls), whose outputs
    # are the same, each restored for its own input; and one of them filed under a second key, as an older
    # key format's entry is on upgrade (`Store.cache_alias`: the same result, counted once)
    (tmp_path / "in.txt").write_text("a\n")
    (tmp_path / "Agentfile").write_text(
        'agent hi:\n    inputs = in.txt\n    outputs = out.txt\n    run = "echo hi > {output}"\n'
    )
    assert agentmake(tmp_path).returncode == 0
    (tmp_path / "in.txt").write_text("b\n")
    assert agentmake(tmp_path).returncode == 0
    from agentmake.store import Store

    with Store(tmp_path, lock=None) as store:
        key = store.task_record("hi").key
        store.cache_alias(key, "0" * 32)
        assert len(store._conn.execute("SELECT key FROM cache").fetchall()) == 3
    dry = agentmake(tmp_path, "clean", "--cache", "-n")
    assert "would empty the cache, dropping 2 cached results:" in summary(dry), dry
    # (restored from the result first made: one of them)
    (tmp_path / "in.txt").write_text("a\n")
    (tmp_path / "out.txt").unlink()
    assert "0 ran, 1 cached" in agentmake(tmp_path).stdout


# each copy makes two outputs; `second` makes out/2.txt, out/3.txt and out/4.txt now, as copy:2, copy:3 and
# copy:4 did
PAIRS = """\
agent copy:
    inputs = src/{n}.txt
    outputs = out/{n}.txt out/{n}.b
    run = "for f in {outputs}; do cp {input} $f; done"
"""
SECOND = """
agent second:
    inputs = src/1.txt
    outputs = out/2.txt out/3.txt out/4.txt out/4.b
    run = "for f in {outputs}; do cp {input} $f; done"
"""


def test_clean_leftovers_says_of_a_forgotten_task_both_its_output_another_tasks_and_its_output_gone(
    tmp_path: Path,
) -> None:
    # copy:2 leaves the graph with out/2.txt another task's now and out/2.b deleted by hand: both said, by
    # output (not only "whose output is another task's now"); then with a task of each other kind: copy:3
    # whose outputs are both gone, copy:4 whose outputs are both another task's now
    (tmp_path / "src").mkdir()
    for n in (1, 2, 3, 4):
        (tmp_path / "src" / f"{n}.txt").write_text(f"s{n}\n")
    (tmp_path / "Agentfile").write_text(PAIRS)
    assert agentmake(tmp_path).returncode == 0
    (tmp_path / "src" / "2.txt").unlink()
    (tmp_path / "out" / "2.b").unlink()
    (tmp_path / "Agentfile").write_text(PAIRS + SECOND.replace(" out/3.txt out/4.txt out/4.b", ""))
    dry = agentmake(tmp_path, "clean", "--leftovers", "-n")
    assert summary(dry) == (
        "agentmake: would remove 0 leftover outputs; would forget 1 task no longer in the graph, with 1"
        " output another task's now and 1 gone (dry run)"
    ), dry
    for n in (3, 4):
        (tmp_path / "src" / f"{n}.txt").unlink()
    (tmp_path / "out" / "3.txt").unlink()
    (tmp_path / "out" / "3.b").unlink()
    (tmp_path / "Agentfile").write_text(PAIRS + SECOND.replace(" out/3.txt", ""))
    run = agentmake(tmp_path, "clean", "--leftovers")
    assert summary(run) == (
        "agentmake: removed 0 leftover outputs; forgot 3 tasks no longer in the graph: 1 with no output left,"
        " 1 whose outputs are other tasks' now, 1 with 1 output another task's now and 1 gone"
    ), run
    assert (tmp_path / "out" / "2.txt").read_text() == "s2\n"  # (kept: second's output now)
    assert (tmp_path / "out" / "4.b").read_text() == "s4\n"

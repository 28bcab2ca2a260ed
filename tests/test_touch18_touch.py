"""`agentmake -t` (`--touch`): a fresh checkout with the outputs committed but not `.agentmake/` is marked up
to date with the outputs in place, running no agent, so the next build pays for nothing (README: "Touching
outputs in place"). Real CLI runs with the fake agents; their call log proves no agent ran."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import FakeAgents, install_fake_agents
from e2e_helpers import E2E

# summarize:NAME reads docs/NAME.md; combine reads what summarize makes (a chain: B reads A's outputs)
AGENTFILE = '''\
agent summarize:
    inputs = docs/{name}.md
    outputs = build/{name}.md
    prompt = """
        FAKE: label=sum-{{ name }}
        Summarize: {{ read(input) }}
        """

agent combine:
    inputs = build/*.md
    outputs = out/all.md
    prompt = """
        FAKE: label=combine
        Combine: {% for p in inputs %}{{ read(p) }}{% endfor %}
        """
'''


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project built once (three agent calls), then 'cloned': the same files without `.agentmake/`. Built
    once per module (with fakes of its own) and copied by `built`: the tests need only the files."""
    with pytest.MonkeyPatch.context() as mp:
        fake = install_fake_agents(tmp_path_factory.mktemp("fake_agents"), mp)
        e2e = E2E(tmp_path_factory.mktemp("built") / "proj", fake)
        e2e.write("Agentfile", AGENTFILE)
        e2e.write("docs/a.md", "doc a\n")
        e2e.write("docs/b.md", "doc b\n")
        first = e2e.am()
    assert first.code == 0, first
    assert sorted(e2e.calls()) == ["combine", "sum-a", "sum-b"], first
    shutil.rmtree(e2e.root / ".agentmake")
    return e2e.root


@pytest.fixture
def built(built_once: Path, tmp_path: Path, fake_agents: FakeAgents) -> E2E:
    """A copy of `built_once` (every file's bytes and modification time), with this test's fake agents (no
    call logged yet)."""
    shutil.copytree(built_once, tmp_path / "proj", symlinks=True)
    return E2E(tmp_path / "proj", fake_agents)


def _snapshot(e2e: E2E) -> dict[str, tuple[bytes, int]]:
    return {
        rel: ((e2e.root / rel).read_bytes(), (e2e.root / rel).stat().st_mtime_ns)
        for rel in ("build/a.md", "build/b.md", "out/all.md")
    }


def test_a_fresh_clone_touched_builds_nothing_and_q_exits_0(built: E2E) -> None:
    before = _snapshot(built)
    assert built.am("-q").code == 1  # (never built: stale)
    touched = built.am("-t")
    assert touched.code == 0, touched
    assert "agentmake: 3 touched, 0 up to date in" in touched.out, touched
    for task in ("summarize:a", "summarize:b", "combine"):
        assert f"touched     {task}  (never built)" in touched.err, touched
    assert built.calls() == [], touched
    assert _snapshot(built) == before  # the outputs' bytes and mtimes are as they were
    assert not (built.root / ".agentmake" / "stamp").exists()  # (no build stamp: the next build decides)
    assert built.am("-q").code == 0
    again = built.am()
    assert again.code == 0, again
    assert again.summary.ran == 0 and again.summary.up_to_date == 3, again
    assert (built.root / ".agentmake" / "stamp").exists()  # (a build that found all up to date writes one)
    assert built.am().summary.ran == 0 and built.am("-q").code == 0  # (answered by it)
    assert built.calls() == []
    assert "up to date" in built.am("explain", "combine").out
    assert _snapshot(built) == before
    second = built.am("-t", "-v")  # touching again: all up to date, left alone
    assert "agentmake: 0 touched, 3 up to date in" in second.out, second


def test_a_changed_input_after_touch_reruns_only_what_it_feeds(built: E2E) -> None:
    assert built.am("--touch").code == 0
    built.write("docs/a.md", "doc a, edited\n")
    run = built.am()
    assert run.code == 0, run
    assert sorted(built.calls()) == ["combine", "sum-a"], run  # not sum-b: its record is the touch's


def test_a_missing_output_is_not_touched_nor_what_reads_it(built: E2E) -> None:
    (built.root / "build/b.md").unlink()
    run = built.am("-t")
    assert run.code == 1, run
    assert "not touched summarize:b  (output build/b.md is missing)" in run.err, run
    assert (
        "not touched combine  (dependency summarize:b is not touched: a build makes it first)" in run.err
    ), run
    assert "touched     summarize:a" in run.err, run
    assert "agentmake: 1 touched, 0 up to date, 2 not touched in" in run.out, run
    assert built.calls() == []
    build = built.am()  # the build makes what -t did not touch, and only that
    assert build.code == 0, build
    assert sorted(built.calls()) == ["combine", "sum-b"], build


def test_a_missing_output_downstream_leaves_the_upstream_touched(built: E2E) -> None:
    (built.root / "out/all.md").unlink()
    run = built.am("-t")
    assert run.code == 1, run
    assert "not touched combine  (output out/all.md is missing)" in run.err, run
    build = built.am()
    assert sorted(built.calls()) == ["combine"], build


def test_dry_run_says_what_it_would_touch_and_records_nothing(built: E2E) -> None:
    (built.root / "build/b.md").unlink()
    dry = built.am("-t", "-n")
    assert dry.code == 0, dry
    assert "would touch summarize:a: never built" in dry.out, dry
    assert "would not touch summarize:b: output build/b.md is missing" in dry.out, dry
    assert "agentmake: 1 to touch, 2 not touched, 0 up to date (dry run)" in dry.out, dry
    assert built.am("-q", "summarize:a").code == 1  # still never built
    assert not (built.root / ".agentmake" / "state.db").exists()


def test_force_touches_tasks_up_to_date_too(built: E2E) -> None:
    assert built.am("-t").code == 0
    before = _snapshot(built)
    run = built.am("-t", "-B")
    assert "agentmake: 3 touched, 0 up to date in" in run.out, run
    assert built.calls() == [] and _snapshot(built) == before
    assert built.am("-q").code == 0


def test_force_keeps_what_a_task_up_to_date_took_and_cost(built: E2E) -> None:
    """-t -B on a task a build ran and left up to date: nothing to record anew (its key and outputs are the
    record's), and rewriting the record lost what the call took and cost (status showed 0.0s, no cost)."""
    built.write("docs/c.md", "doc c\n")
    assert built.am("build/c.md").code == 0 and built.calls() == ["sum-c"]
    before = {row["task"]: row for row in json.loads(built.am("status", "--json").out)}["summarize:c"]
    assert before["last_cost"] and before["last_duration"], before
    assert built.am("-t", "-B", "build/c.md").code == 0
    after = {row["task"]: row for row in json.loads(built.am("status", "--json").out)}["summarize:c"]
    assert (after["last_cost"], after["last_duration"]) == (before["last_cost"], before["last_duration"])
    assert after["state"] == "up to date" and not after["restored"], after
    assert built.am("-q", "build/c.md").code == 0


def test_touched_outputs_are_cached_and_restored_without_a_call(built: E2E) -> None:
    assert built.am("-t").code == 0
    before = (built.root / "build/a.md").read_bytes()
    (built.root / "build/a.md").unlink()
    run = built.am()
    assert run.code == 0, run
    assert built.calls() == [], run
    assert (built.root / "build/a.md").read_bytes() == before


def test_touch_refuses_options_that_mean_nothing_with_it(built: E2E) -> None:
    run = built.am("-t", "-q")
    assert run.code == 2 and "-t runs nothing" in run.err, run
    run = built.am("status", "-t")
    assert run.code == 2 and "-t is an option of `agentmake build`" in run.err, run


def test_a_broken_agentfile_is_an_error_as_for_a_build(built: E2E) -> None:
    built.write("Agentfile", "agent x:\n    inputs = [\n")
    run = built.am("-t")
    assert run.code == 2, run
    assert "Agentfile:" in run.err, run
    assert built.calls() == []


def test_a_result_cached_under_the_key_is_kept_not_replaced(built: E2E) -> None:
    made = built.read("build/a.md")  # (the agent's answer for doc a)
    assert built.am("-t").code == 0
    built.write("docs/a.md", "doc a, v2\n")
    assert built.am().code == 0 and sorted(built.calls()) == ["combine", "sum-a"]
    built.write("docs/a.md", "doc a\n")  # back to what the touched result was made from
    built.write("build/a.md", "edited by hand\n")  # (an output no build made: kept, as a build keeps it)
    built.reset_calls()
    dry = built.am("-n")
    assert "would restore summarize:a" in dry.out, dry
    touched = built.am("-t")
    assert touched.code == 0, touched
    assert "touched     summarize:a" in touched.err, touched
    again = built.am()
    assert again.code == 0 and again.summary.ran == 0 and again.summary.cached == 0, again
    assert built.read("build/a.md") == "edited by hand\n"  # (no output written)
    (built.root / "build/a.md").unlink()
    restored = built.am()
    assert restored.code == 0, restored
    assert restored.with_state("cached") == {"summarize:a", "combine"}, restored  # (combine: what it read)
    assert built.read("build/a.md") == made  # the result cached under that key, paid for, not the edit
    assert built.calls() == []


def test_an_output_agentmake_made_for_other_inputs_is_not_touched_a_build_restores_it(built: E2E) -> None:
    """Inputs back to what an earlier build saw, the output in place the agent's answer for the later ones:
    it is stale (no hand edit), and the cache holds the answer for these inputs: -t must not record the
    stale output as built for them (it did: the next build then kept v2's answer for doc a)."""
    made = built.read("build/a.md")
    assert built.am("-t").code == 0
    built.write("docs/a.md", "doc a, v2\n")
    assert built.am().code == 0 and sorted(built.calls()) == ["combine", "sum-a"]
    built.write("docs/a.md", "doc a\n")
    built.reset_calls()
    touched = built.am("-t")
    assert touched.code == 1, touched
    assert "not touched summarize:a  (output build/a.md is agentmake's result for other inputs" in touched.err
    build = built.am()
    assert build.code == 0 and build.with_state("cached") >= {"summarize:a"}, build
    assert built.read("build/a.md") == made
    assert built.calls() == []


def test_another_agentmake_holding_the_project_is_an_error_and_nothing_is_recorded(built: E2E) -> None:
    from agentmake.store.lock import ProjectLock

    (built.root / ".agentmake").mkdir()
    lock = ProjectLock(built.root / ".agentmake" / "lock", built.root)
    lock.acquire(0)  # (flock: held by this test's process, another to the CLI)
    try:
        run = built.am("-t")
    finally:
        lock.release()
    assert run.code == 2, run
    assert "another agentmake" in run.err, run
    assert built.am("-q").code == 1  # still never built


def test_sigterm_stops_touch_as_ctrl_c_does_and_what_was_recorded_stays(
    tmp_path: Path, fake_agents: FakeAgents
) -> None:
    import signal

    e2e = E2E(tmp_path / "many", fake_agents)
    e2e.write(
        "Agentfile",
        "agent copy:\n    inputs = src/{n}.txt\n    outputs = out/{n}.txt\n"
        '    run = "cp {{input}} {{output}}"\n',
    )
    (e2e.root / "src").mkdir()
    (e2e.root / "out").mkdir()
    for n in range(1500):
        (e2e.root / "src" / f"{n}.txt").write_text(f"{n}\n")
        (e2e.root / "out" / f"{n}.txt").write_text(f"{n}\n")
    proc = e2e.spawn("-t")
    assert proc.stderr is not None
    first = proc.stderr.readline()  # (one task touched: it is under way)
    assert "touched" in first, first
    os.kill(proc.pid, signal.SIGSTOP)  # (stopped while the signal is sent: it cannot finish meanwhile)
    os.kill(proc.pid, signal.SIGTERM)
    os.kill(proc.pid, signal.SIGCONT)
    run = e2e.finish(proc, ("-t",))
    assert run.code == 130, run
    assert "agentmake: interrupted" in run.err, run
    status = e2e.am("status", "--json")
    assert status.code == 0, status
    rows = json.loads(status.out)
    states = {row["state"] for row in rows}
    assert states == {"up to date", "stale"}, states  # some recorded, the rest not yet
    again = e2e.am("-t")  # the rest is touched by the next -t
    assert again.code == 0, again
    assert e2e.am("-q").code == 0


def test_a_report_is_touched_like_any_task_or_else_built_without_a_call(built: E2E) -> None:
    built.write(
        "Agentfile", AGENTFILE + "\nreport digest:\n    inputs = out/all.md\n    output = DIGEST.md\n"
    )
    missing = built.am("-t")  # (the report's output was never made: not touched, exit 1)
    assert missing.code == 1, missing
    assert "not touched digest  (output DIGEST.md is missing)" in missing.err, missing
    assert "agentmake: 3 touched, 0 up to date, 1 not touched in" in missing.out, missing
    made = built.am()  # a build writes it, calling no agent
    assert made.code == 0 and made.summary.ran == 1, made
    assert built.calls() == [] and built.exists("DIGEST.md")
    shutil.rmtree(built.root / ".agentmake")  # (a clone with the report committed too)
    touched = built.am("-t")
    assert touched.code == 0, touched
    assert "touched     digest" in touched.err, touched
    assert built.am("-q").code == 0

"""The fast paths of running a task keep the behaviour of the slow ones: simple shell commands executed
directly (like make), the `sh -c` fallback, the inherited environment, logs, the pidfd wait and its polling
fallback, and the incremental, cost-throttled status.md."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from conftest import RunnerProject
from test_runners_capture import counting_unlinks

from agentmake.display import StatusFile
from agentmake.model import RunnerSpec
from agentmake.runners import AttemptResult, process
from agentmake.runners.invocation import direct_argv, shell_invocation
from agentmake.runners.presets import PRESETS
from agentmake.scheduler.events import TaskEvent

T0 = 1_700_000_000.0


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("cp src/a.txt out/.a.agentmake-tmp-1.txt", ["cp", "src/a.txt", "out/.a.agentmake-tmp-1.txt"]),
        ("  gzip -9 -k a.txt ", ["gzip", "-9", "-k", "a.txt"]),
        ("tool --opt=1 a,b x:y", ["tool", "--opt=1", "a,b", "x:y"]),
        ("cp 'a b' c", None),  # quoting
        ("cat a > b", None),  # redirection
        ("a && b", None),
        ("a; b", None),
        ("echo $HOME", None),  # expansion
        ("ls *.txt", None),  # globbing
        ("ls ~/x", None),
        ("cmd # comment", None),
        ("a\nb", None),
        ("echo hi", None),  # a builtin that differs from /bin/echo
        ("cd out", None),
        ("exit 3", None),
        ("FOO=1 env", None),  # an assignment
        ("", None),
    ],
)
def test_only_commands_without_shell_syntax_run_directly(command: str, argv: list[str] | None) -> None:
    assert direct_argv(command) == argv


def test_custom_shell_runner_is_never_bypassed(tmp_path: Path) -> None:
    bash = RunnerSpec(name="bash", command=("bash", "-c"), model_flag=None, format="text")
    inv = shell_invocation(bash, "cp a b", root=tmp_path, environ=os.environ)
    assert inv.argv == ["bash", "-c", "cp a b"] and inv.fallback is None
    default = shell_invocation(PRESETS["shell"], "cp a b", root=tmp_path, environ=os.environ)
    assert default.argv == ["cp", "a", "b"] and default.fallback == ["sh", "-c", "cp a b"]
    assert default.env is None  # inherited, not copied per task
    assert shell_invocation(PRESETS["shell"], "x", root=tmp_path, environ={"A": "1"}).env == {"A": "1"}


def test_direct_command_output_and_logs(project: RunnerProject) -> None:
    (project.root / "a.txt").write_text("hello\n")
    task = project.agent("c", outputs=("o.txt",), inputs=("a.txt",), run="cp {input} {output}")
    res = project.run(task, None)
    assert res.outcome == "ok", res.message
    assert [p.read_text() for p in res.staged.values()] == ["hello\n"]
    logs = project.root / ".agentmake" / "logs"
    assert logs.is_dir() and not (logs / "c.1.out").exists() and not (logs / "c.1.err").exists()


def test_direct_command_failure_is_logged_and_classified(project: RunnerProject) -> None:
    task = project.agent("c", outputs=("o.txt",), inputs=("missing.txt",), run="cp {input} {output}")
    res = project.run(task, None)
    assert (res.outcome, res.exit_code) != ("ok", 0)
    assert res.staged == {}
    assert "missing.txt" in (project.root / ".agentmake" / "logs" / "c.1.err").read_text()


def test_direct_command_not_found_falls_back_to_the_shell(project: RunnerProject) -> None:
    res = project.run(project.agent("c", outputs=("o.txt",), run="no-such-tool-xyz {output}"), None)
    assert (res.outcome, res.error_type) == ("fatal", "not-found")
    assert "no-such-tool-xyz" in (project.root / ".agentmake" / "logs" / "c.1.err").read_text()


def test_script_without_shebang_still_runs_through_the_shell(project: RunnerProject) -> None:
    script = project.root / "gen"
    script.write_text('printf made > "$1"\n')  # no #!: exec fails (ENOEXEC), sh runs it
    script.chmod(0o755)
    res = project.run(project.agent("c", outputs=("o.txt",), run="./gen {output}"), None)
    assert res.outcome == "ok", res.message
    assert [p.read_text() for p in res.staged.values()] == ["made"]


def test_shell_tasks_inherit_the_current_environment(
    project: RunnerProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTMAKE_SPEED_PROBE", "v1")
    res = project.run(project.agent("e", outputs=("o.txt",), run="printenv AGENTMAKE_SPEED_PROBE"), None)
    assert (project.root / ".agentmake" / "logs" / "e.1.out").read_text() == "v1\n"
    assert res.error_type == "no-output"  # it printed but wrote no output file


@pytest.mark.parametrize("pidfd", [True, False])
def test_timeout_and_cancel_with_and_without_pidfd(
    project: RunnerProject, monkeypatch: pytest.MonkeyPatch, pidfd: bool
) -> None:
    monkeypatch.setattr(process, "_HAS_PIDFD", pidfd and process._HAS_PIDFD)
    res = project.run(project.agent("t", outputs=("o.txt",), run="sleep 30", timeout=0.5), None, grace=1.0)
    assert (res.outcome, res.error_type) == ("retry", "timeout")
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    res = project.run(project.agent("c", outputs=("o.txt",), run="sleep 30"), None, cancel=cancel, grace=1.0)
    assert res.outcome == "cancelled"
    assert time.monotonic() - started < 20  # generous: it was ended, not waited for
    quick = project.run(project.agent("q", outputs=("o.txt",), run="touch {output}"), None)
    assert quick.outcome == "ok", quick.message


def test_pids_are_reported_for_direct_commands(project: RunnerProject) -> None:
    seen: list[tuple[str, int, int]] = []
    res = project.run(
        project.agent("p", outputs=("o.txt",), run="touch {output}"),
        None,
        on_process=lambda t, pid, pgid: seen.append((t, pid, pgid)),
    )
    assert res.outcome == "ok"
    assert len(seen) == 1 and seen[0][0] == "p" and seen[0][1] == seen[0][2] > 0


def test_status_rows_follow_every_change(tmp_path: Path) -> None:
    path = tmp_path / "status.md"
    sink = StatusFile(path, interval=0.0, cost_factor=0.0)  # (no throttle: every event is written)
    for i in range(50):
        sink(TaskEvent(f"copy:{i}", "running", T0, 1, 1))
    sink(TaskEvent("copy:7", "done", T0 + 2, 1, 1))
    sink.flush()
    text = path.read_text()
    assert "| copy:7 | done | 2.0s | 1 |  |  |" in text
    assert "| copy:8 | running |  | 1 |  |  |" in text
    sink(TaskEvent("copy:8", "failed", T0 + 3, 1, 1, message="boom", error_type="exit"))
    text = path.read_text()
    assert "| copy:8 | failed | 3.0s | 1 |  |  |" in text and "| copy:7 | done |" in text
    assert "boom" in text.split("## Error log")[1]


def test_status_writes_are_spaced_by_their_cost(tmp_path: Path) -> None:
    now = [0.0]
    sink = StatusFile(tmp_path / "status.md", interval=0.2, clock=lambda: now[0], cost_factor=25.0)
    sink(TaskEvent("a", "running", T0, 1, 1))  # first event: written
    sink._last_cost = 0.02  # pretend the last write took 20 ms: the next is due after 0.5 s, not 0.2 s
    now[0] = 0.3
    sink(TaskEvent("b", "running", T0, 1, 1))
    assert "| b |" not in (tmp_path / "status.md").read_text()
    sink(TaskEvent("a", "failed", T0 + 1, 1, 1, message="x"))  # a failure too keeps to the cost
    assert "| a | failed |" not in (tmp_path / "status.md").read_text()
    now[0] = 0.5
    sink.tick()  # due by cost (0.5 s): the failure waiting is written
    assert "| a | failed |" in (tmp_path / "status.md").read_text()
    sink._last_cost = 0.02
    now[0] = 0.9
    sink(TaskEvent("c", "running", T0, 1, 1))
    assert "| c |" not in (tmp_path / "status.md").read_text()  # 0.4 s after: not due by cost
    now[0] = 1.0
    sink(TaskEvent("c", "running", T0, 1, 1))
    assert "| c |" in (tmp_path / "status.md").read_text()


def test_the_shell_of_the_sh_c_form_is_looked_up_once_not_searched_by_every_exec(
    project: RunnerProject,
) -> None:
    """A command with shell syntax runs as `sh -c`: its `sh` is found on PATH once per executor and given
    as the program to start, as a directly executed command's program is (else the child tries every PATH
    entry before it, each a failed exec while agentmake waits for the child to start)."""
    executor = project.executor()
    task = project.agent("c", outputs=("o.txt",), run="echo hi > {output}")
    shell = executor.begin_shell(task, 1)
    assert not isinstance(shell, AttemptResult)
    assert shell.inv.argv[:2] == ["sh", "-c"] and shell.inv.fallback is None
    assert shell.inv.executable == shutil.which("sh")
    assert project.run(task, None).outcome == "ok"


def test_a_ticked_status_file_writes_routine_changes_only_when_ticked(tmp_path: Path) -> None:
    """A build's status file (`ticked`): a task starting or ending is written by the next `tick()` (the
    scheduler's, once it has started what a burst of results let start), not by its event in the middle of
    the burst; a failure is still written by its own event when due, and `close` writes everything."""
    now = [0.0]
    path = tmp_path / "status.md"
    sink = StatusFile(path, interval=0.2, clock=lambda: now[0], cost_factor=0.0, ticked=True)
    sink(TaskEvent("a", "running", T0, 1, 1))  # due (nothing written yet), but routine: waits for a tick
    assert not path.exists()
    sink.tick()
    assert "| a | running |" in path.read_text()
    now[0] = 0.3
    sink(TaskEvent("a", "done", T0 + 1, 1, 1))
    sink(TaskEvent("b", "running", T0 + 1, 1, 1))
    assert "| b |" not in path.read_text() and "| a | running |" in path.read_text()
    sink(TaskEvent("c", "failed", T0 + 1, 1, 1, message="boom"))  # a failure: written by its event
    text = path.read_text()
    assert "| c | failed |" in text and "| b | running |" in text and "| a | done |" in text
    now[0] = 0.6
    sink(TaskEvent("b", "done", T0 + 2, 1, 1))
    assert "| b | running |" in path.read_text()
    sink.tick()
    assert "| b | done |" in path.read_text()


@pytest.mark.parametrize("fresh", [True, False])
def test_an_inline_attempt_removes_older_logs_of_its_names_only_where_there_can_be_some(
    project: RunnerProject, monkeypatch: pytest.MonkeyPatch, fresh: bool
) -> None:
    """Started in parts (`begin_shell` -> `spawn_shell` -> `end_shell`, as the scheduler runs shell tasks
    inline), an attempt that prints nothing leaves no log. In a log directory made by this executor no
    older log can have its names: nothing is unlinked for them. In one that was there, the older logs of
    its names are removed (once, before it starts) and do not pass for this attempt's."""
    if not fresh:
        (project.root / ".agentmake" / "logs").mkdir(parents=True)
    executor = project.executor()
    task = project.agent("c", outputs=("o.txt",), run="cp /dev/null {output}")
    shell = executor.begin_shell(task, 1)
    assert not isinstance(shell, AttemptResult)
    names = [str(shell.stem) + suffix for suffix in (".out", ".err")]
    if not fresh:
        for name in names:
            Path(name).write_text("stale\n")
    real = os.unlink
    calls = counting_unlinks(monkeypatch)
    child = executor.spawn_shell(shell)
    assert isinstance(child, process.Child)
    child.proc.wait()
    child.pipes.drain()
    child.pipes.close()
    for log in child.logs:
        log.close()
    monkeypatch.setattr(os, "unlink", real)
    result = executor.end_shell(shell, process.ProcResult(child.proc.returncode))
    assert result.outcome == "ok"
    assert [c for c in calls if c in names] == ([] if fresh else names)
    assert not any(Path(name).exists() for name in names)

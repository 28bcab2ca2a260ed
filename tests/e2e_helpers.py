"""End-to-end helpers: a project in tmp_path driven through the real `agentmake` CLI in a subprocess.

`E2E.am(...)` runs `python -m agentmake ...` with NO_COLOR=1 and CI=1 (plain, line-per-change output on
stderr, the summary line on stdout) and returns a `Run` that parses the summary line
(`agentmake: N ran, N cached, N up to date, N failed in Xs`) and the final state of every task. Tasks up to
date have a line each only under `-v` (without it, one `N up to date` line counts them): a test that asks
which tasks were up to date runs agentmake with `-v`, and `Run.states` refuses to answer it otherwise.
Agent calls are counted from the fake agents' start/stop log (tests/fake_agents, `fake_agents` fixture).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from conftest import FakeAgents

SUMMARY = re.compile(
    r"^agentmake: (\d+) ran, (\d+) cached, (\d+) up to date, (\d+) failed"
    r"(?:, (\d+) interrupted)?(?:, (\d+) not run)?(?:, (\d+) partial)? in ([\d.]+)s"
    r"(?:, \$([\d.]+)(?: \+ unknown)?(?: \((?:\$[\d.]+ of it )?paid by an interrupted run\))?)?"
    r"(?:, [\d,]+ tokens in / [\d,]+ out(?: \+ unknown)?)?$",
    re.M,
)
# a task's state in words (`up to date`, `not run`), its task id, what follows in parentheses
EVENT = re.compile(r"^\[\s*[\d.]+s\] (up to date|not run|\S+)\s+(\S+)(?:\s+\((.*)\))?$", re.M)


@dataclass(frozen=True)
class Summary:
    ran: int
    cached: int
    up_to_date: int
    failed: int
    seconds: float
    cost: float | None = None
    interrupted: int = 0
    not_run: int = 0
    partial: int = 0  # partial reports (-k), not counted in `ran`


@dataclass
class Run:
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    @property
    def summary(self) -> Summary:
        found = SUMMARY.findall(self.out)
        assert found, f"no summary line in agentmake {' '.join(self.args)}:\n{self}"
        ran, cached, utd, failed, interrupted, not_run, partial, secs, cost = found[-1]
        return Summary(
            int(ran), int(cached), int(utd), int(failed), float(secs), float(cost) if cost else None,
            int(interrupted or 0), int(not_run or 0), int(partial or 0),
        )  # fmt: skip

    @property
    def verbose(self) -> bool:
        return "-v" in self.args or "--verbose" in self.args

    @property
    def states(self) -> dict[str, str]:
        """Each task's last state from the plain display's `[  1.2s] state  task` lines, by its event name
        (the line's `up to date` is `up-to-date`, `not run` is `not-run`). Without `-v` a task up to date
        has no line (unless it has something to tell): it is missing here, so a test asking for it fails."""
        return {task: state.replace(" ", "-") for state, task, _ in EVENT.findall(self.err)}

    def with_state(self, state: str) -> set[str]:
        """The tasks whose last state is `state`; "up-to-date" only of a run with `-v` (else each such task
        has no line, and the answer would pass a test that asks which are *not* up to date)."""
        assert state != "up-to-date" or self.verbose, (
            f"ask which tasks are up to date of a run with -v:\n{self}"
        )
        return {task for task, s in self.states.items() if s == state}

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


class E2E:
    """A project directory plus the fake agents; every path argument is relative to the project root."""

    def __init__(self, root: Path, fake: FakeAgents) -> None:
        self.root = root
        self.fake = fake
        root.mkdir(parents=True, exist_ok=True)

    # files
    def write(self, rel: str, text: str, *, dedent: bool = True) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if dedent else text, encoding="utf-8")
        return path

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    def exists(self, rel: str) -> bool:
        return (self.root / rel).exists()

    def touch(self, rel: str) -> None:
        """A newer mtime, same bytes."""
        path = self.root / rel
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))

    def files(self, pattern: str = "**/*") -> list[str]:
        return sorted(str(p.relative_to(self.root)) for p in self.root.glob(pattern) if p.is_file())

    # the CLI
    def env(self) -> dict[str, str]:
        env = self.fake.env()
        env.update(NO_COLOR="1", CI="1", PYTHONDONTWRITEBYTECODE="1")
        env.pop("FORCE_COLOR", None)
        return env

    def argv(self, args: tuple[str, ...]) -> list[str]:
        return [sys.executable, "-m", "agentmake", *args]

    def am(self, *args: str, timeout: float = 60) -> Run:
        proc = subprocess.run(
            self.argv(args), cwd=self.root, env=self.env(), capture_output=True, text=True, timeout=timeout
        )
        return Run(args, proc.returncode, proc.stdout, proc.stderr)

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        """Start agentmake in the background (stdout/stderr captured; `finish` collects them)."""
        return subprocess.Popen(
            self.argv(args), cwd=self.root, env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip

    @staticmethod
    def finish(proc: subprocess.Popen[str], args: tuple[str, ...] = (), timeout: float = 30) -> Run:
        out, err = proc.communicate(timeout=timeout)
        return Run(args, proc.returncode, out, err)

    # the fake agents' log
    def calls(self, label: str | None = None) -> list[str]:
        """Labels of the agent invocations started so far (optionally only `label`'s)."""
        return [lb for ev, _, _, _, lb in self.fake.log_lines() if ev == "start" and label in (None, lb)]

    def reset_calls(self) -> None:
        self.fake.log.write_text("")

    def running_agents(self) -> dict[str, int]:
        """label -> pid of fake agents that logged a start but no end."""
        live: dict[int, str] = {}
        for ev, _, pid, _, label in self.fake.log_lines():
            if ev == "start":
                live[pid] = label
            else:
                live.pop(pid, None)
        return {label: pid for pid, label in live.items()}


def as_a_job() -> dict[str, object]:
    """`Popen` keywords that start a process in a process group of its own in this session, as a shell with
    job control starts a job: the kernel stops it at a SIGTSTP (a new session's group would be orphaned, and
    the kernel throws its SIGTSTP away)."""
    return {"process_group": 0} if sys.version_info >= (3, 11) else {"preexec_fn": os.setpgrp}


def start_stand_in(root: Path, program: str, *args: str) -> subprocess.Popen[bytes]:
    """`program` (a small Python program standing in for agentmake, run with this test's `sys.path`) written
    to `root` and started there with `args`, as a shell's job (`as_a_job`)."""
    (root / "prog.py").write_text(program)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    return subprocess.Popen([sys.executable, "prog.py", *args], cwd=root, env=env, **as_a_job())  # type: ignore[call-overload,no-any-return]


def end_stand_in(root: Path, proc: subprocess.Popen[bytes], agent: int) -> None:
    """Whatever a test of a `start_stand_in` program left: the program told to end (`done`) and continued
    while stopped (a few times: it may stop again), else killed; `agent`'s group (0: none) killed."""
    (root / "done").touch()
    for _ in range(3):
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGCONT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=2)
    if agent:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(agent, signal.SIGKILL)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def wait_for(predicate: Callable[[], object], timeout: float = 60, what: str = "condition") -> None:
    """Poll `predicate` until it holds. The default timeout is a safety margin, not an expectation: a build
    that takes a second on a quiet machine took 17 s on an overloaded 2-core one; waiting longer costs
    nothing when the event comes (the timeout is only reached by a test that fails anyway)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def alive(pid: int) -> bool:
    """True if `pid` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def process_state(pid: int) -> str:
    """The state letter of process `pid` in /proc ("T": stopped, "Z": a zombie), "" if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat[stat.rindex(")") + 2]


def group_members(pgid: int) -> dict[int, tuple[str, int]]:
    """The processes of process group `pgid`: pid -> (state letter, parent pid), from /proc."""
    members: dict[int, tuple[str, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            members[int(entry.name)] = (fields[0], int(fields[1]))
    return members


def group_stopped(pgid: int) -> bool:
    """True if process group `pgid` has a stopped member and no member that can run: each is stopped ("T"), a
    zombie, or a vfork parent ("D") whose child in the group is stopped. (A shell starting a command vforks:
    a SIGSTOP to the group then stops the child before its exec, and the parent, waiting for that exec in the
    kernel, cannot stop, nor run, until the child is continued.)"""
    members = group_members(pgid)
    held = {parent for state, parent in members.values() if state == "T"}
    return bool(held) and all(
        state in ("T", "Z") or (state == "D" and pid in held) for pid, (state, _) in members.items()
    )


def group_alive(pgid: int) -> bool:
    """True if a live (non-zombie) process is in process group `pgid` (an init that does not reap, as in some
    containers, leaves zombies behind: they do not count)."""
    return any(state != "Z" for state, _ in group_members(pgid).values())


def kill_quietly(pid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def fanout_agentfile(extra: str = "", sleep: float = 0.0) -> str:
    """`translate` docs/{name}.md -> build/{name}.md (fake claude, label = name), and a built-in report."""
    directive = f"FAKE: label={{{{ name }}}} sleep={sleep}" if sleep else "FAKE: label={{ name }}"
    return (
        textwrap.dedent(
            f'''\
            lang = "French"

            agent translate:
                inputs = docs/{{name}}.md
                outputs = build/{{name}}.md
                prompt = """
                    {directive}
                    Translate into {{{{ lang }}}}:
                    {{{{ read(input) }}}}
                    """

            report summary:
                inputs = build/*.md
                output = SUMMARY.md
            '''
        )
        + extra
    )


def one_agent(runner: str = "") -> str:
    """An Agentfile of one LLM agent (the fake agent's answer holds its input), on `runner` if given."""
    on = f"\n    runner = {runner}" if runner else ""
    return f"""agent one:{on}
    inputs = src.md
    outputs = out/a.md
    prompt = \"\"\"
        FAKE: label=one
        {{{{ read(input) }}}}
        \"\"\"
"""

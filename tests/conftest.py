"""Shared fixtures: the fake agent CLIs (tests/fake_agents) on PATH, and builders of runner test projects; a
private cache home for the whole session (never the user's ~/.cache)."""

from __future__ import annotations

import compileall
import os
import shlex
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import agentmake
from agentmake.graph import Task
from agentmake.model import Agentfile, AgentSpec, Check, Prompt, ReportSpec, RunnerSpec, Settings
from agentmake.plan import Decision
from agentmake.runners import PRESETS, AttemptResult, Executor

FAKE_AGENTS_DIR = Path(__file__).parent / "fake_agents"
FAKE_CLIS = ("claude", "codex", "gemini", "llm", "ollama", "aider")


# the session's private cache home, made by the first pytest process (the xdist controller) and handed to
# its workers through the environment they inherit
CACHE_HOME_ENV = "AGENTMAKE_TESTS_CACHE_HOME"


def pytest_configure(config: pytest.Config) -> None:
    """Byte-compile the agentmake under test, as `pip install` does (see benchmarks/peers.py): the CLI runs
    of the tests set PYTHONDONTWRITEBYTECODE (e2e_helpers), as some shells and CI images do, so a checkout
    without bytecode compiled every module again at each of the suite's thousands of CLI starts (~0.17 s of
    CPU each: a third of tests/test_stamp.py's CPU time). And give the session its cache home."""
    compileall.compile_dir(Path(agentmake.__file__).parent, quiet=1, force=False)
    _private_cache_home(config)


def _private_cache_home(config: pytest.Config) -> None:
    """Set $XDG_CACHE_HOME, for this process and every one it starts, to a directory of this session's alone
    (mode 0700, removed at its end): the tests' thousands of agentmake starts never write the user's
    ~/.cache/agentmake (code caches, parsed Agentfiles, templates known good) nor read what is there. A test
    that sets its own (`monkeypatch.setenv`) uses that. One session's is shared by its xdist workers."""
    home = os.environ.get(CACHE_HOME_ENV, "")
    if not os.path.isdir(home):
        home = tempfile.mkdtemp(prefix="agentmake-tests-cache-")  # (0700)
        os.environ[CACHE_HOME_ENV] = home
        config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))
    os.environ["XDG_CACHE_HOME"] = home


@dataclass
class FakeAgents:
    """Wrappers named like the real CLIs in `bin` (first on PATH while the fixture is active). They run
    fake_agent.py with this interpreter and embed FAKE_AGENT_STATE/FAKE_AGENT_LOG, so they work even under the
    executor's minimal environment."""

    bin: Path
    state: Path
    log: Path
    home: Path

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        return env

    def log_lines(self) -> list[tuple[str, float, int, str, str]]:
        """(event, time, pid, cli, label) for every start/end line the fakes logged."""
        if not self.log.exists():
            return []
        rows = []
        for line in self.log.read_text().splitlines():
            event, t, pid, cli, label = line.split(" ", 4)
            rows.append((event, float(t), int(pid), cli, label))
        return rows

    def max_concurrency(self) -> int:
        """The most fake agents that were running at the same moment."""
        running = peak = 0
        for event, *_ in sorted(self.log_lines(), key=lambda r: (r[1], r[0] == "start")):
            running += 1 if event == "start" else -1
            peak = max(peak, running)
        return peak


@pytest.fixture
def fake_agents(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> FakeAgents:
    return install_fake_agents(tmp_path_factory.mktemp("fake_agents"), monkeypatch)


def install_fake_agents(base: Path, monkeypatch: pytest.MonkeyPatch) -> FakeAgents:
    """The fakes in `base`, first on PATH (through `monkeypatch`, which undoes it): the `fake_agents` fixture,
    and a module's shared set-up (`pytest.MonkeyPatch.context()`)."""
    fa = FakeAgents(bin=base / "bin", state=base / "state", log=base / "agents.log", home=base / "home")
    for d in (fa.bin, fa.state, fa.home):
        d.mkdir()
    script = FAKE_AGENTS_DIR / "fake_agent.py"
    for cli in FAKE_CLIS:
        wrapper = fa.bin / cli
        wrapper.write_text(
            "#!/bin/sh\n"
            f': "${{FAKE_AGENT_STATE:={shlex.quote(str(fa.state))}}}"\n'
            f': "${{FAKE_AGENT_LOG:={shlex.quote(str(fa.log))}}}"\n'
            "export FAKE_AGENT_STATE FAKE_AGENT_LOG\n"
            f'FAKE_AGENT_AS={cli} exec {shlex.quote(sys.executable)} -I {shlex.quote(str(script))} "$@"\n'
        )
        wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fa.bin}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("HOME", str(fa.home))  # never read or write the real ~/.claude, ~/.codex...
    for name in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_CLI_HOME", "FAKE_AGENT_STATE", "FAKE_AGENT_LOG"):
        monkeypatch.delenv(name, raising=False)
    # the fakes refuse to answer without credentials, as the real CLIs do: these reach them only if
    # agentmake passes each CLI's key through its minimal environment
    for name, value in FAKE_KEYS.items():
        monkeypatch.setenv(name, value)
    return fa


FAKE_KEYS = {
    "ANTHROPIC_API_KEY": "fake-anthropic-key",
    "OPENAI_API_KEY": "fake-openai-key",
    "CODEX_API_KEY": "fake-codex-key",  # (`codex exec` reads this one, not OPENAI_API_KEY)
    "GEMINI_API_KEY": "fake-gemini-key",
}


@pytest.fixture
def fake_agents_path(fake_agents: FakeAgents) -> Path:
    """The directory holding the fake `claude`, `codex`, ... (already first on PATH)."""
    return fake_agents.bin


@dataclass
class RunnerProject:
    """A project directory plus builders for Agentfile/Task/Decision objects, for executor tests."""

    root: Path
    runners: dict[str, RunnerSpec] = field(default_factory=lambda: dict(PRESETS))
    settings: Settings = field(default_factory=Settings)

    def agentfile(self) -> Agentfile:
        return Agentfile(
            path=self.root / "Agentfile", root=self.root, settings=self.settings, variables={},
            runners=dict(self.runners), agents={}, reports={},
        )  # fmt: skip

    def agent(
        self, name: str, outputs: tuple[str, ...] = ("out.md",), *, inputs: tuple[str, ...] = (),
        runner: str = "claude", model: str | None = None, run: str | None = None, check: Check | None = None,
        timeout: float | None = None, task_id: str | None = None,
        wildcards: tuple[tuple[str, str], ...] = (),
    ) -> Task:  # fmt: skip
        spec = AgentSpec(
            name=name, inputs=inputs, outputs=outputs, prompt=None if run else Prompt(text="(inline)"),
            run=run, runner="shell" if run else runner, model=model, check=check, timeout=timeout,
        )  # fmt: skip
        return Task(task_id or name, name, "agent", inputs, outputs, spec, wildcards)

    def report(self, name: str, output: str, *, merge: bool = False, runner: str | None = None) -> Task:
        spec = ReportSpec(
            name=name, inputs=(), output=output, merge=Prompt("m") if merge else None, runner=runner
        )
        return Task(name, name, "report", (), (output,), spec)

    def executor(self, **kw: object) -> Executor:
        return Executor(self.agentfile(), log_dir=self.root / ".agentmake" / "logs", **kw)  # type: ignore[arg-type]

    def run(
        self, task: Task, prompt: str | None = "hello", *, attempt: int = 1,
        cancel: threading.Event | None = None, **kw: object,
    ) -> AttemptResult:  # fmt: skip
        decision = Decision(task.id, "run", prompt=prompt)
        return self.executor(**kw).execute(task, decision, attempt, cancel or threading.Event())


@pytest.fixture
def project(tmp_path: Path, fake_agents: FakeAgents) -> RunnerProject:
    root = tmp_path / "proj"
    root.mkdir()
    return RunnerProject(root)

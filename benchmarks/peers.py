"""The build tools measured (agentmake and its peers): how to run, clean and identify each one.

A tool whose executable is missing is skipped and reported as "n/a". All tools run with stdout and stderr
captured (not shown), so terminal output costs the same nothing for everyone.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


class BenchError(Exception):
    """A tool failed or timed out; the message is what the table shows."""


@dataclass(frozen=True)
class Tool:
    name: str
    build_file: str
    executable: str
    argv: Callable[[str, int], list[str]]  # (executable, jobs) -> argv
    state: tuple[str, ...]  # files and directories holding the tool's memory of past builds
    version_argv: tuple[str, ...] = ("--version",)

    def path(self) -> str | None:
        local = VENV_BIN / self.executable
        return str(local) if local.exists() else shutil.which(self.executable)

    def version(self) -> str:
        exe = self.path()
        if exe is None:
            return "not installed"
        try:
            out = subprocess.run([exe, *self.version_argv], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"unknown ({exc})"
        text = (out.stdout or out.stderr).strip().splitlines()
        return text[0] if text else "unknown"

    def clean(self, directory: Path) -> None:
        """Forget every output and every trace: the next run is a full build."""
        for rel in ("out", *self.state):
            for path in directory.glob(rel):
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()
        (directory / "out").mkdir(exist_ok=True)

    def run(self, directory: Path, jobs: int, timeout: float) -> float:
        """Run one build in `directory`; its wall time in seconds."""
        exe = self.path()
        if exe is None:
            raise BenchError("n/a")
        env = dict(os.environ, NO_COLOR="1", PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                self.argv(exe, jobs),
                cwd=directory,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"timeout >{timeout:.0f}s") from exc
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
            raise BenchError(f"exit {proc.returncode}: {' | '.join(tail)[:200]}")
        return elapsed


TOOLS = [
    Tool("agentmake", "Agentfile", "agentmake", lambda exe, j: [exe, "build", "-j", str(j)], (".agentmake",)),
    Tool("make", "Makefile", "make", lambda exe, j: [exe, "-j", str(j)], ()),
    Tool("ninja", "build.ninja", "ninja", lambda exe, j: [exe, "-j", str(j)], (".ninja_log", ".ninja_deps")),
    Tool(
        "snakemake",
        "Snakefile",
        "snakemake",
        lambda exe, j: [exe, "--cores", str(j), "--quiet", "all"],
        (".snakemake",),
    ),
    Tool("doit", "dodo.py", "doit", lambda exe, j: [exe, "-n", str(j)], (".doit.db*",), ("--version",)),
]
PEERS = [t.name for t in TOOLS if t.name != "agentmake"]


def compile_agentmake() -> str:
    """Byte-compile the agentmake package that will be measured, as `pip install` does: an editable install
    under PYTHONDONTWRITEBYTECODE (set in some CI images) would otherwise compile every module at every
    start (~30 ms a run). Returns a note for the results."""
    import compileall

    import agentmake

    package = Path(agentmake.__file__).parent
    ok = compileall.compile_dir(package, quiet=1, force=False)
    return f"agentmake bytecode compiled ({package})" if ok else "agentmake bytecode: compileall failed"


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }

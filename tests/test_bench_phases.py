"""`benchmarks/phases.py` still wraps the scheduler's real steps (a renamed method would break it silently
otherwise) and accounts a build's tasks."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PHASES = Path(__file__).resolve().parent.parent / "benchmarks" / "phases.py"
SLACK = 1.02  # a time measured on one clock may exceed what bounds it on another by this factor


def test_phases_accounts_every_task_of_a_shell_build(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    for n in range(5):
        (tmp_path / "src" / f"{n}.txt").write_text(f"{n}\n")
    (tmp_path / "Agentfile").write_text(
        'agent copy:\n    inputs = src/{n}.txt\n    outputs = out/{n}.txt\n    run = "cp {input} {output}"\n'
    )
    run = subprocess.run(
        [sys.executable, str(PHASES), str(tmp_path), "-j", "2"], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert "5 ran" in run.stdout, run.stdout
    rows = dict(
        (label, (float(us), int(calls)))
        for us, calls, label in re.findall(r"^\s+([\d.]+) µs\s+(\d+) calls\s+(.+)$", run.stdout, re.M)
    )
    assert rows["Starting._launch"][1] == 5 and rows["Store.record_success"][1] == 5, run.stdout
    # (two clocks, CPU time and wall time, whose ticks differ: a wall time a hair below the CPU time is not
    # a wrong account; SLACK allows for that, and for the rounding of the printed means)
    assert rows["Popen.__init__ (wall)"][0] * SLACK >= rows["Popen.__init__"][0] > 0, run.stdout
    assert rows["Build._loop"][0] >= rows["Results._handle_all"][0], run.stdout  # inclusive: outer >= inner
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{n}.txt" for n in range(5)]
    if Path("/proc/thread-self/schedstat").exists():  # Linux: the scheduler thread's life on the CPU
        found = {
            label: re.findall(rf"^\s+([\d.]+) µs\s+{label}", run.stdout, re.M)
            for label in ("wall", "on a CPU", "runnable, waiting for a CPU")
        }
        assert all(len(v) == 1 for v in found.values()), run.stdout
        wall, on_cpu, waiting = (float(v[0]) for v in found.values())
        # nobody is on a CPU and waiting for one at once (the kernel's clock against the wall clock: SLACK)
        assert wall * SLACK >= on_cpu + waiting > 0, run.stdout

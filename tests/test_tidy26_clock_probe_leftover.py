"""A build killed with -9 inside the clock-lag probe (`salvage._lag`, made and removed in the logs directory)
leaves its `.clock.{pid}.{thread}.tmp`; the next look at the logs (`paid_in_logs`, where the probe runs)
removes it, and never the probe of a build still running."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from test_tidy26_cache_leftovers import stopped

from agentmake.runners.salvage import paid_in_logs

# a build stopped inside the probe: its file made, its time not yet read
_PROBING = (
    "import os, sys, time\n"
    "from pathlib import Path\n"
    "from agentmake.runners import salvage\n"
    "def stopped(fd):\n"
    "    print('stopped', flush=True)\n"
    "    time.sleep(600)\n"
    "os.fstat = stopped\n"
    "salvage._lag(Path(sys.argv[1]).parent)\n"
)


def _probing(log_dir: Path) -> tuple[subprocess.Popen[str], Path]:
    proc, probe = stopped(_PROBING, log_dir / ".clock")
    then = time.time() - 120
    os.utime(probe, (then, then))
    return proc, probe


def test_a_killed_probe_is_removed_a_running_ones_kept(tmp_path: Path) -> None:
    logs = tmp_path / ".agentmake" / "logs"
    logs.mkdir(parents=True)
    killed, left = _probing(logs)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    running, probing = _probing(logs)
    try:
        assert list(paid_in_logs(logs, [], 0.0, lambda _: True)) == []
        assert not left.exists()
        assert probing.exists()
    finally:
        running.kill()
        running.wait()
    assert [p.name for p in logs.iterdir()] == [probing.name]  # (and this look's own probe: removed)

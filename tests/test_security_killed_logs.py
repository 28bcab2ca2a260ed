"""A build killed with `kill -9` never redacts the logs of the attempts it was running (that happens as an
attempt ends): the next build does, once it has ended the orphaned processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

TOKEN = "tok-SECRET333-0123456789abcdef"


def _leaks(root: Path) -> list[str]:
    return [
        str(p.relative_to(root))
        for p in (root / ".agentmake").rglob("*")
        if p.is_file() and not p.name.startswith("state.db") and TOKEN[:12].encode() in p.read_bytes()
    ]


def test_logs_of_a_killed_build_are_redacted_by_the_next(tmp_path: Path) -> None:
    (tmp_path / "Agentfile").write_text(
        "agent leak:\n    outputs = out/leak.txt\n"
        '    run = "echo $MY_API_TOKEN; echo $MY_API_TOKEN >&2; sleep 600; echo x > {output}"\n\n'
        'agent other:\n    outputs = out/other.txt\n    run = "echo y > {output}"\n'
    )
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"CI": "1", "MY_API_TOKEN": TOKEN}
    cmd = [sys.executable, "-m", "agentmake"]
    build = subprocess.Popen(
        [*cmd, "leak"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    logs = tmp_path / ".agentmake" / "logs"
    deadline = time.monotonic() + 60
    while len(_leaks(tmp_path)) < 2 and build.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # (waiting for the agent to have printed the token: not a timing assertion)
    build.send_signal(signal.SIGKILL)
    build.wait()
    assert sorted(_leaks(tmp_path)) == [".agentmake/logs/leak.1.err", ".agentmake/logs/leak.1.out"]

    done = subprocess.run([*cmd, "other"], cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert _leaks(tmp_path) == []
    assert "[redacted MY_API_TOKEN]" in (logs / "leak.1.out").read_text()
    assert "[redacted MY_API_TOKEN]" in (logs / "leak.1.err").read_text()


def test_logs_of_a_recheck_a_killed_build_ran_are_redacted_by_the_next(tmp_path: Path) -> None:
    agentfile = (
        'agent leak:\n    outputs = out/leak.txt\n    run = "echo x > {{output}}"\n    check = "{check}"\n\n'
        'agent other:\n    outputs = out/other.txt\n    run = "echo y > {{output}}"\n'
    )
    (tmp_path / "Agentfile").write_text(agentfile.format(check="test -s {output}"))
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"CI": "1", "MY_API_TOKEN": TOKEN}
    cmd = [sys.executable, "-m", "agentmake"]
    assert subprocess.run([*cmd, "leak"], cwd=tmp_path, env=env, capture_output=True).returncode == 0
    # the check alone changes: the next build runs it on out/leak.txt first, and is killed meanwhile
    check = "echo $MY_API_TOKEN; echo $MY_API_TOKEN >&2; sleep 600; test -s {output}"
    (tmp_path / "Agentfile").write_text(agentfile.format(check=check))
    build = subprocess.Popen(
        [*cmd, "leak"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    logs = tmp_path / ".agentmake" / "logs"
    deadline = time.monotonic() + 60
    while len(_leaks(tmp_path)) < 2 and build.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # (waiting for the check to have printed the token: not a timing assertion)
    build.send_signal(signal.SIGKILL)
    build.wait()
    assert sorted(_leaks(tmp_path)) == [
        ".agentmake/logs/leak.1.recheck.err",
        ".agentmake/logs/leak.1.recheck.out",
    ]

    done = subprocess.run([*cmd, "other"], cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert _leaks(tmp_path) == []
    assert "[redacted MY_API_TOKEN]" in (logs / "leak.1.recheck.out").read_text()

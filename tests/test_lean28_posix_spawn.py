"""A shell task's child started by `os.posix_spawn` (`runners.spawn`) is the child Popen started: same
session, signal dispositions and mask, descriptors, environment, exit codes, output, timeouts and cancels.

Each case runs in a fresh interpreter (its cwd the project's, on its main thread: where `spawn.usable`), once
with `posix_spawn` and once with it turned off (Popen), and compares."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentmake.store.identity import SPAWN_VAR

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="posix_spawn is used on Linux only")

PROBE = r"""
import json, os, shutil, signal, sys, threading, time
from pathlib import Path
from agentmake.runners import process, spawn, suspend
from agentmake.runners.capture import LogFile
from agentmake.runners.supervise import Supervisor

# a parent as agentmake may be: SIGINT ignored (a background job), a handler for SIGTERM, an inherited
# inheritable descriptor
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, lambda *a: None)
inherited = os.open(os.devnull, os.O_RDONLY)
os.set_inheritable(inherited, True)

def start(argv, mode, executable=None):
    spawn._usable = mode == "spawn"
    for name in ("out.log", "err.log"):
        Path(name).unlink(missing_ok=True)
    logs = (LogFile("out.log"), LogFile("err.log"))
    return process.start_child(
        argv, stdin=False, env=None, cwd=Path.cwd(), logs=logs, parent_death=False,
        executable=executable or shutil.which(argv[0]), token="lean28-token",
    )

def supervised(argv, mode, timeout=None, cancel_after=None):
    child = start(argv, mode)
    kind = type(child.proc).__name__
    sup = Supervisor(grace=0.5)
    cancel = threading.Event()
    sup.add("k", child, timeout, cancel)
    begun = time.monotonic()
    while True:
        if cancel_after is not None and time.monotonic() - begun > cancel_after:
            cancel.set()
        done = sup.wait(0.05)
        if done:
            break
    sup.close()
    res = done[0][1]
    read = lambda name: Path(name).read_text() if Path(name).exists() else ""
    return {"kind": kind, "exit": res.exit_code, "timed_out": res.timed_out, "cancelled": res.cancelled,
            "out": read("out.log"), "err": read("err.log"), "pid": res.pid}

def status(out):
    # (SigQ: signals queued for agentmake's user, anyone's; glibc's own two, 32 and 33: see `spawn`)
    sigs = {k: v.strip() for k, v in (l.split(":", 1) for l in out.splitlines()) if k.startswith("Sig")}
    sigs.pop("SigQ")
    sigs["SigIgn"] = hex(int(sigs["SigIgn"], 16) & ~(0b11 << 31))
    return sigs

def running(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False

def case(mode):
    got = {}
    r = supervised(["cat", "/proc/self/status"], mode)
    got["kind"], got["signals"] = r["kind"], status(r["out"])
    r = supervised(["cat", "/proc/self/stat"], mode)
    fields = r["out"].rsplit(")", 1)[1].split()
    got["group, session"] = [int(fields[2]) == r["pid"], int(fields[3]) == r["pid"]]
    r = supervised(["ls", "/proc/self/fd"], mode)
    got["fds"] = r["out"].split()
    r = supervised(["env"], mode)
    got["env"] = sorted(r["out"].splitlines())
    r = supervised(["sh", "-c", "echo out; echo err >&2; exit 3"], mode)
    got["exit 3"] = [r["exit"], r["out"], r["err"]]
    r = supervised(["sh", "-c", "kill -TERM $$"], mode)
    got["killed"] = r["exit"]
    r = supervised(["sh", "-c", "sleep 30 & echo $!; wait"], mode, timeout=3.0)  # (room for the echo)
    got["timeout"] = [r["exit"], r["timed_out"], running(int(r["out"]))]
    r = supervised(["sleep", "30"], mode, cancel_after=0.2)
    got["cancel"] = [r["exit"], r["cancelled"]]
    try:
        start(["nothing-here"], mode, executable=os.path.abspath("nothing-here"))
    except OSError as e:
        got["not found"] = [type(e).__name__, str(e)]
    return got

print(json.dumps({mode: case(mode) for mode in ("popen", "spawn")}))
"""


def probe(tmp_path: Path, script: str = PROBE) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_a_posix_spawned_child_is_the_child_popen_started(tmp_path: Path) -> None:
    got = probe(tmp_path)
    popen, spawned = got["popen"], got["spawn"]
    assert (popen.pop("kind"), spawned.pop("kind")) == ("Popen", "Spawned")
    assert spawned == popen
    sigint, sigpipe = 1 << (2 - 1), 1 << (13 - 1)
    ignored = int(spawned["signals"]["SigIgn"], 16)
    assert ignored & sigint and not ignored & sigpipe  # (a background job's SIGINT; not Python's SIGPIPE)
    assert int(spawned["signals"]["SigBlk"], 16) == 0
    assert spawned["group, session"] == [True, True]
    assert spawned["fds"] == ["0", "1", "2", "3"]  # (3: ls's own listing) not the inherited descriptor
    assert f"{SPAWN_VAR}=lean28-token" in spawned["env"]
    assert spawned["exit 3"] == [3, "out\n", "err\n"]
    assert spawned["killed"] == -15
    assert spawned["timeout"] == [-15, True, False]  # the group ended, its background sleep with it
    assert spawned["cancel"] == [-15, True]
    assert spawned["not found"][0] == "FileNotFoundError"


ELSEWHERE = r"""
import json, os, shutil, threading
from pathlib import Path
from agentmake.runners import process
from agentmake.runners.capture import LogFile

def kind(cwd):
    logs = (LogFile("out.log"), LogFile("err.log"))
    child = process.start_child(["true"], stdin=False, env=None, cwd=cwd, logs=logs, parent_death=False,
                                executable=shutil.which("true"))
    child.proc.wait()
    child.pipes.close()
    for log in logs:
        log.close()
    return type(child.proc).__name__

os.mkdir("sub")
kinds = {"here": kind(Path.cwd()), "elsewhere": kind(Path.cwd() / "sub")}
thread = threading.Thread(target=lambda: kinds.update(thread=kind(Path.cwd())))
thread.start()
thread.join()
print(json.dumps(kinds))
"""


def test_posix_spawn_only_on_the_main_thread_in_agentmakes_own_directory(tmp_path: Path) -> None:
    # (no chdir in posix_spawn before Python 3.13; another thread would hold the GIL through the exec)
    assert probe(tmp_path, ELSEWHERE) == {"here": "Spawned", "elsewhere": "Popen", "thread": "Popen"}

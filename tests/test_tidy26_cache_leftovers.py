"""The temporary files of cache writers killed as they wrote (`userdirs.replace`, kill -9 in a 2 MB code
cache's write) are removed when a cache file is next written (`cachefile.write` → `pidtmp.sweep`); never
one a live writer is still writing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from agentmake import cachefile, pidtmp

# a writer that creates its temporary file, then waits forever on its chunks (as a write of megabytes does)
_WRITER = (
    "import sys, time\n"
    "from agentmake.userdirs import replace\n"
    "def chunks():\n"
    "    print('stopped', flush=True)\n"
    "    time.sleep(600)\n"
    "    yield b''\n"
    "replace(sys.argv[1], chunks())\n"
)


def stopped(code: str, path: Path) -> tuple[subprocess.Popen[str], Path]:
    """A Python process running `code` on `path`, once it says it is stopped in the write of a temporary
    file beside `path` (named `{path}.{its pid}.{thread}.tmp`), and that file."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    argv = [sys.executable, "-c", code, str(path)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    with proc.stdout:
        assert proc.stdout.readline() == "stopped\n"
    (tmp,) = path.parent.glob(f"{path.name}.{proc.pid}.*.tmp")
    return proc, tmp


def _aged(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_leftover_of_a_killed_writer_removed_a_live_writers_kept(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    target = cache / "module-code.test.marshal"
    killed, left = stopped(_WRITER, target)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    live, writing = stopped(_WRITER, target)
    try:
        old_format = cache / f"dataclass-code.test.marshal.{killed.pid}.tmp"  # (named without the thread)
        old_format.write_bytes(b"x")
        just_killed = cache / f"other.marshal.{killed.pid}.1.tmp"  # (just now: maybe another namespace's)
        just_killed.write_bytes(b"x")
        for path in (left, old_format, writing):
            _aged(path, 120)
        unrelated = cache / "notes.tmp"
        unrelated.write_bytes(b"x")
        _aged(unrelated, 10 * 24 * 3600)

        cachefile.write(str(cache / "module-code.other.marshal"), {"a": 1}, [b"entry"])

        assert not left.exists() and not old_format.exists()
        assert writing.exists() and just_killed.exists() and unrelated.exists()
    finally:
        live.kill()
        live.wait()


def test_stale_is_removed_whoever_has_its_pid(tmp_path: Path) -> None:
    """A temporary file hours old is a leftover even when its pid is alive now (reused): a write takes
    milliseconds. One of this process's (another thread's) is never touched."""
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        reused = tmp_path / f"x.marshal.{live.pid}.7.tmp"
        recent = tmp_path / f"y.marshal.{live.pid}.7.tmp"
        own = tmp_path / f"z.marshal.{os.getpid()}.7.tmp"
        for path in (reused, recent, own):
            path.write_bytes(b"x")
        _aged(reused, 7 * 3600)
        _aged(recent, 3600)
        _aged(own, 7 * 3600)
        pidtmp.sweep(str(tmp_path))
        assert not reused.exists()
        assert recent.exists() and own.exists()
    finally:
        live.kill()
        live.wait()

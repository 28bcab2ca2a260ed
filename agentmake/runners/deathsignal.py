"""Starting a child that dies with agentmake (`dying_with_us`): on Linux, a parent-death signal (SIGTERM) set
by the child itself, in a small Python program that then becomes the agent (`execve`), so that no Python
code runs in a `fork()`ed copy of agentmake (see `runners.process`, whose `parent_death` children these are).
"""

from __future__ import annotations

import errno
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

# A child with a parent-death signal (see `runners.process`): `python -I -S -c DIE_WITH_PARENT PARENT
# SIGNAL PROGRAM ARGV...`. The environment it execs with is the one it was started with, read back from
# /proc (Python may have added to its own: LC_CTYPE, where the locale is C). A program that cannot be
# executed is reported as a shell would: its name and why on stderr, exit 127 (not found) or 126.
DIE_WITH_PARENT = """\
import os, sys
parent, signum, program, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
try:
    import ctypes
    ctypes.CDLL(None).prctl(1, signum, 0, 0, 0)  # PR_SET_PDEATHSIG
except Exception:
    pass  # (no parent-death signal here: the agent runs without one)
if os.getppid() != parent:  # agentmake died before the signal was set
    os._exit(1)
try:
    with open("/proc/self/environ", "rb") as f:
        env = dict(v.split(b"=", 1) for v in f.read().split(b"\\0") if b"=" in v)
except OSError:  # (no /proc mounted)
    env = os.environb
try:
    os.execve(program, argv, env)
except OSError as e:
    os.write(2, f"{argv[0]}: {e.strerror}\\n".encode(errors="replace"))
    os._exit(127 if isinstance(e, FileNotFoundError) else 126)
"""


def dying_with_us(
    argv: Sequence[str], executable: str | None, env: Mapping[str, str] | None, cwd: Path
) -> list[str] | None:
    """The command that starts `argv` with a parent-death signal (None off Linux, or without a path to this
    interpreter: then it is started as it is). Its program is looked up here, on the child's PATH, and one
    that is missing or cannot be executed raises the error starting it would have raised."""
    if not sys.platform.startswith("linux") or not sys.executable:
        return None
    name = executable or argv[0]
    if os.sep in name:
        program = name if os.path.isabs(name) else os.path.join(cwd, name)
        if not os.path.exists(program):
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), name)
    else:
        import shutil

        dirs = [d if os.path.isabs(d) else os.path.join(cwd, d) for d in os.get_exec_path(env)]
        found = shutil.which(name, path=os.pathsep.join(dirs))
        if found is None:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), name)
        program = found
    if os.path.isdir(program) or not os.access(program, os.X_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), name)
    parent, signum = str(os.getpid()), str(int(signal.SIGTERM))
    return [sys.executable, "-I", "-S", "-c", DIE_WITH_PARENT, parent, signum, program, *argv]

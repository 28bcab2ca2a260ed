"""An opt-in timeline of one run, for `benchmarks/bench_layered.py --timeline`: named moments, nothing else.

Off unless the environment names a file in `AGENTMAKE_TRACE` when this module is first imported; then `mark`
appends (wall-clock time, moment, detail, thread) and the list is written to that file as JSON lines when the
process exits. Off, `mark` is one test of a module global: it costs nothing measurable on the build path.
"""

from __future__ import annotations

import os
import threading
import time

_PATH = os.environ.get("AGENTMAKE_TRACE") or None
ON = _PATH is not None
_events: list[tuple[float, str, str, str]] = []


def mark(moment: str, detail: str = "") -> None:
    """Note that `moment` (e.g. "spawn") happened now, for `detail` (e.g. a task id)."""
    if ON:
        _events.append((time.time(), moment, detail, threading.current_thread().name))


def _write() -> None:
    """Append the timeline to `_PATH`; a file that cannot be written (a directory, a missing directory, a
    full disk) is said in one line on stderr, not a traceback after the command's own output."""
    import json
    import sys

    assert _PATH is not None
    mark("exit")
    try:
        with open(_PATH, "a", encoding="utf-8") as fh:
            for when, moment, detail, thread in _events:
                fh.write(json.dumps({"t": when, "moment": moment, "detail": detail, "thread": thread}) + "\n")
    except OSError as e:
        from agentmake.safetext import term_safe

        why = e.strerror or str(e)
        print(term_safe(f"agentmake: warning: cannot write AGENTMAKE_TRACE={_PATH}: {why}"), file=sys.stderr)


if ON:
    import atexit

    atexit.register(_write)

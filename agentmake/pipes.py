"""Standard streams that outlive their reader: `agentmake | head -1`, `agentmake 2>&1 | grep -q done`.

Python ignores SIGPIPE, so a write after the reader closed its end raises BrokenPipeError wherever it happens,
and the command ended there with exit 0: a failed build said "ok" to a `set -o pipefail` script. `guard`
wraps stdout and stderr so that the first write that finds its reader gone puts that descriptor on /dev/null
(as with `>/dev/null`) and goes on: the command does all its work and exits with its real code. (make is
killed by SIGPIPE instead, mid-build; agentmake's state is kept either way, but its exit code is the point.)

`tolerate_legacy_encodings` keeps a stream that is not UTF-8 from ending a command at the first character it
cannot hold.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from typing import Any, TextIO


class _Guarded:
    """A text stream whose writes and flushes carry on into /dev/null once its reader is gone."""

    def __init__(self, stream: TextIO, fd: int) -> None:
        self._stream = stream
        self._fd = fd

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._to_null()
            return self._stream.write(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_null()
            self._stream.flush()

    def _to_null(self) -> None:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, self._fd)
        finally:
            os.close(null)

    def __getattr__(self, name: str) -> Any:  # (isatty, fileno, encoding...: the stream's own)
        return getattr(self._stream, name)


def guard() -> None:
    """Wrap `sys.stdout` and `sys.stderr` (the console script's, before anything holds them)."""
    for name, fd in (("stdout", 1), ("stderr", 2)):
        stream = getattr(sys, name)
        if stream is None or isinstance(stream, _Guarded):
            continue
        with contextlib.suppress(OSError, ValueError):
            if stream.fileno() == fd:
                setattr(sys, name, _Guarded(stream, fd))


def tolerate_legacy_encodings() -> None:
    """Where stdout or stderr is not UTF-8 (a Latin-1 locale, `PYTHONIOENCODING=ascii`), a character it
    cannot hold is written escaped (`\\u2014`), not a UnicodeEncodeError traceback that ends the command
    half-way: agentmake's own lines have `—`, `→` and `✗`, and file names and agents' messages anything."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if encoding != "utf8" and isinstance(stream, io.TextIOWrapper):
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="backslashreplace")

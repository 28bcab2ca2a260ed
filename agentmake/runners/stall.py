"""Watch what an LLM agent prints while it runs, for a sign that it is stuck, so that its attempt ends now
instead of at its time limit (an hour unless the Agentfile sets one).

The sign (shared/RUNNERS.md): with the network down, codex prints `Reconnecting... waiting for network` and
waits forever; only agentmake's timeout ends it. Any CLI that prints those words on stderr is treated alike.
Codex also prints it during a short outage it recovers from, and a run cut short then would throw away the
work it has done (and paid for): so the attempt is ended only once the CLI has been waiting `patience`
seconds (`NETWORK_PATIENCE`) without printing anything on stdout since. The attempt is then retried later,
with backoff, as a "network" failure (see `base._process_verdict`); a network that stays down fails the task
after its retries, each bounded by the patience, not by the time limit.

The words are looked for on stderr, and on stdout only in codex's own `error` events: with `--json` (as the
codex preset runs it) each stream error its turn retries is a line `{"type":"error","message":"Reconnecting...
waiting for network"}` on stdout (openai/codex#32984), which is no output of the agent's either. Anything
else on stdout (the answer, which may quote the words) is: the network is back.

`NetworkWatch` is called by `process.run_process` at each turn of its wait (every few tens of milliseconds):
it looks at the logs at most every `LOOK_EVERY` seconds and reads only what stderr gained since its last
look (LLM agents write straight into their log files; see `capture`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

from agentmake.runners import suspend

NETWORK_PATIENCE = 60.0  # seconds an agent may wait for the network before its attempt is ended
LOOK_EVERY = 0.5  # seconds between looks at the logs
_WAITING = re.compile(rb"waiting for network", re.I)
_KEEP = 64  # bytes of stderr kept from one look to the next (the words may arrive split over two)
_READ_AT_MOST = 1 << 20  # bytes of new stderr read per look (older ones are skipped)


class NetworkWatch:
    """Called while the agent of attempt `stem` runs: None while all is well, else why to end it now."""

    def __init__(
        self, stem: Path, patience: float = NETWORK_PATIENCE, clock: Callable[[], float] = suspend.clock
    ) -> None:
        self.err = stem.with_name(stem.name + ".err")
        self.out = stem.with_name(stem.name + ".out")
        self.patience = patience
        self.clock = clock
        self.offset = 0  # bytes of stderr looked at
        self.carry = b""  # the end of the last look's stderr
        self.out_offset = 0  # bytes of stdout looked at
        self.out_line = b""  # the start of stdout's last line, not ended yet
        self.waiting_since: float | None = None  # first "waiting for network" with no stdout since
        self.next_look = 0.0

    def __call__(self) -> str | None:
        now = self.clock()
        if now < self.next_look:
            return None
        self.next_look = now + LOOK_EVERY
        waiting = self._new_stderr_says_waiting()
        said, output = self._new_stdout()
        if waiting or said:
            if self.waiting_since is None:
                self.waiting_since = now
        elif output:  # it printed its work on stdout: the network is back
            self.waiting_since = None
        if self.waiting_since is not None and now - self.waiting_since >= self.patience:
            return (
                f"waited {self.patience:g}s for the network (it printed 'waiting for network'), so the "
                "attempt was ended: check the connection"
            )
        return None

    def _new_stderr_says_waiting(self) -> bool:
        size = _size(self.err)
        if size < self.offset:  # (a log replaced meanwhile: start again)
            self.offset, self.carry = 0, b""
        if size == self.offset:
            return False
        start = max(self.offset, size - _READ_AT_MOST)
        try:
            with open(self.err, "rb") as fh:
                fh.seek(start)
                data = fh.read(size - start)
        except OSError:
            return False
        self.offset = start + len(data)
        text, old = self.carry + data, len(self.carry)
        self.carry = text[-_KEEP:]
        return any(m.end() > old for m in _WAITING.finditer(text))  # (not one seen at the last look)

    def _new_stdout(self) -> tuple[bool, bool]:
        """(whether what stdout gained says the CLI waits for the network, in codex's JSON `error` events;
        whether it gained anything else: the agent's output)."""
        size = _size(self.out)
        if size < self.out_offset:  # (a log replaced meanwhile: start again)
            self.out_offset, self.out_line = 0, b""
        if size == self.out_offset:
            return False, False
        start = max(self.out_offset, size - _READ_AT_MOST)
        try:
            with open(self.out, "rb") as fh:
                fh.seek(start)
                data = fh.read(size - start)
        except OSError:
            return False, False
        self.out_offset = start + len(data)
        *lines, rest = (self.out_line + data).split(b"\n")
        said = output = False
        for line in lines:
            if _says_waiting(line):
                said = True
            elif line.strip():
                output = True
        # (an unended line that cannot be the start of such an event is output already; one that may be is
        # judged once it ends, unless it grows longer than any such event)
        if rest.strip() and (not rest.lstrip().startswith(b"{") or len(rest) > _EVENT_AT_MOST):
            output, rest = True, b""
        self.out_line = rest
        return said, output


# codex's own error event: a JSON object on a line of its own, its type first
_EVENT_START = re.compile(rb'\s*\{\s*"type"\s*:\s*"error"\s*,')
_EVENT_AT_MOST = 4096  # bytes: a line this long that has not ended is no such event


def _says_waiting(line: bytes) -> bool:
    """Whether `line` of stdout is codex's `error` event saying it waits for the network."""
    if not _EVENT_START.match(line) or not _WAITING.search(line):
        return False
    try:
        event = json.loads(line)
    except (ValueError, RecursionError):
        return False
    message = event.get("message") if isinstance(event, dict) else None
    return isinstance(message, str) and bool(_WAITING.search(message.encode()))


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0

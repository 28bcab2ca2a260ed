"""No Ctrl-C is lost while agentmake starts, before the build loop takes SIGINT over.

Python's own SIGINT handler raises KeyboardInterrupt wherever the program is, and during start-up that is
mostly inside an import. Where an exception cannot propagate (a weakref callback of the import machinery, a
finalizer) Python prints "Exception ignored" and goes on: the build then ran as if no Ctrl-C had come, every
agent called. Inside a class's creation (a dataclass field's `__set_name__`) Python 3.10 and 3.11 wrap it in
a RuntimeError, which is no interrupt to an `except KeyboardInterrupt`.

So the console script installs `early_sigint` (`catch_early`): Python's handler, which also records that the
signal came. The build loop, when it takes SIGINT over (`scheduler.stopping`), counts a recorded Ctrl-C
(`take_early`) as one that came then, so the build stops before it starts anything; every other command
stops before it begins (`clean` removes nothing) or, lost while it ran, ends with 130. The CLI counts an error
raised from a KeyboardInterrupt as the interrupt it is (`caused_by_interrupt`), and says so (`interrupted`).
"""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

_came = False  # a SIGINT came since the last `take_early`


def early_sigint(signum: int, frame: FrameType | None) -> None:
    """Python's SIGINT handler (raise KeyboardInterrupt), remembering that the signal came."""
    global _came
    _came = True
    raise KeyboardInterrupt


def catch_early() -> None:
    """Handle SIGINT with `early_sigint` where Python's own handler has it (not where it is ignored)."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, early_sigint)


def take_early() -> bool:
    """Whether a SIGINT came to `early_sigint` since the last call (the record is then cleared)."""
    global _came
    came, _came = _came, False
    return came


def caused_by_interrupt(exc: BaseException) -> bool:
    """Whether `exc` is, or was raised from or while handling, a KeyboardInterrupt."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def interrupted() -> int:
    """Say on stderr that agentmake was interrupted; its exit code (130, `workflow.EXIT_INTERRUPTED`)."""
    print("agentmake: interrupted", file=sys.stderr)
    return 130


def stop_on_signals() -> dict[int, Any]:
    """SIGTERM and SIGHUP stop a command as Ctrl-C does: they raise KeyboardInterrupt (Python's Ctrl-C
    handler), so the store is closed and the command exits with 130. Watch (between builds, idle or loading
    the Agentfile; during a build the build takes them over, `Stopping._catch_signals`) and `-t`. Left at
    their default action they killed an idle watch at once (exit 143 or 129, its state never closed).
    Returns the handlers to put back (`restore_signals`); nothing outside the main thread."""
    import threading  # (here: the CLI imports this module at start, which needs no thread)

    previous: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) is signal.SIG_DFL:
            previous[signum] = signal.signal(signum, signal.default_int_handler)
    return previous


def restore_signals(previous: dict[int, Any]) -> None:
    """Put back the handlers `stop_on_signals` replaced."""
    for signum, handler in previous.items():
        signal.signal(signum, handler)
